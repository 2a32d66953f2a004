/**
 * Target groups (ELBv2).
 *
 * Names and replacement. A target group's name is unique per account and region, and AWS cannot change its
 * port, protocol, protocol version, target type or VPC: changing one takes a new group, which must exist beside
 * the old one while the listeners that forward to it move over. So a group has two names: the spec's `name`
 * (explicit, such as `tgCurso107`, or the default `<stack>-<logical>`) and its generation name,
 * `generationName(name, immutables)` = `<name cut to 24 characters>-<first 7 hex of the sha256 of the canonical
 * JSON of {port, protocol, protocolVersion, targetType, vpcId}>`, at most 32 characters (a hyphen the cut ends
 * with is dropped: AWS refuses two in a row). `successor` names the new group `name` when the live one is called
 * anything else, else the generation name: generations alternate, and an explicitly named group keeps its exact
 * name whenever it can. The engine creates the successor, moves the listeners over, then deletes the old group
 * with the run's other deletions.
 *
 * observe looks for each node's candidates by name (`name`; the generation name only when no group of ours with
 * the desired immutables turned up already) and by the ownership tag `reconcile:id=targetGroups/<logical>`
 * (Tagging API, then DescribeTargetGroups by ARN), and picks: one of ours with the desired immutables, the one
 * named `name` first; else whatever is named `name` (the planner judges whose it is); else any of ours. Every
 * other group of the stack is found by `discover` and pruned by the engine as an older copy, so a crash
 * between creating a successor and deleting the old group is repaired by the next run.
 *
 * Only the health-check fields the spec sets are compared (AWS's defaults depend on protocol and target type);
 * the attributes the tool manages (deregistration delay, stickiness) are enforced, AWS's defaults included.
 */
import {
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  paginateDescribeTargetGroups,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  type ProtocolEnum,
  type TargetGroup,
  type TargetTypeEnum,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { awsErrorIs, formatAwsError, isNotFound } from "../../../aws/errors.js";
import { applyTagChange, known, toTagList } from "../../diff-helpers.js";
import { findTaggedResources, resourcesOfType } from "../../tagged-resources.js";
import { ID_TAG, STACK_TAG, sharedRead, type Context, type Reconciler, type Tags } from "../../contract.js";
import type { ResourceStatus } from "../../../plan/status.js";
import { describeEach, describeWithTags, readElbTags, writeElbTags } from "../api.js";
import { createRecognising } from "../../recognise.js";
import { arnSuffix, attributeList, attributeMap } from "../model.js";
import {
  diffAttributes,
  diffTargetGroup,
  generationNameOf,
  healthCheckInput,
  healthCheckOf,
  isOurs,
  pickTargetGroup,
  previewTargetGroup,
  sameImmutables,
  successorOf,
  targetGroupNodes,
  toObservedTargetGroup,
  type ObservedTargetGroup,
  type TargetGroupChange,
  type TargetGroupDesired,
} from "./model.js";
import { targetGroupStatusOf } from "./status.js";

// ---------------------------------------------------------------------------------------------------------
// Writes

async function writeAttributes(ctx: Context, arn: string, writes: Record<string, string>): Promise<void> {
  if (Object.keys(writes).length === 0) return;
  await ctx.clients.elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: attributeList(writes) }));
}

