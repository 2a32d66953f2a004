import {
  AssociateKmsKeyCommand,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DeleteRetentionPolicyCommand,
  DisassociateKmsKeyCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateDescribeLogGroups,
  type LogGroup,
} from "@aws-sdk/client-cloudwatch-logs";
import { physicalName } from "../../../schema/names.js";
import { diffField, diffTags, tagChanges } from "../../shared/diff-helpers.js";
import { findTaggedResources, resourcesOfType, type TaggedResource } from "../../shared/tagged-resources.js";
import { STACK_TAG, addressOf, ownedTags, type Context, type Observed, type LegacyReconciler, type Tags } from "../../shared/types.js";

export interface LogGroupDesired {
  name: string;
  /** null: events never expire (what leaving it out of the spec means, so it is enforced). */
  retentionDays: number | null;
  /** null: no customer-managed key (enforced too). */
  kmsKeyId: string | null;
  tags: Tags;
}

export interface ObservedLogGroup extends Observed {
  retentionDays: number | null;
  kmsKeyId: string | null;
}

const isNotFound = (e: unknown) => e instanceof Error && e.name === "ResourceNotFoundException";

/** The group's ARN as TagResource and ListTagsForResource take it: DescribeLogGroups' `arn` ends in `:*`. */
const arnOf = (group: LogGroup): string => group.logGroupArn ?? group.arn!.replace(/:\*$/, "");

/** The log group of exactly this name, if it exists. */
async function describeLogGroup(ctx: Context, name: string): Promise<LogGroup | undefined> {
  // Sorted by name, so the exact match (the shortest name with this prefix) is on the first page when it exists.
  for await (const page of paginateDescribeLogGroups({ client: ctx.clients.logs }, { logGroupNamePrefix: name })) {
    const match = page.logGroups?.find((g) => g.logGroupName === name);
    if (match) return match;
  }
  return undefined;
}

async function observeLogGroup(ctx: Context, name: string): Promise<ObservedLogGroup | undefined> {
  const group = await describeLogGroup(ctx, name);
  if (!group) return undefined;
  const arn = arnOf(group);
  try {
    const { tags } = await ctx.clients.logs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    return { name, id: arn, tags: tags ?? {}, retentionDays: group.retentionInDays ?? null, kmsKeyId: group.kmsKeyId ?? null };
  } catch (e) {
    if (isNotFound(e)) return undefined; // deleted between the two calls
    throw e;
  }
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
  const names = new Set(
    resourcesOfType(tagged, "logs", "log-group")
      .filter((r) => !known.has(r.arn.replace(/:\*$/, "")))
      .map((r) => r.parsed.resource.replace(/:\*$/, "")),
  );
  const live = await Promise.all([...names].map((name) => observeLogGroup(ctx, name)));
  return live
    .filter((g): g is ObservedLogGroup => g !== undefined && g.tags[STACK_TAG] === ctx.stack)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function diffLogGroup(desired: LogGroupDesired, observed: ObservedLogGroup) {
  return [
    ...diffField("retentionDays", observed.retentionDays, desired.retentionDays),
    ...diffField("kmsKeyId", observed.kmsKeyId, desired.kmsKeyId),
    ...diffTags(desired.tags, observed.tags),
  ];
}

export const logGroupsReconciler: LegacyReconciler<LogGroupDesired, ObservedLogGroup> = {
  kind: "logGroups",
  refersTo: [],
  looksUp: [],

  nodes: (spec) =>
    Object.entries(spec.logGroups).map(([logical, entry]) => {
      const name = physicalName(spec, "logGroups", logical);
      return {
        kind: "logGroups",
        logical,
        address: addressOf("logGroups", logical),
        name,
        dependsOn: [],
        adopt: entry.adopt ?? false,
        readOnly: false,
        build: () => ({
          name,
          retentionDays: entry.retentionDays ?? null,
          kmsKeyId: entry.kmsKeyId ?? null,
          tags: ownedTags(spec, "logGroups", logical, entry.tags),
        }),
      };
    }),

  async observe(desired, ctx) {
    const found = await Promise.all(desired.map(async ({ address, value }) => [address, await observeLogGroup(ctx, value.name)] as const));
    return new Map(found.filter((entry): entry is readonly [string, ObservedLogGroup] => entry[1] !== undefined));
  },

  discover: async (ctx, known) => discoverLogGroups(ctx, await findTaggedResources(ctx), known),

  diff: diffLogGroup,

  async create(desired, ctx) {
    const logs = ctx.clients.logs;
    await logs.send(
      new CreateLogGroupCommand({
        logGroupName: desired.name,
        ...(desired.kmsKeyId !== null && { kmsKeyId: desired.kmsKeyId }),
        tags: desired.tags,
      }),
    );
    if (desired.retentionDays !== null) {
      await logs.send(new PutRetentionPolicyCommand({ logGroupName: desired.name, retentionInDays: desired.retentionDays }));
    }
    const group = await describeLogGroup(ctx, desired.name);
    if (!group) throw new Error(`log group ${desired.name} was created but DescribeLogGroups does not list it`);
    return { name: desired.name, id: arnOf(group), tags: desired.tags, retentionDays: desired.retentionDays, kmsKeyId: desired.kmsKeyId };
  },

  async update(desired, observed, diffs, ctx) {
    const logs = ctx.clients.logs;
    const logGroupName = observed.name;
    const changed = new Set(diffs.map((d) => d.path));
    const result: ObservedLogGroup = { ...observed };

    if (changed.has("retentionDays")) {
      if (desired.retentionDays === null) await logs.send(new DeleteRetentionPolicyCommand({ logGroupName }));
      else await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: desired.retentionDays }));
      result.retentionDays = desired.retentionDays;
    }

    if (changed.has("kmsKeyId")) {
      if (desired.kmsKeyId === null) await logs.send(new DisassociateKmsKeyCommand({ logGroupName }));
      else await logs.send(new AssociateKmsKeyCommand({ logGroupName, kmsKeyId: desired.kmsKeyId }));
      result.kmsKeyId = desired.kmsKeyId;
    }

    const { set, remove } = tagChanges(diffs, desired.tags);
    if (Object.keys(set).length > 0) await logs.send(new TagResourceCommand({ resourceArn: observed.id, tags: set }));
    if (remove.length > 0) await logs.send(new UntagResourceCommand({ resourceArn: observed.id, tagKeys: remove }));
    result.tags = Object.fromEntries(Object.entries({ ...observed.tags, ...set }).filter(([key]) => !remove.includes(key)));

    return result;
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
