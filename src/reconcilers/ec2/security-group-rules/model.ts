import type {
  AuthorizeSecurityGroupEgressCommandInput,
  SecurityGroup,
  SecurityGroupRule as AwsSecurityGroupRule,
  SecurityGroupRuleUpdate,
} from "@aws-sdk/client-ec2";
import type { FieldDiff, KnownAfterApply } from "../../../plan/model.js";
import { physicalName } from "../../../schema/names.js";
import type { SecurityGroupRuleSpec, SecurityGroupSpec } from "../../../schema/security-groups.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, fromTagList, toTagList } from "../../diff-helpers.js";
import { addressOf, desiredNode, ID_TAG, ownedTags, type DesiredNode, type Diff, type Observed, type Tags } from "../../contract.js";
import {
  DIRECTIONS,
  normaliseProtocol,
  normaliseRule,
  parseRule,
  ruleKey,
  toIpPermission,
  withDescription,
  type ByDirection,
  type ObservedRule,
  type Rule,
  type RuleDirection,
} from "./rule.js";

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
  claimsUntagged: ByDirection<boolean>;
}

/** The writes that take the rules read from a group to the spec's, on that group; added first, revoked last. */
export interface RuleWrites {
  groupId: string;
  /** Authorize*, one call per direction. Rules rather than IpPermissions: a peer group may be known only at apply. */
  authorize: ByDirection<Rule[]>;
  /** Set on the rules authorized. */
  tags: Tags;
  /** ModifySecurityGroupRules: rules whose description alone changes, in place. */
  redescribe: SecurityGroupRuleUpdate[];
  /** Revoke*, by rule id, one call per direction. */
  revoke: ByDirection<string[]>;
}

/**
 * What update does: the writes on the group the rules were read from; or, when that group has been replaced
 * since (the desired group id is not the observed one), what the rules read say nothing of: the new group's
 * rules are read and converged, as create does.
 */
export type SecurityGroupRulesChange = { writes: RuleWrites } | { converge: SecurityGroupRulesDesired };

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

/** A rule's value in a diff (its label is already the path): that it is allowed, and its description. */
const shown = (rule: Rule) => (rule.description ? `allowed: ${rule.description}` : "allowed");

export const idsByDirection = (rules: readonly ObservedRule[]): ByDirection<string[]> => ({
  ingress: rules.filter((r) => r.direction === "ingress").map((r) => r.id),
  egress: rules.filter((r) => r.direction === "egress").map((r) => r.id),
});

function writesOf(changes: RuleChanges, groupId: string, tags: Tags): RuleWrites {
  const authorized = (direction: RuleDirection) => changes.authorize.filter((c) => c.direction === direction).map((c) => c.rule);
  return {
    groupId,
    authorize: { ingress: authorized("ingress"), egress: authorized("egress") },
    tags,
    redescribe: changes.redescribe.map(({ rule, description }) => ({
      SecurityGroupRuleId: rule.id,
      SecurityGroupRule: withDescription(rule, description),
    })),
    revoke: idsByDirection(changes.revoke.map((c) => c.rule)),
  };
}

/** The writes that converge the rules of the group they were read from (`observed.id`). */
export const ruleWrites = (desired: SecurityGroupRulesDesired, observed: ObservedSecurityGroupRules): RuleWrites =>
  writesOf(planRuleChanges(desired, observed), observed.id, desired.tags);

export const hasWrites = (w: RuleWrites): boolean =>
  DIRECTIONS.some((d) => w.authorize[d].length > 0 || w.revoke[d].length > 0) || w.redescribe.length > 0;

export function diffRules(desired: SecurityGroupRulesDesired, observed: ObservedSecurityGroupRules): Diff<SecurityGroupRulesChange> {
  const changes = planRuleChanges(desired, observed);
  const ruleDiffs: FieldDiff[] = [
    ...changes.authorize.map(({ key, rule }) => ({ path: key, after: shown(rule) })),
    ...changes.revoke.map(({ key, rule }) => ({ path: key, before: shown(rule) })),
    ...changes.redescribe.map(({ key, rule, description }) => ({
      path: `${key}.description`,
      ...(rule.description !== undefined && { before: rule.description }),
      after: description,
    })),
  ];
  ruleDiffs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    lines: [...diffField("groupId", observed.id, desired.groupId), ...ruleDiffs],
    change: desired.groupId === observed.id ? { writes: writesOf(changes, observed.id, desired.tags) } : { converge: desired },
  };
}