/** One CreateTargetGroup with the tags; one ModifyTargetGroupAttributes only when an attribute is not AWS's default. */
async function createTargetGroup(desired: TargetGroupDesired, ctx: Context): Promise<ObservedTargetGroup> {
  const name = desired.createAs ?? desired.name;
  const vpcId = desired.vpcId === null ? null : known(desired.vpcId, `the VPC of target group ${name}`);
  const command = new CreateTargetGroupCommand({
    Name: name,
    TargetType: desired.targetType as TargetTypeEnum,
    ...(desired.protocol !== null && { Protocol: desired.protocol as ProtocolEnum }),
    ...(desired.protocolVersion !== null && { ProtocolVersion: desired.protocolVersion }),
    ...(desired.port !== null && { Port: desired.port }),
    ...(vpcId !== null && { VpcId: vpcId }),
    ...healthCheckInput(desired.healthCheck),
    Tags: toTagList(desired.tags),
  });
  const send = async () => ({ found: (await ctx.clients.elbv2.send(command)).TargetGroups?.[0] });
  // AWS answers a CreateTargetGroup repeated with the same settings with the group it made; moto (5.2) answers
  // DuplicateTargetGroupName, as AWS does for different settings: the group found is then compared.
  const { found: group } = await createRecognising(send, desired.tags, {
    alreadyExists: ["DuplicateTargetGroupName"],
    read: async () => {
      const describe = async () => (await ctx.clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] }))).TargetGroups ?? [];
      return (await describeWithTags(ctx, describe, (g) => g.TargetGroupArn))[0];
    },
    tagsOf: (named) => named.tags,
    matches: ({ found }) =>
      found.TargetType === desired.targetType &&
      (desired.protocol === null || found.Protocol === desired.protocol) &&
      (desired.port === null || found.Port === desired.port) &&
      (vpcId === null || found.VpcId === vpcId),
  });
  if (!group?.TargetGroupArn) throw new Error(`target group ${name}: CreateTargetGroup answered without the group`);
  // A new group has AWS's defaults: only what differs from them is written.
  const { writes } = diffAttributes(desired.attributes, {});
  await writeAttributes(ctx, group.TargetGroupArn, writes);
  return toObservedTargetGroup(group, writes, { ...desired.tags });
}

/** One ModifyTargetGroup for the changed health-check fields, one ModifyTargetGroupAttributes for the changed attributes, then the tags. */
async function updateTargetGroup(change: TargetGroupChange, observed: ObservedTargetGroup, ctx: Context): Promise<ObservedTargetGroup> {
  if (change.healthCheck) {
    await ctx.clients.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: observed.id, ...change.healthCheck }));
  }
  await writeAttributes(ctx, observed.id, change.attributes);
  await writeElbTags(ctx, observed.id, change.tags);
  return {
    ...observed,
    healthCheck: { ...observed.healthCheck, ...healthCheckOf(change.healthCheck ?? {}) },
    attributes: { ...observed.attributes, ...change.attributes },
    tags: applyTagChange(observed.tags, change.tags),
  };
}

/** Gone already is success. A group a listener or rule still forwards to cannot go (after the AWS layer's retries). */
async function deleteTargetGroup(observed: ObservedTargetGroup, ctx: Context): Promise<void> {
  try {
    await ctx.clients.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: observed.id }));
  } catch (error) {
    if (isNotFound(error)) return;
    if (awsErrorIs(error, "ResourceInUse")) {
      const message = `target group ${observed.name} is still used by a listener or rule, so it cannot be deleted: ${formatAwsError(error)}`;
      throw new Error(message, { cause: error });
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reads

/**
 * Every target group of the region, once per plan: what a lookup by names falls back on when one of a batch does
 * not exist (ELBv2 then fails the whole batch), instead of asking for each name alone. A plan of new groups, or the
 * generation names of groups that have none yet, would otherwise cost a call per name.
 */
function allTargetGroups(ctx: Context): Promise<TargetGroup[]> {
  return sharedRead(ctx, "elbTargetGroups", async () => {
    const groups: TargetGroup[] = [];
    for await (const page of paginateDescribeTargetGroups({ client: ctx.clients.elbv2 }, { PageSize: 400 })) {
      groups.push(...(page.TargetGroups ?? []));
    }
    return groups;
  });
}

const describeByNames = (ctx: Context, names: readonly string[]) =>
  describeEach(
    names,
    async (batch) => (await ctx.clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: batch }))).TargetGroups ?? [],
    async (batch) => (await allTargetGroups(ctx)).filter((g) => batch.includes(g.TargetGroupName ?? "")),
  );

