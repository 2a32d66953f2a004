import type { CreateSecurityGroupCommandInput, SecurityGroup } from "@aws-sdk/client-ec2";
import { KnownAfterApply, type FieldDiff } from "../../../plan/model.js";
import { physicalName } from "../../../schema/names.js";
import type { SecurityGroupSpec } from "../../../schema/security-groups.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, fromTagList, known, tagChange, toTagList, type TagChange } from "../../diff-helpers.js";
import { fingerprint } from "../../fingerprint.js";
import {
  desiredNode,
  ID_TAG,
  ownedTags,
  STACK_TAG,
  type DesiredNode,
  type Diff,
  type Observed,
  type Outputs,
  type Tags,
} from "../../contract.js";

/** A group the stack creates and owns. */
export interface OwnedSecurityGroupDesired {
  owned: true;
  /** The spec's name; the successor of a replacement (successorOf) carries the name it is created under instead. */
  name: string;
  vpcId: string | KnownAfterApply;
  /** The spec's description, or the default used when the group is created. */
  description: string;
  /** The spec sets `description`: only then is a different live one a change (AWS cannot change it: replacement). */
  descriptionSet: boolean;
  tags: Tags;
}

/** A group the stack uses but does not own (`existing`): looked up, never created, changed or deleted. */
export interface ExistingSecurityGroupDesired {
  owned: false;
  existing: NonNullable<SecurityGroupSpec["existing"]>;
  vpcId: string | KnownAfterApply;
}

export type SecurityGroupDesired = OwnedSecurityGroupDesired | ExistingSecurityGroupDesired;

export interface ObservedSecurityGroup extends Observed {
  vpcId: string;
  description: string;
}

/**
 * Only tags change in place: the VPC and the description force a replacement, which the engine does create-first
 * (successorOf): the new group beside the old one, what uses the old one moved over, then the old one deleted.
 */
export interface SecurityGroupChange {
  tags: TagChange;
}

const defaultDescription = (stack: string, logical: string) => `Managed by reconcile: stack ${stack}, ${logical}`;

export function securityGroupNode(spec: Spec, logical: string, entry: SecurityGroupSpec): DesiredNode<SecurityGroupDesired> {
  const base = { kind: "securityGroups" as const, logical, dependsOn: ["network"] };
  const vpcIdOf = (outputs: Outputs) => outputs.string("network", "vpcId");
  const existing = entry.existing;
  if (existing) {
    return desiredNode({
      ...base,
      name: "name" in existing ? existing.name : existing.id,
      readOnly: true,
      build: (outputs) => ({ owned: false, existing, vpcId: vpcIdOf(outputs) }),
    });
  }
  const name = physicalName(spec, "securityGroups", logical);
  return desiredNode({
    ...base,
    name,
    adopt: entry.adopt ?? false,
    build: (outputs) => ({
      owned: true,
      name,
      vpcId: vpcIdOf(outputs),
      description: entry.description ?? defaultDescription(spec.stack, logical),
      descriptionSet: entry.description !== undefined,
      tags: ownedTags(spec, "securityGroups", logical, entry.tags),
    }),
  });
}

export function toObserved(group: SecurityGroup): ObservedSecurityGroup {
  return {
    name: group.GroupName!,
    id: group.GroupId!,
    tags: fromTagList(group.Tags),
    vpcId: group.VpcId!,
    description: group.Description ?? "",
  };
}

const NO_TAG_WRITES: TagChange = { set: {}, remove: [] };

