import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  ModifySecurityGroupRulesCommand,
  paginateDescribeSecurityGroupRules,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type Filter,
  type IpPermission,
  type SecurityGroupRule as AwsSecurityGroupRule,
  type SecurityGroupRuleRequest,
} from "@aws-sdk/client-ec2";
import { KnownAfterApply, type FieldDiff } from "../../../plan/model.js";
import { physicalName } from "../../../schema/names.js";
import type { SecurityGroupRuleSpec, SecurityGroupSpec } from "../../../schema/security-groups.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, fromTagList, known, toTagList } from "../../shared/diff-helpers.js";
import { describeSecurityGroups } from "../api.js";
import {
  addressOf,
  ID_TAG,
  ownedTags,
  STACK_TAG,
  type Context,
  type DesiredNode,
  type Observed,
  type LegacyReconciler,
  type Tags,
} from "../../shared/types.js";

export type RuleDirection = "ingress" | "egress";
const DIRECTIONS: readonly RuleDirection[] = ["ingress", "egress"];

/** Who a rule admits (ingress) or reaches (egress): exactly one of these, in AWS's terms. */
export type RulePeer =
  | { cidr: string }
  | { ipv6Cidr: string }
  /** `securityGroup`: the spec's logical name, to say which group a still unknown id will be. */
  | { groupId: string | KnownAfterApply; securityGroup?: string }
  | { prefixListId: string };

/** A rule in AWS's form, as DescribeSecurityGroupRules reports it. */
export interface Rule {
  /** tcp, udp, icmp, icmpv6, or -1 for every protocol. */
  protocol: string;
  /** -1 with protocol -1; for ICMP the type (-1: every type). */
  fromPort: number;
  /** -1 with protocol -1; for ICMP the code (-1: every code). */
  toPort: number;
  peer: RulePeer;
  description?: string;
}

export interface ObservedRule extends Rule {
  /** sgr-… */
  id: string;
  direction: RuleDirection;
  tags: Tags;
  /** Tagged as this node's (stack and id): the stack may revoke it even on a group it does not own. */
  ours: boolean;
}

export interface SecurityGroupRulesDesired {
  groupId: string | KnownAfterApply;
  /** The group's name (or id, for an existing group picked by id): how the rule set is shown. */
  groupName: string;
  /** The stack owns the group: every ingress rule on it is the spec's to keep or revoke. */
  groupOwned: boolean;
  /** The stack owns the group and the spec lists its egress: every egress rule is the spec's too, AWS's default included. */
  manageEgress: boolean;
  ingress: Rule[];
  egress: Rule[];
  /** Set on every rule the stack adds. */
  tags: Tags;
}

/** The rules of one group. Ownership is per rule: `tags` are the node's, so the engine sees the set as the stack's. */
export interface ObservedSecurityGroupRules extends Observed {
  /** After observe: every rule of the group. After discover: only those tagged as the set's. */
  rules: ObservedRule[];
  /** Untagged rules of these directions are the stack's too (a group it owns): what `delete` revokes beside the tagged ones. */
  claimsUntagged: Record<RuleDirection, boolean>;
}

// ---------------------------------------------------------------------------------------------------------
// Normalisation: the spec's rules and AWS's, both into `Rule`.

const EVERY_PORT = { fromPort: -1, toPort: -1 };

/** The spec's rule in AWS's form: `all` is -1, a rule without ports covers every port (-1/-1), `port: 80` is 80/80. */
export function normaliseRule(rule: SecurityGroupRuleSpec, groupIdOf: (logical: string) => string | KnownAfterApply): Rule {
  const protocol = rule.protocol === "all" ? "-1" : rule.protocol;
  const ports =
    protocol === "-1"
      ? EVERY_PORT
      : rule.port !== undefined
        ? { fromPort: rule.port, toPort: rule.port }
        : rule.ports !== undefined
          ? { fromPort: rule.ports.from, toPort: rule.ports.to }
          : EVERY_PORT;
  return { protocol, ...ports, peer: specPeer(rule, groupIdOf), ...(rule.description && { description: rule.description }) };
}