export function previewRules(desired: SecurityGroupRulesDesired): FieldDiff[] {
  return DIRECTIONS.flatMap((direction) =>
    [...byKey(desired[direction], direction)].map(([key, rule]) => ({ path: key, after: shown(rule) })),
  );
}

/**
 * The input of either Authorize* action (typed as egress's, which requires the group id): the rules, tagged as
 * the set's. Their peer groups' ids are known by then (at apply).
 */
export function authorizeInput(groupId: string, rules: readonly Rule[], tags: Tags): AuthorizeSecurityGroupEgressCommandInput {
  return {
    GroupId: groupId,
    IpPermissions: rules.map(toIpPermission),
    TagSpecifications: [{ ResourceType: "security-group-rule", Tags: toTagList(tags) }],
  };
}

// ---------------------------------------------------------------------------------------------------------
// The set, from the spec and from AWS.

/** How a rule set is named in plans: never as the group itself, which deleting the set leaves in place. */
const ruleSetName = (group: string) => `rules of ${group}`;

export function rulesNode(spec: Spec, logical: string, entry: SecurityGroupSpec): DesiredNode<SecurityGroupRulesDesired> {
  const groupAddress = addressOf("securityGroups", logical);
  const peers = [...entry.ingress, ...(entry.egress ?? [])].flatMap((r) =>
    r.securityGroup === undefined ? [] : [addressOf("securityGroups", r.securityGroup)],
  );
  const existing = entry.existing;
  const groupName = existing ? ("name" in existing ? existing.name : existing.id) : physicalName(spec, "securityGroups", logical);
  const groupOwned = existing === undefined;
  return desiredNode({
    kind: "securityGroupRules",
    logical,
    name: ruleSetName(groupName),
    dependsOn: [...new Set([groupAddress, ...peers])],
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
  });
}

/** Every rule of the group, as observe and create read it. */
export function ruleSet(
  desired: SecurityGroupRulesDesired,
  groupId: string,
  rules: readonly AwsSecurityGroupRule[],
): ObservedSecurityGroupRules {
  return {
    name: ruleSetName(desired.groupName),
    id: groupId,
    tags: { ...desired.tags },
    rules: rules.map((r) => parseRule(r, desired.tags)),
    claimsUntagged: { ingress: desired.groupOwned, egress: desired.groupOwned && desired.manageEgress },
  };
}

export const isEmpty = (observed: ObservedSecurityGroupRules): boolean =>
  !observed.rules.some((rule) => rule.ours || observed.claimsUntagged[rule.direction]);

/** The stack's tagged rules, one set per node id and group; each named after its group id until namedAfterGroups. */
export function taggedRuleSets(tagged: readonly AwsSecurityGroupRule[]): ObservedSecurityGroupRules[] {
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
  return [...sets.values()];
}

export const namedAfterGroups = (
  sets: readonly ObservedSecurityGroupRules[],
  groups: readonly SecurityGroup[],
): ObservedSecurityGroupRules[] => {
  const names = new Map(groups.map((g) => [g.GroupId, g.GroupName]));
  return sets.map((set) => ({ ...set, name: ruleSetName(names.get(set.id) ?? set.id) }));
};

// ---------------------------------------------------------------------------------------------------------
// moto's missing descriptions of group-peer rules (see withPeerRuleDescriptions in index.ts).

export const describesPeerRules = (desired: SecurityGroupRulesDesired) =>
  [...desired.ingress, ...desired.egress].some((rule) => "groupId" in rule.peer && rule.description !== undefined);

const undescribedPeerRule = (r: AwsSecurityGroupRule) => r.ReferencedGroupInfo?.GroupId !== undefined && !r.Description && !!r.GroupId;

/** The groups whose group-peer rules came without a description. */
export const groupsOfUndescribedPeerRules = (rules: readonly AwsSecurityGroupRule[]): string[] => [
  ...new Set(rules.filter(undescribedPeerRule).map((r) => r.GroupId!)),
];

/** Each group-peer rule without a description, given the one DescribeSecurityGroups reports for it in `groups`. */
export function withPeerDescriptions(rules: readonly AwsSecurityGroupRule[], groups: readonly SecurityGroup[]): AwsSecurityGroupRule[] {
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
    if (!undescribedPeerRule(r)) return r;
    const found = descriptions.get(
      key(r.GroupId!, r.IsEgress === true, r.IpProtocol ?? "-1", r.FromPort, r.ToPort, r.ReferencedGroupInfo!.GroupId!),
    );
    return found ? { ...r, Description: found } : r;
  });
}
