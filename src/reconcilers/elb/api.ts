import { AddTagsCommand, DescribeTagsCommand, RemoveTagsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { isNotFound } from "../../aws/errors.js";
import { inBatches } from "../collections.js";
import { fromTagList, toTagList, type TagChange } from "../diff-helpers.js";
import type { Context, Tags } from "../contract.js";
import { tagsOf } from "../tagged-resources.js";

/** ELBv2 describe calls take at most 20 names or ARNs. */
const ELB_BATCH = 20;

/**
 * Describes load balancers or target groups by name or ARN, 20 to a call. ELBv2 fails the whole call when one
 * of them does not exist, so a batch of several that fails as not found is answered by `fallback` when there is
 * one (a listing of them all), else asked again one by one, and the missing ones are left out. When everything exists
 * (every run after the first) that is one call per 20.
 */
export async function describeEach<T>(
  keys: readonly string[],
  describe: (batch: string[]) => Promise<T[]>,
  fallback?: (batch: string[]) => Promise<T[]>,
): Promise<T[]> {
  const unique = [...new Set(keys)];
  const pages = await Promise.all(
    inBatches(unique, ELB_BATCH).map(async (batch) => {
      try {
        return await describe(batch);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        if (batch.length === 1) return [];
        if (fallback) return fallback(batch);
        return (await Promise.all(batch.map((key) => describeEach([key], describe)))).flat();
      }
    }),
  );
  return pages.flat();
}

/** The tags of ELBv2 resources (load balancers, target groups, listeners, rules), 20 ARNs to a call, the calls side by side. */
export async function describeElbTags(ctx: Context, arns: readonly string[]): Promise<Map<string, Tags>> {
  const pages = await Promise.all(
    inBatches([...new Set(arns)], ELB_BATCH).map(
      async (batch) => (await ctx.clients.elbv2.send(new DescribeTagsCommand({ ResourceArns: batch }))).TagDescriptions ?? [],
    ),
  );
  const tags = new Map<string, Tags>();
  for (const d of pages.flat()) if (d.ResourceArn) tags.set(d.ResourceArn, fromTagList(d.Tags));
  return tags;
}

/**
 * The tags of ELBv2 resources as a plan reads them: those the Tagging API lists as the stack's (the plan's one
 * query, which covers load balancers and target groups) from its answer, the rest (listeners and rules, which it
 * does not cover, resources of other owners, and any it does not list yet) with DescribeTags, 20 ARNs of any
 * types to a call. Whether a resource exists is the caller's describe's to say, not the Tagging API's.
 */
export async function readElbTags(ctx: Context, arns: readonly string[]): Promise<Map<string, Tags>> {
  if (arns.length === 0) return new Map();
  return tagsOf(ctx, arns, (rest) => describeElbTags(ctx, rest));
}

/** Writes a tag change to one ELBv2 resource: RemoveTags for the keys to go, then AddTags for those to set. */
export async function writeElbTags(ctx: Context, arn: string, change: TagChange): Promise<void> {
  if (change.remove.length > 0) await ctx.clients.elbv2.send(new RemoveTagsCommand({ ResourceArns: [arn], TagKeys: change.remove }));
  if (Object.keys(change.set).length > 0) {
    await ctx.clients.elbv2.send(new AddTagsCommand({ ResourceArns: [arn], Tags: toTagList(change.set) }));
  }
}

/**
 * The ELBv2 resources an exact describe finds (a load balancer or target group by name), each with its tags;
 * none when ELBv2 answers that it does not exist.
 */
export async function describeWithTags<T>(
  ctx: Context,
  describe: () => Promise<T[]>,
  arnOf: (found: T) => string | undefined,
): Promise<Array<{ found: T; tags: Tags }>> {
  let found: T[];
  try {
    found = await describe();
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
  const arns = found.map(arnOf).filter((arn): arn is string => arn !== undefined);
  const tags = arns.length === 0 ? new Map<string, Tags>() : await describeElbTags(ctx, arns);
  return found.map((one) => ({ found: one, tags: tags.get(arnOf(one) ?? "") ?? {} }));
}