export function diffSecurityGroup(desired: SecurityGroupDesired, observed: ObservedSecurityGroup): Diff<SecurityGroupChange> {
  if (!desired.owned) return { lines: [], change: { tags: NO_TAG_WRITES } };
  // Under the spec's name or a generation name a group is what the spec names; under any other (the spec renamed
  // it), it is replaced.
  const renamed = !isNameOf(desired, observed.name);
  return {
    lines: [
      ...(renamed ? [{ path: "name", before: observed.name, after: desired.name, forcesReplacement: true }] : []),
      ...diffField("vpcId", observed.vpcId, desired.vpcId, { forcesReplacement: true }),
      // AWS cannot change a group's description; one the spec does not set is not drift (an adopted group keeps its own).
      ...(desired.descriptionSet ? diffField("description", observed.description, desired.description, { forcesReplacement: true }) : []),
      ...diffTags(desired.tags, observed.tags),
    ],
    change: { tags: tagChange(desired.tags, observed.tags) },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Names and replacement. A group's name is unique in its VPC and its description cannot change, so a new
// description needs a new group that exists beside the old one while the load balancers, services and rules
// that use the old one move over: a second name. Each group has the spec's name and a generation name,
// `<name>-<first 7 hex of the sha256 of the canonical JSON of {description, vpcId}>`; a replacement takes the
// spec's name when the live group does not hold it, the generation name otherwise, so generations alternate.

const generationPrefix = (name: string) => `${name.slice(0, 247)}-`;

/** `<name cut to 247 characters>-<7 hex>`: at most 255 characters, AWS's limit. */
export function generationName(name: string, description: string, vpcId: string): string {
  return `${generationPrefix(name)}${fingerprint({ description, vpcId }, 7)}`;
}

/** The spec's name or a generation name of it, this one or an older one (another description's). */
export function isNameOf(desired: OwnedSecurityGroupDesired, name: string): boolean {
  if (name === desired.name) return true;
  const prefix = generationPrefix(desired.name);
  return name.length === prefix.length + 7 && name.startsWith(prefix) && /^[0-9a-f]{7}$/.test(name.slice(prefix.length));
}

/** The desired group's generation name; undefined while its VPC is not known (no group can be in it yet). */
export const generationNameOf = (desired: OwnedSecurityGroupDesired): string | undefined =>
  desired.vpcId instanceof KnownAfterApply ? undefined : generationName(desired.name, desired.description, desired.vpcId);

/** The names a live group of this node may have: the spec's and the generation name. */
export const candidateNames = (desired: OwnedSecurityGroupDesired): string[] =>
  [desired.name, generationNameOf(desired)].filter((name) => name !== undefined);

const isOurs = (desired: OwnedSecurityGroupDesired, live: ObservedSecurityGroup) =>
  live.tags[STACK_TAG] === desired.tags[STACK_TAG] && live.tags[ID_TAG] === desired.tags[ID_TAG];

/** The live group already has what AWS cannot change (its VPC is the desired one: observe looked for it there). */
const isCurrent = (desired: OwnedSecurityGroupDesired, live: ObservedSecurityGroup) =>
  live.vpcId === desired.vpcId && (!desired.descriptionSet || live.description === desired.description);

/** The spec's name first, then the generation name, then any older name in order. */
function byNameRank(desired: OwnedSecurityGroupDesired) {
  const rank = (g: ObservedSecurityGroup) => {
    const index = candidateNames(desired).indexOf(g.name);
    return index < 0 ? Number.MAX_SAFE_INTEGER : index;
  };
  return (a: ObservedSecurityGroup, b: ObservedSecurityGroup) => rank(a) - rank(b) || a.name.localeCompare(b.name);
}

/**
 * The live group a node is, among those found in its VPC under its two names or by its ownership tag: ours and
 * current (the spec's name first, then the generation name); else the one with the spec's name, whoever owns it
 * (the planner judges); else any of ours, which is then replaced. The other of two of ours (a run stopped between
 * creating a successor and deleting the old one) is found by discover and deleted as an older copy.
 */
export function pickSecurityGroup(
  desired: OwnedSecurityGroupDesired,
  candidates: readonly ObservedSecurityGroup[],
): ObservedSecurityGroup | undefined {
  const ours = candidates.filter((g) => isOurs(desired, g)).sort(byNameRank(desired));
  return ours.find((g) => isCurrent(desired, g)) ?? candidates.find((g) => g.name === desired.name) ?? ours[0];
}

/** The new group of a replacement: named the spec's name unless the live one is, then the generation name. */
export function successorOf(
  desired: SecurityGroupDesired,
  observed: ObservedSecurityGroup,
): { desired: SecurityGroupDesired; name: string } {
  const group = ownedOnly(desired, "replace");
  const vpcId = known(group.vpcId, `the VPC of security group ${group.name}`);
  const name = observed.name === group.name ? generationName(group.name, group.description, vpcId) : group.name;
  return { desired: { ...group, name }, name };
}

export function ownedOnly(desired: SecurityGroupDesired, action: string): OwnedSecurityGroupDesired {
  if (!desired.owned)
    throw new Error(`cannot ${action} a security group the stack does not own (existing: ${JSON.stringify(desired.existing)})`);
  return desired;
}

/** The group with its tags, in the VPC the engine has looked up by now. */
export function createSecurityGroupInput(group: OwnedSecurityGroupDesired): CreateSecurityGroupCommandInput & { VpcId: string } {
  return {
    GroupName: group.name,
    Description: group.description,
    VpcId: known(group.vpcId, `the VPC of security group ${group.name}`),
    TagSpecifications: [{ ResourceType: "security-group", Tags: toTagList(group.tags) }],
  };
}

export function previewSecurityGroup(desired: SecurityGroupDesired): FieldDiff[] {
  if (!desired.owned) return [];
  return [
    { path: "name", after: desired.name },
    { path: "vpcId", after: desired.vpcId },
    { path: "description", after: desired.description },
    ...Object.entries(desired.tags).map(([key, value]) => ({ path: `tags.${key}`, after: value })),
  ];
}
