import type { CapacityProviderStrategyItem, Service, Tag } from "@aws-sdk/client-ecs";
import { DescribeServicesCommand, TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-ecs";
import { awsErrorIs } from "../../aws/errors.js";
import type { FieldDiff } from "../../plan/model.js";
import { inBatches } from "../shared/collections.js";
import { tagChanges, tagsAfter } from "../shared/diff-helpers.js";
import type { Context, Tags } from "../shared/types.js";

/** ECS writes tags as `{key, value}`, in lower case, unlike most AWS APIs. */
export const toEcsTags = (tags: Tags): Tag[] => Object.entries(tags).map(([key, value]) => ({ key, value }));

export function fromEcsTags(list: readonly Tag[] | undefined): Tags {
  const tags: Tags = {};
  for (const t of list ?? []) if (t.key !== undefined) tags[t.key] = t.value ?? "";
  return tags;
}

/** Applies the `tags.*` diffs to an ECS resource (TagResource, UntagResource); returns its tags afterwards. */
export async function updateEcsTags(ctx: Context, arn: string, observed: Tags, desired: Tags, diffs: readonly FieldDiff[]): Promise<Tags> {
  const { set, remove } = tagChanges(diffs, desired);
  if (Object.keys(set).length > 0) await ctx.clients.ecs.send(new TagResourceCommand({ resourceArn: arn, tags: toEcsTags(set) }));
  if (remove.length > 0) await ctx.clients.ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: remove }));
  return tagsAfter(observed, desired, diffs);
}

/**
 * One provider of a capacity provider strategy (a cluster's default, a service's own), in one form for the
 * spec and AWS: a weight or base AWS leaves out is its default, 0.
 */
export interface StrategyItem {
  capacityProvider: string;
  weight: number;
  base: number;
}

/** The spec's strategy or AWS's, sorted by provider: the order carries no meaning. */
export function normaliseStrategy(
  items: ReadonlyArray<{ capacityProvider?: string; weight?: number; base?: number }> | undefined,
): StrategyItem[] {
  return (items ?? [])
    .map((item) => ({ capacityProvider: item.capacityProvider ?? "", weight: item.weight ?? 0, base: item.base ?? 0 }))
    .sort((a, b) => (a.capacityProvider < b.capacityProvider ? -1 : a.capacityProvider > b.capacityProvider ? 1 : 0));
}

export const toAwsStrategy = (items: readonly StrategyItem[]): CapacityProviderStrategyItem[] =>
  items.map(({ capacityProvider, weight, base }) => ({ capacityProvider, weight, base }));

/** DescribeServices takes at most 10 services a call. */
const DESCRIBE_SERVICES_BATCH = 10;

/**
 * The live services of these names or ARNs in one cluster, with their tags, by name; an INACTIVE (deleted)
 * service is gone, and so is every service of a cluster that does not exist.
 */
export async function describeLiveServices(ctx: Context, cluster: string, names: readonly string[]): Promise<Map<string, Service>> {
  const found = new Map<string, Service>();
  try {
    for (const batch of inBatches([...new Set(names)], DESCRIBE_SERVICES_BATCH)) {
      const { services } = await ctx.clients.ecs.send(new DescribeServicesCommand({ cluster, services: batch, include: ["TAGS"] }));
      for (const s of services ?? []) if (s.status !== "INACTIVE" && s.serviceName) found.set(s.serviceName, s);
    }
  } catch (e) {
    if (!awsErrorIs(e, "ClusterNotFoundException")) throw e;
  }
  return found;
}
