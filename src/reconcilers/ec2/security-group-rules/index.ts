import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  ModifySecurityGroupRulesCommand,
  paginateDescribeSecurityGroupRules,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type Filter,
  type SecurityGroupRule as AwsSecurityGroupRule,
} from "@aws-sdk/client-ec2";
import { awsErrorIs, isNotFound } from "../../../aws/errors.js";
import { known } from "../../diff-helpers.js";
import { STACK_TAG, type Context, type Reconciler, type Tags } from "../../contract.js";
import { createRecognising } from "../../recognise.js";
import { securityGroupsById } from "../api.js";
import {
  authorizeInput,
  describesPeerRules,
  diffRules,
  groupsOfUndescribedPeerRules,
  hasWrites,
  idsByDirection,
  isEmpty,
  namedAfterGroups,
  previewRules,
  ruleSet,
  ruleWrites,
  rulesNode,
  taggedRuleSets,
  withPeerDescriptions,
  type ObservedSecurityGroupRules,
  type RuleWrites,
  type SecurityGroupRulesChange,
  type SecurityGroupRulesDesired,
} from "./model.js";
import { DIRECTIONS, parseRule, ruleKey, type ByDirection, type ObservedRule, type Rule, type RuleDirection } from "./rule.js";

async function describeRules(ctx: Context, filters: Filter[]): Promise<AwsSecurityGroupRule[]> {
  const rules: AwsSecurityGroupRule[] = [];
  for await (const page of paginateDescribeSecurityGroupRules({ client: ctx.clients.ec2 }, { Filters: filters })) {
    rules.push(...(page.SecurityGroupRules ?? []));
  }
  return rules;
}

const rulesOfGroup = (ctx: Context, groupId: string) => describeRules(ctx, [{ Name: "group-id", Values: [groupId] }]);

async function revoke(ctx: Context, groupId: string, ids: ByDirection<string[]>): Promise<void> {
  for (const direction of DIRECTIONS) {
    if (ids[direction].length === 0) continue;
    const input = { GroupId: groupId, SecurityGroupRuleIds: ids[direction] };
    if (direction === "ingress") await ctx.clients.ec2.send(new RevokeSecurityGroupIngressCommand(input));
    else await ctx.clients.ec2.send(new RevokeSecurityGroupEgressCommand(input));
  }
}

/**
 * The live rules of the group that are these rules (by identity: direction, protocol, ports, peer); undefined
 * when one of them is missing.
 */
async function liveRulesAuthorized(
  ctx: Context,
  groupId: string,
  direction: RuleDirection,
  rules: readonly Rule[],
  ownerTags: Tags,
): Promise<ObservedRule[] | undefined> {
  const live = (await rulesOfGroup(ctx, groupId)).map((r) => parseRule(r, ownerTags)).filter((r) => r.direction === direction);
  const found = rules.map((rule) => live.find((r) => ruleKey(r, direction) === ruleKey(rule, direction)));
  return found.every((r) => r !== undefined) ? found : undefined;
}

/** Added first, revoked last: a rule being replaced by another never leaves a moment with neither. */
async function write(writes: RuleWrites, ctx: Context): Promise<void> {
  const { groupId } = writes;
  for (const direction of DIRECTIONS) {
    const rules = writes.authorize[direction];
    if (rules.length === 0) continue;
    const input = authorizeInput(groupId, rules, writes.tags);
    const authorize = () =>
      direction === "ingress"
        ? ctx.clients.ec2.send(new AuthorizeSecurityGroupIngressCommand(input))
        : ctx.clients.ec2.send(new AuthorizeSecurityGroupEgressCommand(input));
    await createRecognising(authorize, writes.tags, {
      alreadyExists: ["InvalidPermission.Duplicate"],
      read: () => liveRulesAuthorized(ctx, groupId, direction, rules, writes.tags),
      tagsOf: (live) => (live.every((rule) => rule.ours) ? live[0]?.tags : undefined),
    });
  }
  if (writes.redescribe.length > 0) {
    await ctx.clients.ec2.send(new ModifySecurityGroupRulesCommand({ GroupId: groupId, SecurityGroupRules: writes.redescribe }));
  }
  await revoke(ctx, groupId, writes.revoke);
}

/**
 * The group exists by now (the engine ran it first), with whatever AWS gave it (a new group's allow-all
 * egress) or someone added: read its rules, then converge them.
 */
async function createRules(desired: SecurityGroupRulesDesired, ctx: Context): Promise<ObservedSecurityGroupRules> {
  const groupId = known(desired.groupId, `the id of security group ${desired.groupName}`);
  const current = ruleSet(desired, groupId, await rulesOfGroup(ctx, groupId));
  const writes = ruleWrites(desired, current);
  if (!hasWrites(writes)) return current;
  await write(writes, ctx);
  return ruleSet(desired, groupId, await rulesOfGroup(ctx, groupId));
}

