import { CreateSecurityGroupCommand, DeleteSecurityGroupCommand } from "@aws-sdk/client-ec2";
import { isNotFound } from "../../../aws/errors.js";
import { applyTagChange } from "../../diff-helpers.js";
import { unique } from "../../collections.js";
import { STACK_TAG, type Context, type Reconciler } from "../../contract.js";
import { describeSecurityGroups, writeEc2Tags } from "../api.js";
import {
  createSecurityGroupInput,
  diffSecurityGroup,
  ownedOnly,
  previewSecurityGroup,
  securityGroupNode,
  toObserved,
  type ObservedSecurityGroup,
  type SecurityGroupChange,
  type SecurityGroupDesired,
} from "./model.js";

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

async function createSecurityGroup(desired: SecurityGroupDesired, ctx: Context): Promise<ObservedSecurityGroup> {
  const group = ownedOnly(desired, "create");
  const input = createSecurityGroupInput(group);
  const created = await ctx.clients.ec2.send(new CreateSecurityGroupCommand(input));
  return { name: group.name, id: created.GroupId!, tags: { ...group.tags }, vpcId: input.VpcId, description: group.description };
}

async function updateSecurityGroup(
  change: SecurityGroupChange,
  observed: ObservedSecurityGroup,
  ctx: Context,
): Promise<ObservedSecurityGroup> {
  await writeEc2Tags(ctx, observed.id, change.tags);
  return { ...observed, tags: applyTagChange(observed.tags, change.tags) };
}

async function deleteSecurityGroup(observed: ObservedSecurityGroup, ctx: Context): Promise<void> {
  try {
    await ctx.clients.ec2.send(new DeleteSecurityGroupCommand({ GroupId: observed.id }));
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
}

/** Security groups: created with their tags, changed in place only in their tags; rules are a kind of their own. */
export const securityGroupsReconciler: Reconciler<SecurityGroupDesired, ObservedSecurityGroup, SecurityGroupChange> = {
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