const describeByArns = (ctx: Context, arns: readonly string[]) =>
  describeEach(
    arns,
    async (batch) => (await ctx.clients.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: batch }))).TargetGroups ?? [],
    async (batch) => (await allTargetGroups(ctx)).filter((g) => batch.includes(g.TargetGroupArn ?? "")),
  );

/** The target groups the Tagging API lists as the stack's (possibly one deleted a moment ago). */
async function stackTargetGroups(ctx: Context) {
  return resourcesOfType(await findTaggedResources(ctx), "elasticloadbalancing", "targetgroup");
}

/** The groups' attributes, one call each, side by side; undefined for a group deleted since it was described. */
async function readAttributes(ctx: Context, arns: readonly string[]): Promise<Map<string, Record<string, string> | undefined>> {
  const read = async (arn: string) => {
    try {
      return attributeMap((await ctx.clients.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }))).Attributes);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
  return new Map(await Promise.all(arns.map(async (arn) => [arn, await read(arn)] as const)));
}

/** The group with its attributes; undefined for one deleted since it was described. */
function withAttributes(group: ObservedTargetGroup, attributes: ReadonlyMap<string, Record<string, string> | undefined>) {
  const read = attributes.get(group.id);
  return read && { ...group, attributes: read };
}

/**
 * Every group that may be one of the nodes': named `name`, tagged with a node's ownership id, or named the
 * generation name; with the tags the Tagging API gives the stack's groups.
 */
async function findCandidates(
  desired: readonly TargetGroupDesired[],
  ctx: Context,
): Promise<{ found: TargetGroup[]; taggedAs: Map<string, Tags> }> {
  const names = desired.map((d) => d.name);
  const [tagged, named] = await Promise.all([stackTargetGroups(ctx), describeByNames(ctx, names)]);
  const found = new Map(named.map((g) => [g.TargetGroupArn!, g]));
  const ids = new Set(desired.map((d) => d.ownershipId));
  const ownedArns = tagged.filter((r) => ids.has(r.tags[ID_TAG] ?? "") && !found.has(r.arn)).map((r) => r.arn);
  for (const g of await describeByArns(ctx, ownedArns)) found.set(g.TargetGroupArn!, g);

  // The generation name is only looked up for a node with no group of ours with the desired immutables among
  // those found so far (as the Tagging API tags them): then it may be a successor the Tagging API does not
  // list yet. Every other run saves the call, which would fail as not found.
  const taggedAs = new Map(tagged.map((r) => [r.arn, r.tags]));
  const settled = (value: TargetGroupDesired) =>
    [...found.values()].some(
      (g) => isOurs(taggedAs.get(g.TargetGroupArn!) ?? {}, value, ctx.stack) && sameImmutables(value, toObservedTargetGroup(g, {}, {})),
    );
  const generations = desired.flatMap((value) => (settled(value) ? [] : [generationNameOf(value)].filter((n) => n !== undefined)));
  for (const g of await describeByNames(ctx, generations)) found.set(g.TargetGroupArn!, g);
  return { found: [...found.values()], taggedAs };
}

/** The group each node is among the candidates, by address. */
function pickEach(
  desired: ReadonlyArray<{ address: string; value: TargetGroupDesired }>,
  candidates: readonly ObservedTargetGroup[],
  stack: string,
): Map<string, ObservedTargetGroup> {
  return new Map(
    desired.flatMap(({ address, value }) => {
      const group = pickTargetGroup(value, candidates, stack);
      return group ? [[address, group] as const] : [];
    }),
  );
}

/**
 * Ownership is judged on the tags readElbTags gives: the Tagging API's for the groups it lists as the stack's,
 * DescribeTags' for the others (one of the stack's it does not list yet among them). The attributes of the groups
 * the Tagging API's tags would pick are read beside DescribeTags; a group DescribeTags picks instead has its
 * attributes read after. Every picked group's attributes are read, whatever its spec sets: the ones the tool
 * manages are enforced, AWS's defaults for what the spec leaves out (see the header), so a stickiness or
 * deregistration delay changed by hand is set back; that is one call per group, since
 * DescribeTargetGroupAttributes takes one.
 */
