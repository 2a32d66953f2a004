import { readFileSync } from "node:fs";
import type { Cluster } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { FieldDiff } from "../../src/plan/model.js";
import { clustersReconciler } from "../../src/reconcilers/ecs/clusters/index.js";
import {
  desiredCluster,
  diffCluster,
  toObservedCluster,
  type ClusterChange,
  type ClusterDesired,
  type ObservedCluster,
} from "../../src/reconcilers/ecs/clusters/model.js";
import { normaliseStrategy } from "../../src/reconcilers/ecs/model.js";
import { specSchema } from "../../src/schema/index.js";
import { NO_OUTPUTS } from "../support/reconciler-tests.js";
import { REFERENCE_INPUT } from "../support/specs.js";

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/aws/${name}`, import.meta.url), "utf8")) as T;

const OWNERSHIP = { "reconcile:stack": "demo", "reconcile:id": "clusters/main" };
const ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/demo-main";

const desired: ClusterDesired = {
  name: "demo-main",
  containerInsights: "enabled",
  capacityProviders: ["FARGATE", "FARGATE_SPOT"],
  defaultCapacityProviderStrategy: [
    { capacityProvider: "FARGATE", weight: 1, base: 1 },
    { capacityProvider: "FARGATE_SPOT", weight: 3, base: 0 },
  ],
  tags: { ...OWNERSHIP, team: "web" },
};
const observed: ObservedCluster = {
  name: "demo-main",
  id: ARN,
  containerInsights: "enabled",
  capacityProviders: ["FARGATE", "FARGATE_SPOT"],
  defaultCapacityProviderStrategy: [
    { capacityProvider: "FARGATE", weight: 1, base: 1 },
    { capacityProvider: "FARGATE_SPOT", weight: 3, base: 0 },
  ],
  tags: { ...OWNERSHIP, team: "web" },
};

describe("cluster diff", () => {
  it.each<{
    why: string;
    desired?: Partial<ClusterDesired>;
    /** A field the spec does not set. */
    unset?: "containerInsights" | "capacityProviders" | "defaultCapacityProviderStrategy";
    observed?: Partial<ObservedCluster>;
    diffs: FieldDiff[];
  }>([
    { why: "the same settings, providers, strategy and tags are no change", diffs: [] },
    {
      why: "Container Insights switched off out of band is switched back on",
      observed: { containerInsights: "disabled" },
      diffs: [{ path: "containerInsights", before: "disabled", after: "enabled" }],
    },
    {
      why: "the spec may turn Container Insights off",
      desired: { containerInsights: "disabled" },
      diffs: [{ path: "containerInsights", before: "enabled", after: "disabled" }],
    },
    {
      why: "enhanced observability is a value of its own",
      desired: { containerInsights: "enhanced" },
      diffs: [{ path: "containerInsights", before: "enabled", after: "enhanced" }],
    },
    {
      why: "a cluster without the setting gets the spec's",
      observed: { containerInsights: null },
      diffs: [{ path: "containerInsights", after: "enabled", before: null }],
    },
    {
      why: "Container Insights the spec leaves out is the account's business, not drift",
      unset: "containerInsights",
      observed: { containerInsights: "disabled" },
      diffs: [],
    },
    {
      why: "capacity providers are a set: another order is no change",
      desired: { capacityProviders: ["FARGATE", "FARGATE_SPOT"] },
      observed: { capacityProviders: ["FARGATE", "FARGATE_SPOT"].reverse() },
      diffs: [],
    },
    {
      why: "a provider the spec drops is removed",
      desired: { capacityProviders: ["FARGATE"] },
      diffs: [{ path: "capacityProviders", before: ["FARGATE", "FARGATE_SPOT"], after: ["FARGATE"] }],
    },
    {
      why: "providers the spec leaves out are not drift",
      unset: "capacityProviders",
      observed: { capacityProviders: ["FARGATE", "FARGATE_SPOT", "MyEc2Provider"] },
      diffs: [],
    },
    {
      why: "a strategy is a set: another order is no change",
      observed: { defaultCapacityProviderStrategy: [...desired.defaultCapacityProviderStrategy!].reverse() },
      diffs: [],
    },
    {
      why: "a weight changed is one line for that provider's weight",
      desired: {
        defaultCapacityProviderStrategy: [
          { capacityProvider: "FARGATE", weight: 1, base: 1 },
          { capacityProvider: "FARGATE_SPOT", weight: 4, base: 0 },
        ],
      },
      diffs: [{ path: "defaultCapacityProviderStrategy.FARGATE_SPOT.weight", before: 3, after: 4 }],
    },
    {
      why: "a base changed is one line for that provider's base",
      observed: {
        defaultCapacityProviderStrategy: [
          { capacityProvider: "FARGATE", weight: 1, base: 0 },
          { capacityProvider: "FARGATE_SPOT", weight: 3, base: 0 },
        ],
      },
      diffs: [{ path: "defaultCapacityProviderStrategy.FARGATE.base", before: 0, after: 1 }],
    },
    {
      why: "a provider added to the strategy shows its weight and base",
      desired: {
        defaultCapacityProviderStrategy: [
          ...desired.defaultCapacityProviderStrategy!,
          { capacityProvider: "MyEc2Provider", weight: 2, base: 0 },
        ],
      },
      diffs: [{ path: "defaultCapacityProviderStrategy.MyEc2Provider", after: { weight: 2, base: 0 } }],
    },
    {
      why: "a provider dropped from the strategy shows what goes",
      desired: { defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 1 }] },
      diffs: [{ path: "defaultCapacityProviderStrategy.FARGATE_SPOT", before: { weight: 3, base: 0 } }],
    },
    {
      why: "a strategy the spec leaves out is not drift",
      unset: "defaultCapacityProviderStrategy",
      observed: { defaultCapacityProviderStrategy: [] },
      diffs: [],
    },
    {
      why: "a tag added out of band is removed and a changed one set back",
      observed: { tags: { ...OWNERSHIP, team: "data", owner: "someone" } },
      diffs: [
        { path: "tags.owner", before: "someone" },
        { path: "tags.team", before: "data", after: "web" },
      ],
    },
    {
      why: "AWS's own aws: tags are never touched",
      observed: { tags: { ...OWNERSHIP, team: "web", "aws:cloudformation:stack-name": "legacy" } },
      diffs: [],
    },
    {
      why: "several drifts come out in a stable order: insights, providers, strategy, then tags",
      observed: {
        containerInsights: "disabled",
        capacityProviders: ["FARGATE"],
        defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 1 }],
        tags: { ...OWNERSHIP },
      },
      diffs: [
        { path: "containerInsights", before: "disabled", after: "enabled" },
        { path: "capacityProviders", before: ["FARGATE"], after: ["FARGATE", "FARGATE_SPOT"] },
        { path: "defaultCapacityProviderStrategy.FARGATE_SPOT", after: { weight: 3, base: 0 } },
        { path: "tags.team", after: "web" },
      ],
    },
  ])("$why", ({ desired: d, unset, observed: o, diffs }) => {
    const want: ClusterDesired = { ...desired, ...d };
    if (unset) delete want[unset];
    expect(diffCluster(want, { ...observed, ...o }).lines).toEqual(diffs);
  });

  it("never forces a replacement: the name is the cluster's identity", () => {
    const all = diffCluster(desired, {
      ...observed,
      containerInsights: "disabled",
      capacityProviders: [],
      defaultCapacityProviderStrategy: [],
      tags: {},
    }).lines;
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((d) => d.forcesReplacement)).toEqual([]);
  });
});

describe("the calls a cluster change takes", () => {
  const NO_TAGS = { set: {}, remove: [] };
  const BOTH_PROVIDERS = { cluster: "demo-main", capacityProviders: ["FARGATE", "FARGATE_SPOT"] };
  it.each<{
    why: string;
    desired?: Partial<ClusterDesired>;
    unset?: "containerInsights" | "capacityProviders" | "defaultCapacityProviderStrategy";
    observed?: Partial<ObservedCluster>;
    change: ClusterChange;
  }>([
    { why: "no drift is no call", change: { tags: NO_TAGS } },
    {
      why: "Container Insights alone is one UpdateCluster with the spec's setting",
      observed: { containerInsights: "disabled" },
      change: { settings: [{ name: "containerInsights", value: "enabled" }], tags: NO_TAGS },
    },
    {
      why: "a cluster without the setting gets it by UpdateCluster",
      observed: { containerInsights: null },
      change: { settings: [{ name: "containerInsights", value: "enabled" }], tags: NO_TAGS },
    },
    {
      why: "Container Insights the spec leaves out is never sent",
      unset: "containerInsights",
      observed: { containerInsights: "disabled" },
      change: { tags: NO_TAGS },
    },
    {
      why: "a weight changed sends both lists in one PutClusterCapacityProviders",
      desired: {
        defaultCapacityProviderStrategy: [
          { capacityProvider: "FARGATE", weight: 1, base: 1 },
          { capacityProvider: "FARGATE_SPOT", weight: 4, base: 0 },
        ],
      },
      change: {
        capacityProviders: {
          ...BOTH_PROVIDERS,
          defaultCapacityProviderStrategy: [
            { capacityProvider: "FARGATE", weight: 1, base: 1 },
            { capacityProvider: "FARGATE_SPOT", weight: 4, base: 0 },
          ],
        },
        tags: NO_TAGS,
      },
    },
    {
      why: "providers changed while the spec leaves the strategy out: the live strategy is sent back as it is",
      unset: "defaultCapacityProviderStrategy",
      observed: { capacityProviders: ["FARGATE"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 2, base: 0 }] },
      change: {
        capacityProviders: { ...BOTH_PROVIDERS, defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 2, base: 0 }] },
        tags: NO_TAGS,
      },
    },
    {
      why: "a strategy changed while the spec leaves the providers out: the live providers are sent back as they are",
      unset: "capacityProviders",
      observed: { capacityProviders: ["FARGATE", "FARGATE_SPOT", "MyEc2Provider"], defaultCapacityProviderStrategy: [] },
      change: {
        capacityProviders: {
          cluster: "demo-main",
          capacityProviders: ["FARGATE", "FARGATE_SPOT", "MyEc2Provider"],
          defaultCapacityProviderStrategy: desired.defaultCapacityProviderStrategy!,
        },
        tags: NO_TAGS,
      },
    },
    {
      why: "tags alone are only tag writes: the changed and missing keys set, the foreign one removed, aws: ones kept",
      observed: { tags: { ...OWNERSHIP, team: "data", owner: "someone", "aws:cloudformation:stack-name": "legacy" } },
      change: { tags: { set: { team: "web" }, remove: ["owner"] } },
    },
    {
      why: "every part drifted: one call of each",
      observed: { containerInsights: "disabled", capacityProviders: [], defaultCapacityProviderStrategy: [], tags: { ...OWNERSHIP } },
      change: {
        settings: [{ name: "containerInsights", value: "enabled" }],
        capacityProviders: { ...BOTH_PROVIDERS, defaultCapacityProviderStrategy: desired.defaultCapacityProviderStrategy! },
        tags: { set: { team: "web" }, remove: [] },
      },
    },
  ])("$why", ({ desired: d, unset, observed: o, change }) => {
    const want: ClusterDesired = { ...desired, ...d };
    if (unset) delete want[unset];
    expect(diffCluster(want, { ...observed, ...o }).change).toEqual(change);
  });
});

describe("cluster normalisation", () => {
  it.each<{ why: string; items: Parameters<typeof normaliseStrategy>[0]; want: ReturnType<typeof normaliseStrategy> }>([
    { why: "no strategy is an empty one", items: undefined, want: [] },
    {
      why: "a base left out is 0, as AWS reports it",
      items: [{ capacityProvider: "FARGATE", weight: 1 }],
      want: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
    },
    {
      why: "a weight AWS leaves out is its default, 0",
      items: [{ capacityProvider: "FARGATE", base: 2 }],
      want: [{ capacityProvider: "FARGATE", weight: 0, base: 2 }],
    },
    {
      why: "providers come sorted by name",
      items: [
        { capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 },
        { capacityProvider: "FARGATE", weight: 1, base: 0 },
      ],
      want: [
        { capacityProvider: "FARGATE", weight: 1, base: 0 },
        { capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 },
      ],
    },
  ])("$why", ({ items, want }) => {
    expect(normaliseStrategy(items)).toEqual(want);
  });

  it("reads a cluster described without settings, providers or tags (AWS's published example) as having none", () => {
    const { clusters } = fixture<{ clusters: Cluster[] }>("describe-clusters-default.json");
    expect(toObservedCluster(clusters[0]!)).toEqual({
      name: "default",
      id: "arn:aws:ecs:us-west-2:123456789012:cluster/default",
      tags: {},
      containerInsights: null,
      capacityProviders: [],
      defaultCapacityProviderStrategy: [],
    });
    // A spec that sets nothing but the name compares equal (tags aside, which such a cluster never had).
    expect(diffCluster(desiredCluster("default", {}, {}), toObservedCluster(clusters[0]!)).lines).toEqual([]);
  });

  it("compares AWS's echo of a cluster with providers and a strategy equal to a spec that means the same", () => {
    const { cluster } = fixture<{ cluster: Cluster }>("describe-clusters-capacity-providers.json");
    const spec = specSchema.parse({
      stack: "demo",
      region: "us-west-2",
      network: { vpc: "default", subnets: { availabilityZones: ["us-west-2a"] } },
      clusters: {
        main: {
          name: "MyCluster",
          containerInsights: "enabled",
          // Another order than AWS's, and no base: AWS reports base 0 for each.
          capacityProviders: ["MyCapacityProvider2", "MyCapacityProvider1"],
          defaultCapacityProviderStrategy: [
            { capacityProvider: "MyCapacityProvider2" },
            { capacityProvider: "MyCapacityProvider1", weight: 1 },
          ],
        },
      },
    });
    const [node] = clustersReconciler.nodes(spec);
    const value = node!.build(NO_OUTPUTS);
    const live = toObservedCluster(cluster);
    // The published cluster has no tags; everything else must match.
    expect(diffCluster({ ...value, tags: {} }, live).lines).toEqual([]);
    expect(diffCluster(value, live).lines.map((d) => d.path)).toEqual(["tags.reconcile:id", "tags.reconcile:stack"]);
  });
});

describe("cluster nodes", () => {
  it("builds the reference cluster of examples/microblog.yaml: its name, insights, FARGATE and weight 1, and the ownership tags", () => {
    const spec = specSchema.parse(REFERENCE_INPUT);
    const nodes = clustersReconciler.nodes(spec);
    expect(nodes.map((n) => [n.address, n.name, n.dependsOn, n.adopt, n.readOnly])).toEqual([
      ["clusters.main", "clusterFargateCurso107", [], false, false],
    ]);
    expect(nodes[0]!.build(NO_OUTPUTS)).toEqual({
      name: "clusterFargateCurso107",
      containerInsights: "enabled",
      capacityProviders: ["FARGATE"],
      defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
      tags: { project: "curso107", "reconcile:stack": "microblog", "reconcile:id": "clusters/main" },
    });
  });

  it("gives an unnamed cluster the default name and leaves out what its spec does not set", () => {
    const spec = specSchema.parse({
      stack: "demo",
      region: "us-east-1",
      network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
      clusters: { main: { tags: { team: "web" } } },
    });
    expect(clustersReconciler.nodes(spec)[0]!.build(NO_OUTPUTS)).toEqual({ name: "demo-main", tags: { ...OWNERSHIP, team: "web" } });
  });

  it("outputs the ARN and the name", () => {
    expect(clustersReconciler.outputs(observed)).toEqual({ arn: ARN, name: "demo-main" });
  });
});
