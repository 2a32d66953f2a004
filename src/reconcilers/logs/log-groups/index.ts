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
import { STACK_TAG, type Context, type Reconciler, type Tags } from "../../contract.js";
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
 * The group of this name with its tags, if it exists. The tags are the Tagging API's when it lists the group as the
 * stack's (`tags`), else ListTagsForResource's, which takes the ARN the describe gives. Either way the describe
 * decides whether the group exists (the Tagging API, and moto's ListTagsForResource, answer for a deleted group).
 */
async function observeLogGroup(ctx: Context, name: string, tags?: Promise<Tags | undefined>): Promise<ObservedLogGroup | undefined> {
  // The describe does not wait for the Tagging API's answer: a plan waits for one round trip, not two, when it lists the group.
  const [group, listed] = await Promise.all([describeLogGroup(ctx, name), tags]);
  const read = group && (listed ?? (await readLogsTags(ctx, arnOf(group))));
  return group && read && observedLogGroup(group, read); // no tags: deleted between the two calls
}

/** The stack's log groups as the Tagging API lists them, by name, with their tags. */
function taggedByName(tagged: readonly TaggedResource[]): Map<string, TaggedResource> {
  // A log group ARN may end in `:*`; names cannot contain `:`, so the suffix is never part of a name.
  return new Map(
    resourcesOfType(tagged, "logs", "log-group").map((r) => [
      r.parsed.resource.replace(/:\*$/, ""),
      { arn: r.arn.replace(/:\*$/, ""), tags: r.tags },
    ]),
  );
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
  const candidates = [...taggedByName(tagged)].filter(([, r]) => !known.has(r.arn));
  const live = await Promise.all(candidates.map(([name, r]) => observeLogGroup(ctx, name, Promise.resolve(r.tags))));
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
    const tagged = findTaggedResources(ctx).then(taggedByName);
    const found = await Promise.all(
      desired.map(
        async ({ address, value }) =>
          [
            address,
            await observeLogGroup(
              ctx,
              value.name,
              tagged.then((t) => t.get(value.name)?.tags),
            ),
          ] as const,
      ),
    );
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
