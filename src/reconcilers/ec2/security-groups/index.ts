import {
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DeleteTagsCommand,
  type SecurityGroup,
} from "@aws-sdk/client-ec2";
import { KnownAfterApply, type FieldDiff } from "../../../plan/model.js";
import { describeSecurityGroups } from "../api.js";
import { physicalName } from "../../../schema/names.js";
import type { SecurityGroupSpec } from "../../../schema/security-groups.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, fromTagList, known, refuseReplacementDiffs, tagChanges, toTagList } from "../../shared/diff-helpers.js";
import {
  addressOf,
  ownedTags,
  STACK_TAG,
  type Context,
  type DesiredNode,
  type Observed,
  type Outputs,
  type LegacyReconciler,
  type Tags,
} from "../../shared/types.js";

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

const defaultDescription = (stack: string, logical: string) => `Managed by reconcile: stack ${stack}, ${logical}`;

function securityGroupNode(spec: Spec, logical: string, entry: SecurityGroupSpec): DesiredNode<SecurityGroupDesired> {
  const base = { kind: "securityGroups" as const, logical, address: addressOf("securityGroups", logical), dependsOn: ["network"] };
  const vpcIdOf = (outputs: Outputs) => outputs.string("network", "vpcId");
  const existing = entry.existing;
  if (existing) {
    return {
      ...base,
      name: "name" in existing ? existing.name : existing.id,
      adopt: false,
      readOnly: true,
      build: (outputs) => ({ owned: false, existing, vpcId: vpcIdOf(outputs) }),
    };
  }
  const name = physicalName(spec, "securityGroups", logical);
  return {
    ...base,
    name,
    adopt: entry.adopt ?? false,
    readOnly: false,
    build: (outputs) => ({
      owned: true,
      name,
      vpcId: vpcIdOf(outputs),
      description: entry.description ?? defaultDescription(spec.stack, logical),
      descriptionSet: entry.description !== undefined,
      tags: ownedTags(spec, "securityGroups", logical, entry.tags),
    }),
  };
}

function toObserved(group: SecurityGroup): ObservedSecurityGroup {
  return {
    name: group.GroupName!,
    id: group.GroupId!,
    tags: fromTagList(group.Tags),
    vpcId: group.VpcId!,
    description: group.Description ?? "",
  };
}

const unique = (values: readonly string[]) => [...new Set(values)];

/**
 * Groups by name (in the spec's VPC) come from one call filtered by vpc-id and group-name, groups by id from
 * one filtered by group-id: filters are ANDed, so the two cannot share a call. Filters rather than
 * GroupIds/GroupNames, because those fail the whole call when one group is missing.
 */
async function observeSecurityGroups(
  desired: ReadonlyArray<{ address: string; value: SecurityGroupDesired }>,
  ctx: Context,
): Promise<Map<string, ObservedSecurityGroup>> {
  const byName: Array<{ address: string; name: string; vpcId: string }> = [];
  const byId: Array<{ address: string; id: string }> = [];
  for (const { address, value } of desired) {
    const selector = value.owned ? { name: value.name } : value.existing;
    if ("id" in selector) byId.push({ address, id: selector.id });
    // A group in a VPC not known yet cannot exist.
    else if (typeof value.vpcId === "string") byName.push({ address, name: selector.name, vpcId: value.vpcId });
  }

  const [named, identified] = await Promise.all([
    byName.length === 0
      ? []
      : describeSecurityGroups(ctx, [
          { Name: "vpc-id", Values: unique(byName.map((g) => g.vpcId)) },
          { Name: "group-name", Values: unique(byName.map((g) => g.name)) },
        ]),
    byId.length === 0 ? [] : describeSecurityGroups(ctx, [{ Name: "group-id", Values: unique(byId.map((g) => g.id)) }]),
  ]);

  const found = new Map<string, ObservedSecurityGroup>();
  for (const { address, name, vpcId } of byName) {
    const group = named.find((g) => g.GroupName === name && g.VpcId === vpcId);
    if (group) found.set(address, toObserved(group));
  }
  for (const { address, id } of byId) {
    const group = identified.find((g) => g.GroupId === id);
    if (group) found.set(address, toObserved(group));
  }
  return found;
}

