import type { CapacityProviderStrategyItem, Service, Tag } from "@aws-sdk/client-ecs";
import { DescribeServicesCommand, TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-ecs";
import { isNotFound } from "../../aws/errors.js";
import { KnownAfterApply } from "../../plan/model.js";
import { inBatches } from "../shared/collections.js";
import { known, type TagChange } from "../shared/diff-helpers.js";
import type { Context, Tags } from "../shared/types.js";

/** ECS writes tags as `{key, value}`, in lower case, unlike most AWS APIs. */
export const toEcsTags = (tags: Tags): Tag[] => Object.entries(tags).map(([key, value]) => ({ key, value }));

export function fromEcsTags(list: readonly Tag[] | undefined): Tags {
  const tags: Tags = {};
  for (const t of list ?? []) if (t.key !== undefined) tags[t.key] = t.value ?? "";
  return tags;
}

/** Writes a change of an ECS resource's tags: TagResource for the keys to set, UntagResource for those to remove. */
export async function writeEcsTags(ctx: Context, arn: string, change: TagChange): Promise<void> {
  if (Object.keys(change.set).length > 0)
    await ctx.clients.ecs.send(new TagResourceCommand({ resourceArn: arn, tags: toEcsTags(change.set) }));
  if (change.remove.length > 0) await ctx.clients.ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: change.remove }));
}

/**
 * A request built from a desired value, in which what other nodes' outputs give (a task definition's ARN, a role's,
 * subnets) may still be `(known after apply)` at plan time. The engine builds it again at apply time, once they are
 * known; `resolved` then gives the request itself.
 */
export type Pending<T> = T extends KnownAfterApply
  ? T
  : T extends string | number | boolean
    ? T | KnownAfterApply
    : T extends ReadonlyArray<infer U>
      ? Pending<U>[] | KnownAfterApply
      : T extends object
        ? { [K in keyof T]: Pending<T[K]> }
        : T;

/** The request with every value known; throws (naming `what`) if one is not, which the engine's order rules out. */
export function resolved<T>(value: Pending<T>, what: string): T {
  const resolve = (v: unknown): unknown => {
    if (v instanceof KnownAfterApply) return known(v, what);
    if (Array.isArray(v)) return v.map(resolve);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([key, inner]) => [key, resolve(inner)]));
    return v;
  };
  return resolve(value) as T;
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
 * service is gone, and so is every service of a cluster that does not exist (the only "not found" it answers:
 * a service that does not exist comes back among the failures).
 */
export async function describeLiveServices(ctx: Context, cluster: string, names: readonly string[]): Promise<Map<string, Service>> {
  const found = new Map<string, Service>();
  try {
    const answers = await Promise.all(
      inBatches([...new Set(names)], DESCRIBE_SERVICES_BATCH).map((batch) =>
        ctx.clients.ecs.send(new DescribeServicesCommand({ cluster, services: batch, include: ["TAGS"] })),
      ),
    );
    for (const s of answers.flatMap((a) => a.services ?? [])) if (s.status !== "INACTIVE" && s.serviceName) found.set(s.serviceName, s);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return found;
}
