import type { CreateSecurityGroupCommandInput, SecurityGroup } from "@aws-sdk/client-ec2";
import type { FieldDiff, KnownAfterApply } from "../../../plan/model.js";
import { physicalName } from "../../../schema/names.js";
import type { SecurityGroupSpec } from "../../../schema/security-groups.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, fromTagList, known, tagChange, toTagList, type TagChange } from "../../diff-helpers.js";
import { desiredNode, ownedTags, type DesiredNode, type Diff, type Observed, type Outputs, type Tags } from "../../contract.js";

/** A group the stack creates and owns. */
export interface OwnedSecurityGroupDesired {
  owned: true;
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

/** Only tags change in place: the VPC and the description force a replacement, which the engine does as delete + create. */
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
  return {
    lines: [
      ...diffField("vpcId", observed.vpcId, desired.vpcId, { forcesReplacement: true }),
      // AWS cannot change a group's description; one the spec does not set is not drift (an adopted group keeps its own).
      ...(desired.descriptionSet ? diffField("description", observed.description, desired.description, { forcesReplacement: true }) : []),
      ...diffTags(desired.tags, observed.tags),
    ],
    change: { tags: tagChange(desired.tags, observed.tags) },
  };
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