function specPeer(rule: SecurityGroupRuleSpec, groupIdOf: (logical: string) => string | KnownAfterApply): RulePeer {
  if (rule.cidr !== undefined) return { cidr: rule.cidr };
  if (rule.ipv6Cidr !== undefined) return { ipv6Cidr: canonicalIpv6Cidr(rule.ipv6Cidr) };
  if (rule.securityGroup !== undefined) return { groupId: groupIdOf(rule.securityGroup), securityGroup: rule.securityGroup };
  if (rule.prefixList !== undefined) return { prefixListId: rule.prefixList };
  throw new Error("a security group rule without a peer (the schema requires exactly one)");
}

/** One spelling per IPv6 block (`2001:DB8:0::/32` is `2001:db8::/32`), as the URL standard serialises IPv6 addresses. */
function canonicalIpv6Cidr(cidr: string): string {
  const slash = cidr.indexOf("/");
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  let canonical: string;
  try {
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return cidr.toLowerCase();
  }
  return slash < 0 ? canonical : `${canonical}${cidr.slice(slash)}`;
}

/** AWS reports the protocols it names by name; a number or `all` given at creation is read back the same way. */
const PROTOCOL_NAMES: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", all: "-1" };

export function normaliseProtocol(protocol: string): string {
  const lower = protocol.toLowerCase();
  return PROTOCOL_NAMES[lower] ?? lower;
}

/** One rule of a DescribeSecurityGroupRules answer; `ownerTags` are the node's, to tell the stack's rules apart. */
export function parseRule(rule: AwsSecurityGroupRule, ownerTags: Tags): ObservedRule {
  const protocol = normaliseProtocol(rule.IpProtocol ?? "-1");
  const tags = fromTagList(rule.Tags);
  const ports = protocol === "-1" ? EVERY_PORT : { fromPort: rule.FromPort ?? -1, toPort: rule.ToPort ?? -1 };
  return {
    id: rule.SecurityGroupRuleId!,
    direction: rule.IsEgress ? "egress" : "ingress",
    protocol,
    ...ports,
    peer: awsPeer(rule),
    ...(rule.Description && { description: rule.Description }),
    tags,
    ours: tags[STACK_TAG] !== undefined && tags[STACK_TAG] === ownerTags[STACK_TAG] && tags[ID_TAG] === ownerTags[ID_TAG],
  };
}