async function observeTargetGroups(
  desired: ReadonlyArray<{ address: string; value: TargetGroupDesired }>,
  ctx: Context,
): Promise<Map<string, ObservedTargetGroup>> {
  if (desired.length === 0) return new Map();
  const values = desired.map((d) => d.value);
  const { found, taggedAs } = await findCandidates(values, ctx);
  const arns = found.map((g) => g.TargetGroupArn!);
  const pickedWith = (tags: ReadonlyMap<string, Tags>) =>
    pickEach(
      desired,
      found.map((g) => toObservedTargetGroup(g, {}, tags.get(g.TargetGroupArn!) ?? {})),
      ctx.stack,
    );
  const idsOf = (picked: Map<string, ObservedTargetGroup>) => [...new Set([...picked.values()].map((g) => g.id))];
  const [tags, attributes] = await Promise.all([readElbTags(ctx, arns), readAttributes(ctx, idsOf(pickedWith(taggedAs)))]);
  const picked = pickedWith(tags);
  const late = idsOf(picked).filter((arn) => !attributes.has(arn));
  for (const [arn, read] of await readAttributes(ctx, late)) attributes.set(arn, read);
  return new Map(
    [...picked].flatMap(([address, group]) => {
      const complete = withAttributes(group, attributes);
      return complete ? [[address, complete] as const] : [];
    }),
  );
}

/** Every group the Tagging API lists as the stack's, not in `known`, confirmed live and still the stack's. */
async function discoverTargetGroups(ctx: Context, knownIds: ReadonlySet<string>): Promise<ObservedTargetGroup[]> {
  const arns = (await stackTargetGroups(ctx)).map((r) => r.arn).filter((arn) => !knownIds.has(arn));
  const groups = await describeByArns(ctx, arns);
  if (groups.length === 0) return [];
  const tags = await readElbTags(
    ctx,
    groups.map((g) => g.TargetGroupArn!),
  );
  const owned = groups
    .map((g) => toObservedTargetGroup(g, {}, tags.get(g.TargetGroupArn!) ?? {}))
    .filter((g) => g.tags[STACK_TAG] === ctx.stack);
  const attributes = await readAttributes(
    ctx,
    owned.map((g) => g.id),
  );
  return owned.flatMap((g) => withAttributes(g, attributes) ?? []).sort((a, b) => a.name.localeCompare(b.name));
}

/** The targets' health: one DescribeTargetHealth per group (it takes one), side by side; a group gone since the plan is left out. */
async function targetGroupStatuses(groups: readonly ObservedTargetGroup[], ctx: Context): Promise<Map<string, ResourceStatus>> {
  const read = async (group: ObservedTargetGroup): Promise<Array<[string, ResourceStatus]>> => {
    try {
      const { TargetHealthDescriptions } = await ctx.clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.id }));
      return [[group.id, targetGroupStatusOf(TargetHealthDescriptions ?? [])]];
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  };
  return new Map((await Promise.all(groups.map(read))).flat());
}

/** Target groups: replaced beside the old group under an alternating name (see the header). */
export const targetGroupsReconciler: Reconciler<TargetGroupDesired, ObservedTargetGroup, TargetGroupChange> = {
  kind: "targetGroups",
  refersTo: ["network"],
  // observe compares the candidates' VPC with the desired one (the immutables) and derives the generation name from it.
  looksUp: ["network"],
  nodes: targetGroupNodes,
  observe: observeTargetGroups,
  discover: discoverTargetGroups,
  diff: diffTargetGroup,
  create: createTargetGroup,
  update: updateTargetGroup,
  delete: deleteTargetGroup,
  preview: previewTargetGroup,
  outputs: (observed) => ({ arn: observed.id, name: observed.name, arnSuffix: arnSuffix(observed.id) }),
  successor: successorOf,
  status: targetGroupStatuses,
};
