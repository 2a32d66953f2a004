import {
  AssociateKmsKeyCommand,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DeleteRetentionPolicyCommand,
  DisassociateKmsKeyCommand,
  PutRetentionPolicyCommand,
  paginateDescribeLogGroups,
  type LogGroup,
} from "@aws-sdk/client-cloudwatch-logs";
import { isNotFound } from "../../../aws/errors.js";
import { applyTagChange } from "../../diff-helpers.js";
import { findTaggedResources, resourcesOfType, type TaggedResource } from "../../tagged-resources.js";
import { STACK_TAG, type Context, type Reconciler } from "../../contract.js";
import { createRecognising } from "../../recognise.js";
import { readLogsTags, writeLogsTags } from "../api.js";
import {
  arnOf,
  createLogGroupRequest,
  diffLogGroup,
  logGroupNodes,
  observedLogGroup,
  type LogGroupChange,
  type LogGroupDesired,
  type ObservedLogGroup,
} from "./model.js";

/** The log group of exactly this name, if it exists. */
async function describeLogGroup(ctx: Context, name: string): Promise<LogGroup | undefined> {
  // Sorted by name, so the exact match (the shortest name with this prefix) is on the first page when it exists.
  for await (const page of paginateDescribeLogGroups({ client: ctx.clients.logs }, { logGroupNamePrefix: name })) {
    const match = page.logGroups?.find((g) => g.logGroupName === name);
    if (match) return match;
  }
  return undefined;
}

/**
 * The group of this name with its tags, if it exists. ListTagsForResource takes the ARN: known beforehand (from
 * the Tagging API), it is asked alongside the describe; otherwise it follows the describe, which gives it.
 * Either way the describe decides whether the group exists (moto answers for a deleted group's tags).
 */
async function observeLogGroup(ctx: Context, name: string, arn?: string): Promise<ObservedLogGroup | undefined> {
  const described = describeLogGroup(ctx, name);
  const tagged = arn !== undefined ? readLogsTags(ctx, arn) : described.then((group) => group && readLogsTags(ctx, arnOf(group)));
  const [group, tags] = await Promise.all([described, tagged]);
  return group && tags && observedLogGroup(group, tags); // no tags: deleted between the two calls
}

/**
 * The stack's log groups among resources found by tag (see findTaggedResources), each confirmed live and
 * still the stack's: the Tagging API may list a group deleted, or re-created by someone else, a moment ago.
 */
export async function discoverLogGroups(
  ctx: Context,
  tagged: readonly TaggedResource[],
  known: ReadonlySet<string> = new Set(),
): Promise<ObservedLogGroup[]> {
  // A log group ARN may end in `:*`; names cannot contain `:`, so the suffix is never part of a name.
  const arnsByName = new Map(
    resourcesOfType(tagged, "logs", "log-group")
      .map((r) => ({ name: r.parsed.resource.replace(/:\*$/, ""), arn: r.arn.replace(/:\*$/, "") }))
      .filter((r) => !known.has(r.arn))
      .map((r) => [r.name, r.arn]),
  );
  const live = await Promise.all([...arnsByName].map(([name, arn]) => observeLogGroup(ctx, name, arn)));
  return live
    .filter((g): g is ObservedLogGroup => g !== undefined && g.tags[STACK_TAG] === ctx.stack)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export const logGroupsReconciler: Reconciler<LogGroupDesired, ObservedLogGroup, LogGroupChange> = {
  kind: "logGroups",
  refersTo: [],
  looksUp: [],

  nodes: logGroupNodes,

  async observe(desired, ctx) {
    const found = await Promise.all(desired.map(async ({ address, value }) => [address, await observeLogGroup(ctx, value.name)] as const));
    return new Map(found.filter((entry): entry is readonly [string, ObservedLogGroup] => entry[1] !== undefined));
  },

  discover: async (ctx, known) => discoverLogGroups(ctx, await findTaggedResources(ctx), known),

  diff: diffLogGroup,

  async create(desired, ctx) {
    const logs = ctx.clients.logs;
    await createRecognising(() => logs.send(new CreateLogGroupCommand(createLogGroupRequest(desired))), desired.tags, {
      alreadyExists: ["ResourceAlreadyExistsException"],
      read: () => observeLogGroup(ctx, desired.name),
      tagsOf: (found) => found.tags,
      matches: (found) => found.kmsKeyId === desired.kmsKeyId,
    });
    if (desired.retentionDays !== null) {
      await logs.send(new PutRetentionPolicyCommand({ logGroupName: desired.name, retentionInDays: desired.retentionDays }));
    }
    const group = await describeLogGroup(ctx, desired.name);
    if (!group) throw new Error(`log group ${desired.name} was created but DescribeLogGroups does not list it`);
    return { name: desired.name, id: arnOf(group), tags: desired.tags, retentionDays: desired.retentionDays, kmsKeyId: desired.kmsKeyId };
  },

  async update(change, observed, ctx) {
    const logs = ctx.clients.logs;
    const logGroupName = observed.name;
    const { tags, ...settings } = change;

    if (settings.retentionDays !== undefined) {
      if (settings.retentionDays === null) await logs.send(new DeleteRetentionPolicyCommand({ logGroupName }));
      else await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: settings.retentionDays }));
    }

    if (settings.kmsKeyId !== undefined) {
      if (settings.kmsKeyId === null) await logs.send(new DisassociateKmsKeyCommand({ logGroupName }));
      else await logs.send(new AssociateKmsKeyCommand({ logGroupName, kmsKeyId: settings.kmsKeyId }));
    }

    await writeLogsTags(ctx, observed.id, tags);

    // Each setting is named as the observed field it sets.
    return { ...observed, ...settings, tags: applyTagChange(observed.tags, tags) };
  },

  async delete(observed, ctx) {
    try {
      await ctx.clients.logs.send(new DeleteLogGroupCommand({ logGroupName: observed.name }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  },

  outputs: (observed) => ({ name: observed.name, arn: observed.id }),
};