function awsPeer(rule: AwsSecurityGroupRule): RulePeer {
  if (rule.CidrIpv4 !== undefined) return { cidr: rule.CidrIpv4 };
  if (rule.CidrIpv6 !== undefined) return { ipv6Cidr: canonicalIpv6Cidr(rule.CidrIpv6) };
  if (rule.ReferencedGroupInfo?.GroupId !== undefined) return { groupId: rule.ReferencedGroupInfo.GroupId };
  if (rule.PrefixListId !== undefined) return { prefixListId: rule.PrefixListId };
  throw new Error(
    `security group rule ${rule.SecurityGroupRuleId} of ${rule.GroupId} has none of CidrIpv4, CidrIpv6, ReferencedGroupInfo, PrefixListId`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Identity: a rule is its direction, protocol, ports and peer; the description is a detail of it.

function portsLabel(rule: Rule): string {
  const { protocol, fromPort, toPort } = rule;
  if (protocol === "-1") return "all";
  if (fromPort === -1) return protocol;
  if (protocol === "icmp" || protocol === "icmpv6") return toPort === -1 ? `${protocol}/${fromPort}` : `${protocol}/${fromPort}:${toPort}`;
  return fromPort === toPort ? `${protocol}/${fromPort}` : `${protocol}/${fromPort}-${toPort}`;
}

function peerLabel(peer: RulePeer): string {
  if ("cidr" in peer) return peer.cidr;
  if ("ipv6Cidr" in peer) return peer.ipv6Cidr;
  if ("prefixListId" in peer) return peer.prefixListId;
  if (peer.groupId instanceof KnownAfterApply) {
    // The group's logical name keeps two rules to groups not created yet apart.
    return peer.securityGroup === undefined ? String(peer.groupId) : `securityGroups.${peer.securityGroup} ${peer.groupId}`;
  }
  return peer.groupId;
}

/** `tcp/80 from 0.0.0.0/0`, `all to 0.0.0.0/0`, `tcp/8080 from securityGroups.alb (known after apply)`. */
function ruleLabel(rule: Rule, direction: RuleDirection): string {
  return `${portsLabel(rule)} ${direction === "ingress" ? "from" : "to"} ${peerLabel(rule.peer)}`;
}

/** The rule's identity and its path in diffs: `ingress[tcp/80 from 0.0.0.0/0]`. */
export function ruleKey(rule: Rule, direction: RuleDirection): string {
  return `${direction}[${ruleLabel(rule, direction)}]`;
}

/** A rule's value in a diff (its label is already the path): that it is allowed, and its description. */
const shown = (rule: Rule) => (rule.description ? `allowed: ${rule.description}` : "allowed");

// ---------------------------------------------------------------------------------------------------------
// What to change: set difference by key.

interface RuleChanges {
  authorize: Array<{ key: string; direction: RuleDirection; rule: Rule }>;
  revoke: Array<{ key: string; rule: ObservedRule }>;
  redescribe: Array<{ key: string; rule: ObservedRule; description: string }>;
  /** Keys of desired rules that a rule the stack does not own already grants: satisfied, never revoked, never added again. */
  grantedByOthers: string[];
}

/** Desired rules by key; a repeated rule counts once (AWS would refuse it as a duplicate). */
function byKey(rules: readonly Rule[], direction: RuleDirection): Map<string, Rule> {
  const keyed = new Map<string, Rule>();
  for (const rule of rules) {
    const key = ruleKey(rule, direction);
    if (!keyed.has(key)) keyed.set(key, rule);
  }
  return keyed;
}

function planRuleChanges(desired: SecurityGroupRulesDesired, observed: ObservedSecurityGroupRules): RuleChanges {
  const changes: RuleChanges = { authorize: [], revoke: [], redescribe: [], grantedByOthers: [] };
  // Rules seen on another group (the group was replaced) say nothing about this one.
  const live = desired.groupId === observed.id ? observed.rules : [];
  for (const direction of DIRECTIONS) {
    const claimsUntagged = direction === "ingress" ? desired.groupOwned : desired.groupOwned && desired.manageEgress;
    const isStacks = (rule: ObservedRule) => rule.ours || claimsUntagged;
    const wanted = byKey(desired[direction], direction);
    const present = new Map(live.filter((r) => r.direction === direction).map((r) => [ruleKey(r, direction), r]));
    for (const [key, rule] of wanted) {
      const found = present.get(key);
      if (!found) changes.authorize.push({ key, direction, rule });
      else if (!isStacks(found)) changes.grantedByOthers.push(key);
      else if (rule.description !== undefined && rule.description !== found.description) {
        changes.redescribe.push({ key, rule: found, description: rule.description });
      }
    }
    for (const [key, rule] of present) if (!wanted.has(key) && isStacks(rule)) changes.revoke.push({ key, rule });
  }
  return changes;
}

/** Desired rules that rules the stack does not own already grant (left alone: the plan shows no change for them). */
export const grantedByOthers = (desired: SecurityGroupRulesDesired, observed: ObservedSecurityGroupRules): string[] =>
  planRuleChanges(desired, observed).grantedByOthers;

function diffRules(desired: SecurityGroupRulesDesired, observed: ObservedSecurityGroupRules): FieldDiff[] {
  const changes = planRuleChanges(desired, observed);
  const ruleDiffs: FieldDiff[] = [
    ...changes.authorize.map(({ key, direction, rule }) => ({ path: key, after: shown(rule) })),
    ...changes.revoke.map(({ key, rule }) => ({ path: key, before: shown(rule) })),
    ...changes.redescribe.map(({ key, rule, description }) => ({
      path: `${key}.description`,
      ...(rule.description !== undefined && { before: rule.description }),
      after: description,
    })),
  ];
  ruleDiffs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return [...diffField("groupId", observed.id, desired.groupId), ...ruleDiffs];
}

// ---------------------------------------------------------------------------------------------------------
// AWS calls.

async function describeRules(ctx: Context, filters: Filter[]): Promise<AwsSecurityGroupRule[]> {
  const rules: AwsSecurityGroupRule[] = [];
  for await (const page of paginateDescribeSecurityGroupRules({ client: ctx.clients.ec2 }, { Filters: filters })) {
    rules.push(...(page.SecurityGroupRules ?? []));
  }
  return rules;
}

/** How a rule set is named in plans: never as the group itself, which deleting the set leaves in place. */
const ruleSetName = (group: string) => `rules of ${group}`;

function ruleSet(desired: SecurityGroupRulesDesired, groupId: string, rules: readonly AwsSecurityGroupRule[]): ObservedSecurityGroupRules {
  return {
    name: ruleSetName(desired.groupName),
    id: groupId,
    tags: { ...desired.tags },
    rules: rules.map((r) => parseRule(r, desired.tags)),
    claimsUntagged: { ingress: desired.groupOwned, egress: desired.groupOwned && desired.manageEgress },
  };
}

async function observeGroup(desired: SecurityGroupRulesDesired, groupId: string, ctx: Context): Promise<ObservedSecurityGroupRules> {
  return ruleSet(desired, groupId, await describeRules(ctx, [{ Name: "group-id", Values: [groupId] }]));
}

const peerGroupId = (groupId: string | KnownAfterApply, logical: string | undefined) =>
  known(groupId, `the id of security group ${logical ?? "(peer)"}`);

function toIpPermission(rule: Rule): IpPermission {
  const described = rule.description !== undefined ? { Description: rule.description } : {};
  const { peer } = rule;
  return {
    IpProtocol: rule.protocol,
    ...(rule.protocol !== "-1" && { FromPort: rule.fromPort, ToPort: rule.toPort }),
    ...("cidr" in peer
      ? { IpRanges: [{ CidrIp: peer.cidr, ...described }] }
      : "ipv6Cidr" in peer
        ? { Ipv6Ranges: [{ CidrIpv6: peer.ipv6Cidr, ...described }] }
        : "prefixListId" in peer
          ? { PrefixListIds: [{ PrefixListId: peer.prefixListId, ...described }] }
          : { UserIdGroupPairs: [{ GroupId: peerGroupId(peer.groupId, peer.securityGroup), ...described }] }),
  };
}

/** ModifySecurityGroupRules replaces a rule whole: the same rule, with the new description. */
function withDescription(rule: ObservedRule, description: string): SecurityGroupRuleRequest {
  const { peer } = rule;
  return {
    IpProtocol: rule.protocol,
    FromPort: rule.fromPort,
    ToPort: rule.toPort,
    ...("cidr" in peer
      ? { CidrIpv4: peer.cidr }
      : "ipv6Cidr" in peer
        ? { CidrIpv6: peer.ipv6Cidr }
        : "prefixListId" in peer
          ? { PrefixListId: peer.prefixListId }
          : { ReferencedGroupId: peerGroupId(peer.groupId, peer.securityGroup) }),
    Description: description,
  };
}

async function revoke(groupId: string, rules: readonly ObservedRule[], ctx: Context): Promise<void> {
  for (const direction of DIRECTIONS) {
    const ids = rules.filter((r) => r.direction === direction).map((r) => r.id);
    if (ids.length === 0) continue;
    const input = { GroupId: groupId, SecurityGroupRuleIds: ids };
    if (direction === "ingress") await ctx.clients.ec2.send(new RevokeSecurityGroupIngressCommand(input));
    else await ctx.clients.ec2.send(new RevokeSecurityGroupEgressCommand(input));
  }
}

/** Added first, revoked last: a rule being replaced by another never leaves a moment with neither. */
async function applyChanges(groupId: string, changes: RuleChanges, tags: Tags, ctx: Context): Promise<void> {
  for (const direction of DIRECTIONS) {
    const rules = changes.authorize.filter((c) => c.direction === direction).map((c) => c.rule);
    if (rules.length === 0) continue;
    const input = {
      GroupId: groupId,
      IpPermissions: rules.map(toIpPermission),
      TagSpecifications: [{ ResourceType: "security-group-rule" as const, Tags: toTagList(tags) }],
    };
    if (direction === "ingress") await ctx.clients.ec2.send(new AuthorizeSecurityGroupIngressCommand(input));
    else await ctx.clients.ec2.send(new AuthorizeSecurityGroupEgressCommand(input));
  }
  if (changes.redescribe.length > 0) {
    await ctx.clients.ec2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId: groupId,
        SecurityGroupRules: changes.redescribe.map(({ rule, description }) => ({
          SecurityGroupRuleId: rule.id,
          SecurityGroupRule: withDescription(rule, description),
        })),
      }),
    );
  }
  await revoke(
    groupId,
    changes.revoke.map((c) => c.rule),
    ctx,
  );
}