function diffSecurityGroup(desired: SecurityGroupDesired, observed: ObservedSecurityGroup): FieldDiff[] {
  if (!desired.owned) return [];
  return [
    ...diffField("vpcId", observed.vpcId, desired.vpcId, { forcesReplacement: true }),
    // AWS cannot change a group's description; one the spec does not set is not drift (an adopted group keeps its own).
    ...(desired.descriptionSet ? diffField("description", observed.description, desired.description, { forcesReplacement: true }) : []),
    ...diffTags(desired.tags, observed.tags),
  ];
}

function ownedOnly(desired: SecurityGroupDesired, action: string): OwnedSecurityGroupDesired {
  if (!desired.owned)
    throw new Error(`cannot ${action} a security group the stack does not own (existing: ${JSON.stringify(desired.existing)})`);
  return desired;
}

async function createSecurityGroup(desired: SecurityGroupDesired, ctx: Context): Promise<ObservedSecurityGroup> {
  const group = ownedOnly(desired, "create");
  const vpcId = known(group.vpcId, `the VPC of security group ${group.name}`);
  const created = await ctx.clients.ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: group.name,
      Description: group.description,
      VpcId: vpcId,
      TagSpecifications: [{ ResourceType: "security-group", Tags: toTagList(group.tags) }],
    }),
  );
  return { name: group.name, id: created.GroupId!, tags: { ...group.tags }, vpcId, description: group.description };
}

/** Only tags change in place: the VPC and the description force a replacement, which the engine does as delete + create. */
async function updateSecurityGroup(
  desired: SecurityGroupDesired,
  observed: ObservedSecurityGroup,
  diffs: readonly FieldDiff[],
  ctx: Context,
): Promise<ObservedSecurityGroup> {
  const group = ownedOnly(desired, "update");
  refuseReplacementDiffs(`security group ${group.name}`, diffs);
  const { set, remove } = tagChanges(diffs, group.tags);
  if (Object.keys(set).length > 0) {
    await ctx.clients.ec2.send(new CreateTagsCommand({ Resources: [observed.id], Tags: toTagList(set) }));
  }
  if (remove.length > 0) {
    await ctx.clients.ec2.send(new DeleteTagsCommand({ Resources: [observed.id], Tags: remove.map((Key) => ({ Key })) }));
  }
  const tags = { ...observed.tags, ...set };
  for (const key of remove) delete tags[key];
  return { ...observed, tags };
}

async function deleteSecurityGroup(observed: ObservedSecurityGroup, ctx: Context): Promise<void> {
  try {
    await ctx.clients.ec2.send(new DeleteSecurityGroupCommand({ GroupId: observed.id }));
  } catch (error) {
    if ((error as { name?: string }).name === "InvalidGroup.NotFound") return;
    throw error;
  }
}

function previewSecurityGroup(desired: SecurityGroupDesired): FieldDiff[] {
  if (!desired.owned) return [];
  return [
    { path: "name", after: desired.name },
    { path: "vpcId", after: desired.vpcId },
    { path: "description", after: desired.description },
    ...Object.entries(desired.tags).map(([key, value]) => ({ path: `tags.${key}`, after: value })),
  ];
}

/** Security groups: created with their tags, changed in place only in their tags; rules are a kind of their own. */
export const securityGroupsReconciler: LegacyReconciler<SecurityGroupDesired, ObservedSecurityGroup> = {
  kind: "securityGroups",
  refersTo: ["network"],
  looksUp: ["network"],
  nodes: (spec) => Object.entries(spec.securityGroups).map(([logical, entry]) => securityGroupNode(spec, logical, entry)),
  observe: observeSecurityGroups,
  discover: async (ctx) => (await describeSecurityGroups(ctx, [{ Name: `tag:${STACK_TAG}`, Values: [ctx.stack] }])).map(toObserved),
  diff: diffSecurityGroup,
  create: createSecurityGroup,
  update: updateSecurityGroup,
  delete: deleteSecurityGroup,
  preview: previewSecurityGroup,
  outputs: (observed) => ({ id: observed.id, name: observed.name }),
};