/** Touches only the rules the change names, then reads the group's rules back. */
async function updateRules(
  change: SecurityGroupRulesChange,
  observed: ObservedSecurityGroupRules,
  ctx: Context,
): Promise<ObservedSecurityGroupRules> {
  if ("converge" in change) return createRules(change.converge, ctx);
  await write(change.writes, ctx);
  return { ...observed, rules: (await rulesOfGroup(ctx, observed.id)).map((r) => parseRule(r, observed.tags)) };
}

/** Revokes the stack's rules of the set: tagged ones, and on a group it owns the untagged ones it claims. */
async function deleteRules(observed: ObservedSecurityGroupRules, ctx: Context): Promise<void> {
  const doomed = observed.rules.filter((r) => r.ours || observed.claimsUntagged[r.direction]);
  // The group gone takes its rules with it; any other "not found" is a rule gone already.
  const groupGone = (error: unknown) => awsErrorIs(error, "InvalidGroup.NotFound");
  try {
    await revoke(ctx, observed.id, idsByDirection(doomed));
  } catch (error) {
    if (groupGone(error)) return;
    if (!isNotFound(error)) throw error;
    // A batch naming a rule that is gone already fails: one by one, skipping the missing.
    for (const rule of doomed) {
      try {
        await revoke(ctx, observed.id, idsByDirection([rule]));
      } catch (one) {
        if (groupGone(one)) return;
        if (!isNotFound(one)) throw one;
      }
    }
  }
}

async function observeRules(
  desired: ReadonlyArray<{ address: string; value: SecurityGroupRulesDesired }>,
  ctx: Context,
): Promise<Map<string, ObservedSecurityGroupRules>> {
  const found = new Map<string, ObservedSecurityGroupRules>();
  // A group whose id is not known yet does not exist yet, and neither do its rules.
  const existing = desired.flatMap(({ address, value }) =>
    typeof value.groupId === "string" ? [{ address, value, groupId: value.groupId }] : [],
  );
  if (existing.length === 0) return found;
  const read = await describeRules(ctx, [{ Name: "group-id", Values: [...new Set(existing.map((e) => e.groupId))] }]);
  const rules = existing.some(({ value }) => describesPeerRules(value)) ? await withPeerRuleDescriptions(ctx, read) : read;
  for (const { address, value, groupId } of existing) {
    found.set(
      address,
      ruleSet(
        value,
        groupId,
        rules.filter((r) => r.GroupId === groupId),
      ),
    );
  }
  return found;
}

/**
 * moto (5.2) leaves the Description of a rule whose peer is a security group out of DescribeSecurityGroupRules,
 * though it keeps it in DescribeSecurityGroups' UserIdGroupPairs; AWS reports it in both. Without this, such a
 * rule would be planned for a new description on every run. A group-peer rule read without a description is
 * looked up in one DescribeSecurityGroups of its groups; on AWS that read happens only when one truly has none.
 */
async function withPeerRuleDescriptions(ctx: Context, rules: AwsSecurityGroupRule[]): Promise<AwsSecurityGroupRule[]> {
  const groupIds = groupsOfUndescribedPeerRules(rules);
  if (groupIds.length === 0) return rules;
  return withPeerDescriptions(rules, await securityGroupsById(ctx, groupIds));
}

/** The stack's tagged rules, one set per node id and group; named after their groups, looked up in one call. */
async function discoverRules(ctx: Context): Promise<ObservedSecurityGroupRules[]> {
  const sets = taggedRuleSets(await describeRules(ctx, [{ Name: `tag:${STACK_TAG}`, Values: [ctx.stack] }]));
  if (sets.length === 0) return [];
  const groups = await securityGroupsById(ctx, [...new Set(sets.map((s) => s.id))]);
  return namedAfterGroups(sets, groups);
}

/**
 * The rules of each security group of the spec, owned or not. On a group the stack owns, every rule is the
 * spec's (egress only when the spec lists it); on one it does not own, only the rules it tagged are its.
 */
export const securityGroupRulesReconciler: Reconciler<SecurityGroupRulesDesired, ObservedSecurityGroupRules, SecurityGroupRulesChange> = {
  kind: "securityGroupRules",
  refersTo: ["securityGroups"],
  looksUp: ["securityGroups"],
  nodes: (spec) => Object.entries(spec.securityGroups).map(([logical, entry]) => rulesNode(spec, logical, entry)),
  observe: observeRules,
  discover: discoverRules,
  isEmpty,
  diff: diffRules,
  create: createRules,
  update: updateRules,
  delete: deleteRules,
  preview: previewRules,
  outputs: () => ({}),
};