const hasChanges = (c: RuleChanges) => c.authorize.length + c.revoke.length + c.redescribe.length > 0;

const groupIdOf = (desired: SecurityGroupRulesDesired) => known(desired.groupId, `the id of security group ${desired.groupName}`);

/**
 * The group exists by now (the engine ran it first), with whatever AWS gave it (a new group's allow-all
 * egress) or someone added: read its rules, then converge them.
 */
async function createRules(desired: SecurityGroupRulesDesired, ctx: Context): Promise<ObservedSecurityGroupRules> {
  const groupId = groupIdOf(desired);
  const current = await observeGroup(desired, groupId, ctx);
  const changes = planRuleChanges(desired, current);
  if (!hasChanges(changes)) return current;
  await applyChanges(groupId, changes, desired.tags, ctx);
  return observeGroup(desired, groupId, ctx);
}

/** Touches only the rules the diffs name. */
async function updateRules(
  desired: SecurityGroupRulesDesired,
  observed: ObservedSecurityGroupRules,
  diffs: readonly FieldDiff[],
  ctx: Context,
): Promise<ObservedSecurityGroupRules> {
  const groupId = groupIdOf(desired);
  if (groupId !== observed.id) return createRules(desired, ctx);
  const paths = new Set(diffs.map((d) => d.path));
  const all = planRuleChanges(desired, observed);
  const changes: RuleChanges = {
    authorize: all.authorize.filter((c) => paths.has(c.key)),
    revoke: all.revoke.filter((c) => paths.has(c.key)),
    redescribe: all.redescribe.filter((c) => paths.has(`${c.key}.description`)),
    grantedByOthers: all.grantedByOthers,
  };
  if (!hasChanges(changes)) return observed;
  await applyChanges(groupId, changes, desired.tags, ctx);
  return observeGroup(desired, groupId, ctx);
}

