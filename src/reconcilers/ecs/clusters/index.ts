/**
 * ECS clusters.
 *
 * The name is the identity: nothing about a cluster forces its replacement. Container Insights (a cluster
 * setting, UpdateCluster), the capacity providers and the default capacity provider strategy (both through
 * one PutClusterCapacityProviders) change in place. Only what the spec sets is compared: a cluster whose spec
 * names no capacity providers keeps whatever it has.
 *
 * A deleted cluster stays listed as INACTIVE for a while (AWS and moto alike): it counts as absent.
 *
 * Deletion is refused while the cluster still runs a service this stack does not own; the engine deletes the
 * stack's own services first.
 */
import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  PutClusterCapacityProvidersCommand,
  UpdateClusterCommand,
  paginateListServices,
  type Cluster,
  type ClusterSetting,
} from "@aws-sdk/client-ecs";
import { awsErrorIs } from "../../../aws/errors.js";
import type { FieldDiff } from "../../../plan/model.js";
import type { ClusterSpec } from "../../../schema/ecs.js";
import { physicalName } from "../../../schema/names.js";
import { inBatches } from "../../shared/collections.js";
import { diffField, diffTags, sortedSet } from "../../shared/diff-helpers.js";
import {
  describeLiveServices,
  fromEcsTags,
  normaliseStrategy,
  toAwsStrategy,
  toEcsTags,
  updateEcsTags,
  type StrategyItem,
} from "../api.js";
import { findTaggedResources, resourcesOfType } from "../../shared/tagged-resources.js";
import { STACK_TAG, addressOf, ownedTags, type Context, type Observed, type LegacyReconciler, type Tags } from "../../shared/types.js";

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

const CONTAINER_INSIGHTS = "containerInsights";
const STRATEGY = "defaultCapacityProviderStrategy";
/** DescribeClusters takes up to 100 clusters. */
const CLUSTERS_PER_CALL = 100;

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

