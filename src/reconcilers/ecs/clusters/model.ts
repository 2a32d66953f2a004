/**
 * ECS clusters, the pure part: the desired value built from the spec, AWS's description in the same form, and
 * the diff, which gives the lines and the calls that make the cluster as the spec says (see index.ts).
 */
import type { Cluster, ClusterSetting, CreateClusterCommandInput, PutClusterCapacityProvidersCommandInput } from "@aws-sdk/client-ecs";
import type { FieldDiff } from "../../../plan/model.js";
import type { ClusterSpec } from "../../../schema/ecs.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { applyTagChange, diffField, diffTags, sortedSet, tagChange, type TagChange } from "../../diff-helpers.js";
import { desiredNode, ownedTags, STACK_TAG, type DesiredNode, type Diff, type Observed, type Tags } from "../../contract.js";
import { fromEcsTags, normaliseStrategy, toAwsStrategy, toEcsTags, type StrategyItem } from "../model.js";

export type ContainerInsights = NonNullable<ClusterSpec["containerInsights"]>;

export interface ClusterDesired {
  name: string;
  /** Undefined: the spec leaves it to the account's default, and it is not compared. */
  containerInsights?: ContainerInsights;
  /** A sorted set; undefined: not managed. */
  capacityProviders?: string[];
  /** Sorted by provider; undefined: not managed. */
  defaultCapacityProviderStrategy?: StrategyItem[];
  tags: Tags;
}

export interface ObservedCluster extends Observed {
  /** The cluster's containerInsights setting; null when AWS reports none. */
  containerInsights: string | null;
  capacityProviders: string[];
  defaultCapacityProviderStrategy: StrategyItem[];
}

/** What update sends: each call only when the lines say its part differs. */
export interface ClusterChange {
  /** UpdateCluster's settings (Container Insights); absent: no UpdateCluster. */
  settings?: ClusterSetting[];
  /** The one PutClusterCapacityProviders for the providers and the default strategy; absent: none. */
  capacityProviders?: PutClusterCapacityProvidersCommandInput;
  tags: TagChange;
}

const CONTAINER_INSIGHTS = "containerInsights";
const STRATEGY = "defaultCapacityProviderStrategy";

// ---------------------------------------------------------------------------------------------------------
// Normalisation

export function desiredCluster(name: string, entry: ClusterSpec, tags: Tags): ClusterDesired {
  return {
    name,
    ...(entry.containerInsights !== undefined && { containerInsights: entry.containerInsights }),
    ...(entry.capacityProviders !== undefined && { capacityProviders: sortedSet(entry.capacityProviders) }),
    ...(entry.defaultCapacityProviderStrategy !== undefined && {
      defaultCapacityProviderStrategy: normaliseStrategy(entry.defaultCapacityProviderStrategy),
    }),
    tags,
  };
}

export function clusterNode(spec: Spec, logical: string, entry: ClusterSpec): DesiredNode<ClusterDesired> {
  const name = physicalName(spec, "clusters", logical);
  return desiredNode({
    kind: "clusters",
    logical,
    name,
    dependsOn: [],
    adopt: entry.adopt ?? false,
    build: () => desiredCluster(name, entry, ownedTags(spec, "clusters", logical, entry.tags)),
  });
}

const containerInsightsOf = (settings: readonly ClusterSetting[] | undefined): string | null =>
  settings?.find((s) => s.name === CONTAINER_INSIGHTS)?.value ?? null;

