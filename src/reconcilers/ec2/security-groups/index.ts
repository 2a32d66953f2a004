import { CreateSecurityGroupCommand, DeleteSecurityGroupCommand, type SecurityGroup } from "@aws-sdk/client-ec2";
import { isNotFound } from "../../../aws/errors.js";
import { applyTagChange, fromTagList } from "../../diff-helpers.js";
import { unique } from "../../collections.js";
import { ID_TAG, sharedRead, STACK_TAG, type Context, type Reconciler } from "../../contract.js";
import { describeSecurityGroups, writeEc2Tags } from "../api.js";
import { createRecognising } from "../../recognise.js";
import {
  candidateNames,
  createSecurityGroupInput,
  diffSecurityGroup,
  ownedOnly,
  pickSecurityGroup,
  previewSecurityGroup,
  securityGroupNode,
  successorOf,
  toObserved,
  type ObservedSecurityGroup,
  type OwnedSecurityGroupDesired,
  type SecurityGroupChange,
  type SecurityGroupDesired,
} from "./model.js";

/**
 * The stack's groups, by EC2's own tag filter (consistent, unlike the Tagging API): read once per plan, by
 * observe (a group of ours under an older name) and by discover.
 */
const stackGroups = (ctx: Context) =>
  sharedRead(ctx, "ec2 DescribeSecurityGroups of the stack", () =>
    describeSecurityGroups(ctx, [{ Name: `tag:${STACK_TAG}`, Values: [ctx.stack] }]),
  );

/**
 * Groups by name (in the spec's VPC, under the spec's name or the generation name: see model.ts) come from one
 * call filtered by vpc-id and group-name, groups by id from one filtered by group-id: filters are ANDed, so the
 * two cannot share a call. Filters rather than GroupIds/GroupNames, because those fail the whole call when one
 * group is missing. Beside them, the stack's groups: an owned node's group may still have an older generation's
 * name (a replacement, or a rename in the spec, is then planned from it).
 */
async function observeSecurityGroups(
  desired: ReadonlyArray<{ address: string; value: SecurityGroupDesired }>,
  ctx: Context,
): Promise<Map<string, ObservedSecurityGroup>> {
  const byName: Array<{ address: string; names: string[]; vpcId: string; owned?: OwnedSecurityGroupDesired }> = [];
  const byId: Array<{ address: string; id: string }> = [];
  for (const { address, value } of desired) {
    // A group in a VPC not known yet cannot exist.
    if (value.owned) {
      if (typeof value.vpcId === "string") byName.push({ address, names: candidateNames(value), vpcId: value.vpcId, owned: value });
    } else if ("id" in value.existing) byId.push({ address, id: value.existing.id });
    else if (typeof value.vpcId === "string") byName.push({ address, names: [value.existing.name], vpcId: value.vpcId });
  }

  const [named, identified, ours] = await Promise.all([
    byName.length === 0
      ? []
      : describeSecurityGroups(ctx, [
          { Name: "vpc-id", Values: unique(byName.map((g) => g.vpcId)) },
          { Name: "group-name", Values: unique(byName.flatMap((g) => g.names)) },
        ]),
    byId.length === 0 ? [] : describeSecurityGroups(ctx, [{ Name: "group-id", Values: unique(byId.map((g) => g.id)) }]),
    byName.some((g) => g.owned) ? stackGroups(ctx) : [],
  ]);

  const found = new Map<string, ObservedSecurityGroup>();
  for (const { address, names, vpcId, owned } of byName) {
    const inVpc = (g: SecurityGroup) => g.VpcId === vpcId;
    const byItsName = named.filter((g) => inVpc(g) && names.includes(g.GroupName!));
    const taggedAsIt = owned
      ? ours.filter((g) => inVpc(g) && !byItsName.includes(g) && fromTagList(g.Tags)[ID_TAG] === owned.tags[ID_TAG])
      : [];
    const candidates = [...byItsName, ...taggedAsIt].map(toObserved);
    const group = owned ? pickSecurityGroup(owned, candidates) : candidates[0];
    if (group) found.set(address, group);
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
  const create = async (): Promise<ObservedSecurityGroup> => {
    const created = await ctx.clients.ec2.send(new CreateSecurityGroupCommand(input));
    return { name: group.name, id: created.GroupId!, tags: { ...group.tags }, vpcId: input.VpcId, description: group.description };
  };
  // CreateSecurityGroup takes no ClientToken: a repeated one answers InvalidGroup.Duplicate.
  return createRecognising(create, group.tags, {
    alreadyExists: ["InvalidGroup.Duplicate"],
    read: async () =>
      (
        await describeSecurityGroups(ctx, [
          { Name: "vpc-id", Values: [input.VpcId] },
          { Name: "group-name", Values: [group.name] },
        ])
      ).map(toObserved)[0],
    tagsOf: (found) => found.tags,
    matches: (found) => found.description === group.description,
  });
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

/**
 * Security groups: created with their tags, changed in place only in their tags; rules are a kind of their own.
 * A new description is a replacement, create-first under the other of the group's two names (model.ts).
 */
export const securityGroupsReconciler: Reconciler<SecurityGroupDesired, ObservedSecurityGroup, SecurityGroupChange> = {
  kind: "securityGroups",
  refersTo: ["network"],
  looksUp: ["network"],
  nodes: (spec) => Object.entries(spec.securityGroups).map(([logical, entry]) => securityGroupNode(spec, logical, entry)),
  observe: observeSecurityGroups,
  discover: async (ctx) => (await stackGroups(ctx)).map(toObserved),
  diff: diffSecurityGroup,
  create: createSecurityGroup,
  update: updateSecurityGroup,
  delete: deleteSecurityGroup,
  preview: previewSecurityGroup,
  outputs: (observed) => ({ id: observed.id, name: observed.name }),
  successor: successorOf,
};