export function diffCluster(desired: ClusterDesired, observed: ObservedCluster): FieldDiff[] {
  return [
    ...(desired.containerInsights !== undefined
      ? diffField(CONTAINER_INSIGHTS, observed.containerInsights, desired.containerInsights)
      : []),
    ...(desired.capacityProviders !== undefined
      ? diffField("capacityProviders", sortedSet(observed.capacityProviders), sortedSet(desired.capacityProviders))
      : []),
    ...(desired.defaultCapacityProviderStrategy !== undefined
      ? diffStrategy(desired.defaultCapacityProviderStrategy, observed.defaultCapacityProviderStrategy)
      : []),
    ...diffTags(desired.tags, observed.tags),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// AWS

/** The live clusters of these names or ARNs, INACTIVE ones (deleted a moment ago) left out. */
async function describeClusters(ctx: Context, names: readonly string[]): Promise<ObservedCluster[]> {
  const pages = await Promise.all(
    inBatches([...new Set(names)], CLUSTERS_PER_CALL).map(async (batch) => {
      const { clusters } = await ctx.clients.ecs.send(
        new DescribeClustersCommand({ clusters: batch, include: ["SETTINGS", "TAGS", "CONFIGURATIONS"] }),
      );
      return (clusters ?? []).filter((c) => c.status !== "INACTIVE").map(toObservedCluster);
    }),
  );
  return pages.flat();
}

const insightsSetting = (value: string): ClusterSetting[] => [{ name: CONTAINER_INSIGHTS, value }];

/** A service still in a cluster: its name and whose it is. */
interface ServiceInCluster {
  name: string;
  tags: Tags;
}

/** The cluster's services that are not INACTIVE, with their tags; undefined when the cluster is gone. */
async function servicesIn(ctx: Context, cluster: string): Promise<ServiceInCluster[] | undefined> {
  const arns: string[] = [];
  try {
    for await (const page of paginateListServices({ client: ctx.clients.ecs }, { cluster })) arns.push(...(page.serviceArns ?? []));
  } catch (error) {
    if (awsErrorIs(error, "ClusterNotFoundException")) return undefined;
    throw error;
  }
  // ListServices also lists services deleted a moment ago (INACTIVE): describeLiveServices leaves those out.
  return [...(await describeLiveServices(ctx, cluster, arns))].map(([name, service]) => ({ name, tags: fromEcsTags(service.tags) }));
}

function refuseForeignServices(cluster: string, services: readonly ServiceInCluster[], stack: string): void {
  const foreign = services.filter((s) => s.tags[STACK_TAG] !== stack).map((s) => s.name);
  if (foreign.length === 0) return;
  throw new Error(
    `cluster ${cluster} still runs services this stack does not own: ${foreign.sort().join(", ")}; delete them first (nothing was deleted)`,
  );
}

/** The stack's clusters among the resources found by tag, each confirmed live (not INACTIVE) and still the stack's. */
export async function discoverClusters(
  ctx: Context,
  tagged: Awaited<ReturnType<typeof findTaggedResources>>,
  known: ReadonlySet<string> = new Set(),
): Promise<ObservedCluster[]> {
  const arns = resourcesOfType(tagged, "ecs", "cluster")
    .map((r) => r.arn)
    .filter((arn) => !known.has(arn));
  if (arns.length === 0) return [];
  const live = await describeClusters(ctx, arns);
  return live.filter((c) => c.tags[STACK_TAG] === ctx.stack).sort((a, b) => a.name.localeCompare(b.name));
}

// ---------------------------------------------------------------------------------------------------------
// Reconciler

export const clustersReconciler: LegacyReconciler<ClusterDesired, ObservedCluster> = {
  kind: "clusters",
  refersTo: [],
  looksUp: [],

  nodes: (spec) =>
    Object.entries(spec.clusters).map(([logical, entry]) => {
      const name = physicalName(spec, "clusters", logical);
      return {
        kind: "clusters",
        logical,
        address: addressOf("clusters", logical),
        name,
        dependsOn: [],
        adopt: entry.adopt ?? false,
        readOnly: false,
        build: () => desiredCluster(name, entry, ownedTags(spec, "clusters", logical, entry.tags)),
      };
    }),

  async observe(desired, ctx) {
    if (desired.length === 0) return new Map();
    const live = new Map(
      (
        await describeClusters(
          ctx,
          desired.map((d) => d.value.name),
        )
      ).map((c) => [c.name, c]),
    );
    return new Map(desired.flatMap(({ address, value }) => (live.has(value.name) ? [[address, live.get(value.name)!] as const] : [])));
  },

  discover: async (ctx, known) => discoverClusters(ctx, await findTaggedResources(ctx), known),

  diff: diffCluster,

  async create(desired, ctx) {
    const { cluster } = await ctx.clients.ecs.send(
      new CreateClusterCommand({
        clusterName: desired.name,
        ...(desired.containerInsights !== undefined && { settings: insightsSetting(desired.containerInsights) }),
        ...(desired.capacityProviders !== undefined && { capacityProviders: desired.capacityProviders }),
        ...(desired.defaultCapacityProviderStrategy !== undefined && {
          defaultCapacityProviderStrategy: toAwsStrategy(desired.defaultCapacityProviderStrategy),
        }),
        tags: toEcsTags(desired.tags),
      }),
    );
    if (!cluster?.clusterArn) throw new Error(`cluster ${desired.name}: CreateCluster answered without a cluster`);
    return { ...toObservedCluster(cluster), tags: desired.tags };
  },

  async update(desired, observed, diffs, ctx) {
    const ecs = ctx.clients.ecs;
    const changed = (prefix: string) => diffs.some((d) => d.path === prefix || d.path.startsWith(`${prefix}.`));
    const result: ObservedCluster = { ...observed };

    if (changed(CONTAINER_INSIGHTS) && desired.containerInsights !== undefined) {
      await ecs.send(new UpdateClusterCommand({ cluster: observed.name, settings: insightsSetting(desired.containerInsights) }));
      result.containerInsights = desired.containerInsights;
    }

    if (changed("capacityProviders") || changed(STRATEGY)) {
      // The call replaces both lists: the half the spec leaves out is sent back as it is.
      const capacityProviders = desired.capacityProviders ?? observed.capacityProviders;
      const strategy = desired.defaultCapacityProviderStrategy ?? observed.defaultCapacityProviderStrategy;
      await ecs.send(
        new PutClusterCapacityProvidersCommand({
          cluster: observed.name,
          capacityProviders,
          defaultCapacityProviderStrategy: toAwsStrategy(strategy),
        }),
      );
      result.capacityProviders = capacityProviders;
      result.defaultCapacityProviderStrategy = strategy;
    }

    result.tags = await updateEcsTags(ctx, observed.id, observed.tags, desired.tags, diffs);
    return result;
  },

  async delete(observed, ctx) {
    const services = await servicesIn(ctx, observed.name);
    if (services === undefined) return;
    refuseForeignServices(observed.name, services, ctx.stack);
    try {
      await ctx.clients.ecs.send(new DeleteClusterCommand({ cluster: observed.name }));
    } catch (error) {
      if (!awsErrorIs(error, "ClusterNotFoundException")) throw error;
    }
  },

  outputs: (observed) => ({ arn: observed.id, name: observed.name }),
};
