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
} from "@aws-sdk/client-ecs";
import { isNotFound } from "../../../aws/errors.js";
import { inBatches } from "../../collections.js";
import { findTaggedResources, resourcesOfType } from "../../tagged-resources.js";
import { STACK_TAG, type Context, type Reconciler } from "../../contract.js";
import { describeLiveServices, writeEcsTags } from "../api.js";
import { fromEcsTags } from "../model.js";
import {
  clusterAfter,
  clusterNode,
  createClusterInput,
  diffCluster,
  refuseForeignServices,
  toObservedCluster,
  type ClusterChange,
  type ClusterDesired,
  type ObservedCluster,
  type ServiceInCluster,
} from "./model.js";

export type { ClusterChange, ClusterDesired, ObservedCluster } from "./model.js";

/** DescribeClusters takes up to 100 clusters. */
const CLUSTERS_PER_CALL = 100;

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

/** The cluster's services that are not INACTIVE, with their tags; undefined when the cluster is gone. */
async function servicesIn(ctx: Context, cluster: string): Promise<ServiceInCluster[] | undefined> {
  const arns: string[] = [];
  try {
    for await (const page of paginateListServices({ client: ctx.clients.ecs }, { cluster })) arns.push(...(page.serviceArns ?? []));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  // ListServices also lists services deleted a moment ago (INACTIVE): describeLiveServices leaves those out.
  return [...(await describeLiveServices(ctx, cluster, arns))].map(([name, service]) => ({ name, tags: fromEcsTags(service.tags) }));
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

export const clustersReconciler: Reconciler<ClusterDesired, ObservedCluster, ClusterChange> = {
  kind: "clusters",
  refersTo: [],
  looksUp: [],

  nodes: (spec) => Object.entries(spec.clusters).map(([logical, entry]) => clusterNode(spec, logical, entry)),

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
    const { cluster } = await ctx.clients.ecs.send(new CreateClusterCommand(createClusterInput(desired)));
    if (!cluster?.clusterArn) throw new Error(`cluster ${desired.name}: CreateCluster answered without a cluster`);
    return { ...toObservedCluster(cluster), tags: desired.tags };
  },

  async update(change, observed, ctx) {
    if (change.settings) await ctx.clients.ecs.send(new UpdateClusterCommand({ cluster: observed.name, settings: change.settings }));
    if (change.capacityProviders) await ctx.clients.ecs.send(new PutClusterCapacityProvidersCommand(change.capacityProviders));
    await writeEcsTags(ctx, observed.id, change.tags);
    return clusterAfter(observed, change);
  },

  async delete(observed, ctx) {
    const services = await servicesIn(ctx, observed.name);
    if (services === undefined) return;
    refuseForeignServices(observed.name, services, ctx.stack);
    try {
      await ctx.clients.ecs.send(new DeleteClusterCommand({ cluster: observed.name }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },

  outputs: (observed) => ({ arn: observed.id, name: observed.name }),
};