/** A cluster as DescribeClusters reports it (with SETTINGS and TAGS included). */
export function toObservedCluster(cluster: Cluster): ObservedCluster {
  return {
    name: cluster.clusterName!,
    id: cluster.clusterArn!,
    tags: fromEcsTags(cluster.tags),
    containerInsights: containerInsightsOf(cluster.settings),
    capacityProviders: sortedSet(cluster.capacityProviders ?? []),
    defaultCapacityProviderStrategy: normaliseStrategy(cluster.defaultCapacityProviderStrategy),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Diff

const strategyWeights = ({ weight, base }: StrategyItem) => ({ weight, base });

/** A strategy compared provider by provider: `defaultCapacityProviderStrategy.FARGATE.weight`. */
function diffStrategy(desired: readonly StrategyItem[], observed: readonly StrategyItem[]): FieldDiff[] {
  const live = new Map(observed.map((item) => [item.capacityProvider, item]));
  const wanted = new Map(desired.map((item) => [item.capacityProvider, item]));
  const providers = sortedSet([...live.keys(), ...wanted.keys()]);
  return providers.flatMap((provider) => {
    const before = live.get(provider);
    const after = wanted.get(provider);
    const path = `${STRATEGY}.${provider}`;
    if (before && after) {
      return [...diffField(`${path}.weight`, before.weight, after.weight), ...diffField(`${path}.base`, before.base, after.base)];
    }
    return diffField(path, before && strategyWeights(before), after && strategyWeights(after));
  });
}

const insightsSetting = (value: string): ClusterSetting[] => [{ name: CONTAINER_INSIGHTS, value }];

/** Container Insights, when the spec sets it: its line, and the settings UpdateCluster is sent when it differs. */
function compareInsights(desired: ClusterDesired, observed: ObservedCluster): Pick<ClusterChange, "settings"> & { lines: FieldDiff[] } {
  if (desired.containerInsights === undefined) return { lines: [] };
  const lines = diffField(CONTAINER_INSIGHTS, observed.containerInsights, desired.containerInsights);
  return lines.length > 0 ? { lines, settings: insightsSetting(desired.containerInsights) } : { lines };
}

/**
 * The providers and the default strategy, where the spec sets them. One PutClusterCapacityProviders sets both and
 * replaces both lists: the half the spec leaves out is sent back as it is.
 */
function compareCapacityProviders(
  desired: ClusterDesired,
  observed: ObservedCluster,
): Pick<ClusterChange, "capacityProviders"> & { lines: FieldDiff[] } {
  const lines = [
    ...(desired.capacityProviders !== undefined
      ? diffField("capacityProviders", sortedSet(observed.capacityProviders), sortedSet(desired.capacityProviders))
      : []),
    ...(desired.defaultCapacityProviderStrategy !== undefined
      ? diffStrategy(desired.defaultCapacityProviderStrategy, observed.defaultCapacityProviderStrategy)
      : []),
  ];
  if (lines.length === 0) return { lines };
  const strategy = desired.defaultCapacityProviderStrategy ?? observed.defaultCapacityProviderStrategy;
  return {
    lines,
    capacityProviders: {
      cluster: observed.name,
      capacityProviders: desired.capacityProviders ?? observed.capacityProviders,
      defaultCapacityProviderStrategy: toAwsStrategy(strategy),
    },
  };
}

export function diffCluster(desired: ClusterDesired, observed: ObservedCluster): Diff<ClusterChange> {
  const { lines: insights, ...settings } = compareInsights(desired, observed);
  const { lines: providers, ...capacityProviders } = compareCapacityProviders(desired, observed);
  return {
    lines: [...insights, ...providers, ...diffTags(desired.tags, observed.tags)],
    change: { ...settings, ...capacityProviders, tags: tagChange(desired.tags, observed.tags) },
  };
}

/** The cluster once the change is made. */
export function clusterAfter(observed: ObservedCluster, change: ClusterChange): ObservedCluster {
  const put = change.capacityProviders;
  return {
    ...observed,
    ...(change.settings && { containerInsights: containerInsightsOf(change.settings) }),
    ...(put && {
      capacityProviders: put.capacityProviders ?? [],
      defaultCapacityProviderStrategy: normaliseStrategy(put.defaultCapacityProviderStrategy),
    }),
    tags: applyTagChange(observed.tags, change.tags),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Requests and checks

export function createClusterInput(desired: ClusterDesired): CreateClusterCommandInput {
  return {
    clusterName: desired.name,
    ...(desired.containerInsights !== undefined && { settings: insightsSetting(desired.containerInsights) }),
    ...(desired.capacityProviders !== undefined && { capacityProviders: desired.capacityProviders }),
    ...(desired.defaultCapacityProviderStrategy !== undefined && {
      defaultCapacityProviderStrategy: toAwsStrategy(desired.defaultCapacityProviderStrategy),
    }),
    tags: toEcsTags(desired.tags),
  };
}

/** A service still in a cluster: its name and whose it is. */
export interface ServiceInCluster {
  name: string;
  tags: Tags;
}

/** Deleting a cluster that still runs a service this stack does not own is refused, before any call. */
export function refuseForeignServices(cluster: string, services: readonly ServiceInCluster[], stack: string): void {
  const foreign = services.filter((s) => s.tags[STACK_TAG] !== stack).map((s) => s.name);
  if (foreign.length === 0) return;
  throw new Error(
    `cluster ${cluster} still runs services this stack does not own: ${foreign.sort().join(", ")}; delete them first (nothing was deleted)`,
  );
}