const GROUP_GONE = "InvalidGroup.NotFound";
const RULE_GONE = new Set(["InvalidSecurityGroupRuleId.NotFound", "InvalidPermission.NotFound"]);
const errorName = (error: unknown) => (error as { name?: string }).name ?? "";

/** Revokes the stack's rules of the set: tagged ones, and on a group it owns the untagged ones it claims. */
async function deleteRules(observed: ObservedSecurityGroupRules, ctx: Context): Promise<void> {
  const doomed = observed.rules.filter((r) => r.ours || observed.claimsUntagged[r.direction]);
  try {
    await revoke(observed.id, doomed, ctx);
  } catch (error) {
    if (errorName(error) === GROUP_GONE) return;
    if (!RULE_GONE.has(errorName(error))) throw error;
    // A batch naming a rule that is gone already fails: one by one, skipping the missing.
    for (const rule of doomed) {
      try {
        await revoke(observed.id, [rule], ctx);
      } catch (one) {
        if (errorName(one) === GROUP_GONE) return;
        if (!RULE_GONE.has(errorName(one))) throw one;
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

const describesPeerRules = (desired: SecurityGroupRulesDesired) =>
  [...desired.ingress, ...desired.egress].some((rule) => "groupId" in rule.peer && rule.description !== undefined);

/**
 * moto (5.2) leaves the Description of a rule whose peer is a security group out of DescribeSecurityGroupRules,
 * though it keeps it in DescribeSecurityGroups' UserIdGroupPairs; AWS reports it in both. Without this, such a
 * rule would be planned for a new description on every run. A group-peer rule read without a description is
 * looked up in one DescribeSecurityGroups of its groups; on AWS that read happens only when one truly has none.
 */
async function withPeerRuleDescriptions(ctx: Context, rules: AwsSecurityGroupRule[]): Promise<AwsSecurityGroupRule[]> {
  const undescribed = rules.filter((r) => r.ReferencedGroupInfo?.GroupId !== undefined && !r.Description && r.GroupId);
  if (undescribed.length === 0) return rules;
  const groups = await describeSecurityGroups(ctx, [{ Name: "group-id", Values: [...new Set(undescribed.map((r) => r.GroupId!))] }]);
  const key = (groupId: string, egress: boolean, protocol: string, from: number | undefined, to: number | undefined, peer: string) =>
    [groupId, egress, normaliseProtocol(protocol), from ?? -1, to ?? -1, peer].join(" ");
  const descriptions = new Map<string, string>();
  for (const group of groups) {
    for (const [egress, permissions] of [
      [false, group.IpPermissions],
      [true, group.IpPermissionsEgress],
    ] as const) {
      for (const p of permissions ?? []) {
        for (const pair of p.UserIdGroupPairs ?? []) {
          if (pair.Description && pair.GroupId) {
            descriptions.set(key(group.GroupId!, egress, p.IpProtocol ?? "-1", p.FromPort, p.ToPort, pair.GroupId), pair.Description);
          }
        }
      }
    }
  }
  return rules.map((r) => {
    if (!undescribed.includes(r)) return r;
    const found = descriptions.get(
      key(r.GroupId!, r.IsEgress === true, r.IpProtocol ?? "-1", r.FromPort, r.ToPort, r.ReferencedGroupInfo!.GroupId!),
    );
    return found ? { ...r, Description: found } : r;
  });
}

/** The stack's tagged rules, one set per node id and group; named after their groups, looked up in one call. */
async function discoverRules(ctx: Context): Promise<ObservedSecurityGroupRules[]> {
  const tagged = await describeRules(ctx, [{ Name: `tag:${STACK_TAG}`, Values: [ctx.stack] }]);
  const sets = new Map<string, ObservedSecurityGroupRules>();
  for (const rule of tagged) {
    const tags = fromTagList(rule.Tags);
    const id = tags[ID_TAG];
    if (!id?.startsWith("securityGroupRules/") || rule.GroupId === undefined) continue;
    const key = `${id} ${rule.GroupId}`;
    let set = sets.get(key);
    if (!set) {
      set = { name: rule.GroupId, id: rule.GroupId, tags, rules: [], claimsUntagged: { ingress: false, egress: false } };
      sets.set(key, set);
    }
    set.rules.push(parseRule(rule, tags));
  }
  if (sets.size === 0) return [];
  const groupIds = [...new Set([...sets.values()].map((s) => s.id))];
  const groups = await describeSecurityGroups(ctx, [{ Name: "group-id", Values: groupIds }]);
  const names = new Map(groups.map((g) => [g.GroupId, g.GroupName]));
  return [...sets.values()].map((set) => ({ ...set, name: ruleSetName(names.get(set.id) ?? set.id) }));
}

function rulesNode(spec: Spec, logical: string, entry: SecurityGroupSpec): DesiredNode<SecurityGroupRulesDesired> {
  const groupAddress = addressOf("securityGroups", logical);
  const peers = [...entry.ingress, ...(entry.egress ?? [])].flatMap((r) =>
    r.securityGroup === undefined ? [] : [addressOf("securityGroups", r.securityGroup)],
  );
  const existing = entry.existing;
  const groupName = existing ? ("name" in existing ? existing.name : existing.id) : physicalName(spec, "securityGroups", logical);
  const groupOwned = existing === undefined;
  return {
    kind: "securityGroupRules",
    logical,
    address: addressOf("securityGroupRules", logical),
    name: ruleSetName(groupName),
    dependsOn: [...new Set([groupAddress, ...peers])],
    adopt: false,
    readOnly: false,
    build: (outputs) => {
      const idOf = (group: string) => outputs.string(addressOf("securityGroups", group), "id");
      const normalise = (rules: readonly SecurityGroupRuleSpec[]) => rules.map((r) => normaliseRule(r, idOf));
      return {
        groupId: idOf(logical),
        groupName,
        groupOwned,
        manageEgress: groupOwned && entry.egress !== undefined,
        ingress: normalise(entry.ingress),
        egress: normalise(entry.egress ?? []),
        tags: ownedTags(spec, "securityGroupRules", logical, undefined),
      };
    },
  };
}

function previewRules(desired: SecurityGroupRulesDesired): FieldDiff[] {
  return DIRECTIONS.flatMap((direction) =>
    [...byKey(desired[direction], direction)].map(([key, rule]) => ({ path: key, after: shown(rule) })),
  );
}

/**
 * The rules of each security group of the spec, owned or not. On a group the stack owns, every rule is the
 * spec's (egress only when the spec lists it); on one it does not own, only the rules it tagged are its.
 */
export const securityGroupRulesReconciler: LegacyReconciler<SecurityGroupRulesDesired, ObservedSecurityGroupRules> = {
  kind: "securityGroupRules",
  refersTo: ["securityGroups"],
  looksUp: ["securityGroups"],
  nodes: (spec) => Object.entries(spec.securityGroups).map(([logical, entry]) => rulesNode(spec, logical, entry)),
  observe: observeRules,
  discover: discoverRules,
  isEmpty: (observed) => !observed.rules.some((rule) => rule.ours || observed.claimsUntagged[rule.direction]),
  diff: diffRules,
  create: createRules,
  update: updateRules,
  delete: deleteRules,
  preview: previewRules,
  outputs: () => ({}),
};
