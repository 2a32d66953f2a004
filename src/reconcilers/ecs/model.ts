/** What the ECS kinds share and is pure: ECS's tag form and one form of a capacity provider strategy. */
import type { CapacityProviderStrategyItem, Tag } from "@aws-sdk/client-ecs";
import type { Tags } from "../contract.js";

/** ECS writes tags as `{key, value}`, in lower case, unlike most AWS APIs. */
export const toEcsTags = (tags: Tags): Tag[] => Object.entries(tags).map(([key, value]) => ({ key, value }));

export { fromEcsTags } from "../diff-helpers.js";

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
