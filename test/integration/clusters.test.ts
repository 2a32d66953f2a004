import { defaultVpcNetwork } from "../support/default-vpc.js";
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeClustersCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UpdateClusterCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { clustersReconciler, discoverClusters, type ClusterDesired } from "../../src/reconcilers/ecs/clusters/index.js";
import { findTaggedResources } from "../../src/reconcilers/tagged-resources.js";
import type { Context } from "../../src/reconcilers/contract.js";
import type { ClusterSpec } from "../../src/schema/ecs.js";
import { specSchema } from "../../src/schema/index.js";
import { motoClientConfig } from "../support/moto-env.js";
import { NO_OUTPUTS, recordCalls, uniqueName } from "../support/reconciler-tests.js";
import { REFERENCE_INPUT } from "../support/specs.js";

// maxAttempts 2: moto answers 500 to an unimplemented action, which the SDK would otherwise retry for a while.
const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

/** Every ECS action the reconciler sends, so tests can hold it to the calls it needs. */
const recorded = recordCalls(clients.ecs);
const { writes, actions, sent } = recorded;
beforeEach(recorded.reset);

const contextOf = (stack: string): Context => ({ stack, region: "us-east-1", clients });

/** The reference cluster of examples/microblog.yaml: Container Insights on, FARGATE, weight 1. */
const REFERENCE_CLUSTER = (REFERENCE_INPUT.clusters as Record<string, ClusterSpec>).main!;

/** The desired state of each entry, as the engine builds it from a spec; every cluster gets a name of its own. */
function desiredOf(
  stack: string,
  clusters: Record<string, Partial<ClusterSpec>>,
): Record<string, { address: string; value: ClusterDesired }> {
  const spec = specSchema.parse({
    stack,
    region: "us-east-1",
    tags: REFERENCE_INPUT.tags,
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    clusters,
  });
  return Object.fromEntries(clustersReconciler.nodes(spec).map((n) => [n.logical, { address: n.address, value: n.build(NO_OUTPUTS) }]));
}

/** The reference cluster under a name of its own, changed by `changes`. */
const referenceCluster = (name: string, changes: Partial<ClusterSpec> = {}) => ({ ...REFERENCE_CLUSTER, name, ...changes });

async function observeOne(entry: { address: string; value: ClusterDesired }, ctx: Context) {
  return (await clustersReconciler.observe([entry], ctx)).get(entry.address);
}

async function liveCluster(name: string) {
  const { clusters } = await clients.ecs.send(new DescribeClustersCommand({ clusters: [name], include: ["SETTINGS", "TAGS"] }));
  return clusters?.[0];
}

// ---------------------------------------------------------------------------------------------------------
// A service the stack does not own, created directly: the default VPC's subnets and default group.

let network: { subnets: string[]; securityGroups: string[] };

beforeAll(async () => {
  const { subnets, securityGroups } = await defaultVpcNetwork(clients);
  network = { subnets, securityGroups };
});

async function runService(cluster: string, name: string, tags: Record<string, string> = {}): Promise<void> {
  const { taskDefinition } = await clients.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: name,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "app", image: "public.ecr.aws/nginx/nginx:latest", essential: true }],
    }),
  );
  await clients.ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: name,
      taskDefinition: taskDefinition!.taskDefinitionArn!,
      desiredCount: 1,
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration: network },
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    }),
  );
}

async function stopService(cluster: string, name: string): Promise<void> {
  await clients.ecs.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: 0 }));
  await clients.ecs.send(new DeleteServiceCommand({ cluster, service: name }));
}

// ---------------------------------------------------------------------------------------------------------

describe("clusters against moto", () => {
  it("creates the reference cluster with one CreateCluster carrying everything; observing it then shows no diff and makes no writes", async () => {
    const stack = uniqueName();
    const name = uniqueName();
    const { main } = desiredOf(stack, { main: referenceCluster(name) });
    const ctx = contextOf(stack);

    expect(await clustersReconciler.observe([main!], ctx)).toEqual(new Map());

    recorded.reset();
    const created = await clustersReconciler.create(main!.value, ctx);
    expect(writes()).toEqual(["CreateCluster"]);
    expect(sent[0]!.input).toEqual({
      clusterName: name,
      settings: [{ name: "containerInsights", value: "enabled" }],
      capacityProviders: ["FARGATE"],
      defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
      tags: [
        { key: "project", value: "curso107" },
        { key: "reconcile:stack", value: stack },
        { key: "reconcile:id", value: "clusters/main" },
      ],
    });
    expect(created).toEqual({
      name,
      id: `arn:aws:ecs:us-east-1:123456789012:cluster/${name}`,
      containerInsights: "enabled",
      capacityProviders: ["FARGATE"],
      defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
      tags: { project: "curso107", "reconcile:stack": stack, "reconcile:id": "clusters/main" },
    });
    expect(clustersReconciler.outputs(created)).toEqual({ arn: created.id, name });

    recorded.reset();
    const observed = await observeOne(main!, ctx);
    expect(observed).toEqual(created);
    expect(clustersReconciler.diff(main!.value, observed!).lines).toEqual([]);
    expect(actions()).toEqual(["DescribeClusters"]);
  });

  it("observes every cluster of the spec with one DescribeClusters, and a missing one is absent", async () => {
    const stack = uniqueName();
    const entries = desiredOf(stack, { a: { name: uniqueName() }, b: { name: uniqueName() }, missing: { name: uniqueName() } });
    const ctx = contextOf(stack);
    await clustersReconciler.create(entries.a!.value, ctx);
    await clustersReconciler.create(entries.b!.value, ctx);

    recorded.reset();
    const found = await clustersReconciler.observe(Object.values(entries), ctx);
    expect([...found.keys()].sort()).toEqual(["clusters.a", "clusters.b"]);
    expect(actions()).toEqual(["DescribeClusters"]);
    expect(sent[0]!.input.clusters).toEqual([entries.a!.value.name, entries.b!.value.name, entries.missing!.value.name]);
  });

  it("switches Container Insights with exactly one UpdateCluster", async () => {
    const stack = uniqueName();
    const name = uniqueName();
    const before = desiredOf(stack, { main: referenceCluster(name) }).main!;
    const after = desiredOf(stack, { main: referenceCluster(name, { containerInsights: "disabled" }) }).main!;
    const ctx = contextOf(stack);
    await clustersReconciler.create(before.value, ctx);

    const observed = (await observeOne(after, ctx))!;
    const { lines: diffs, change } = clustersReconciler.diff(after.value, observed);
    expect(diffs).toEqual([{ path: "containerInsights", before: "enabled", after: "disabled" }]);

    recorded.reset();
    const updated = await clustersReconciler.update(change, observed, ctx);
    expect(writes()).toEqual(["UpdateCluster"]);
    expect(sent[0]!.input).toEqual({ cluster: name, settings: [{ name: "containerInsights", value: "disabled" }] });
    expect(updated.containerInsights).toBe("disabled");
    expect((await liveCluster(name))?.settings).toEqual([{ name: "containerInsights", value: "disabled" }]);
    expect(clustersReconciler.diff(after.value, (await observeOne(after, ctx))!).lines).toEqual([]);
  });

  it("changes the default strategy with exactly one PutClusterCapacityProviders, sending the providers as they are", async () => {
    const stack = uniqueName();
    const name = uniqueName();
    const before = desiredOf(stack, { main: referenceCluster(name) }).main!;
    const heavier = [{ capacityProvider: "FARGATE", weight: 2, base: 1 }];
    const after = desiredOf(stack, { main: referenceCluster(name, { defaultCapacityProviderStrategy: heavier }) }).main!;
    const ctx = contextOf(stack);
    await clustersReconciler.create(before.value, ctx);

    const observed = (await observeOne(after, ctx))!;
    const { lines: diffs, change } = clustersReconciler.diff(after.value, observed);
    expect(diffs).toEqual([
      { path: "defaultCapacityProviderStrategy.FARGATE.weight", before: 1, after: 2 },
      { path: "defaultCapacityProviderStrategy.FARGATE.base", before: 0, after: 1 },
    ]);

    recorded.reset();
    const updated = await clustersReconciler.update(change, observed, ctx);
    expect(writes()).toEqual(["PutClusterCapacityProviders"]);
    expect(sent[0]!.input).toEqual({ cluster: name, capacityProviders: ["FARGATE"], defaultCapacityProviderStrategy: heavier });
    expect(updated.defaultCapacityProviderStrategy).toEqual(heavier);
    expect(clustersReconciler.diff(after.value, (await observeOne(after, ctx))!).lines).toEqual([]);
  });

  it("adds a provider the spec names while its strategy is left out: the live strategy is sent back unchanged", async () => {
    const stack = uniqueName();
    const name = uniqueName();
    const ctx = contextOf(stack);
    await clustersReconciler.create(desiredOf(stack, { main: referenceCluster(name) }).main!.value, ctx);
    const { defaultCapacityProviderStrategy: _left, ...withoutStrategy } = referenceCluster(name, {
      capacityProviders: ["FARGATE_SPOT", "FARGATE"],
    });
    const after = desiredOf(stack, { main: withoutStrategy }).main!;

    const observed = (await observeOne(after, ctx))!;
    const { lines: diffs, change } = clustersReconciler.diff(after.value, observed);
    expect(diffs).toEqual([{ path: "capacityProviders", before: ["FARGATE"], after: ["FARGATE", "FARGATE_SPOT"] }]);

    recorded.reset();
    await clustersReconciler.update(change, observed, ctx);
    expect(writes()).toEqual(["PutClusterCapacityProviders"]);
    expect(sent[0]!.input).toEqual({
      cluster: name,
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
    });
    expect(clustersReconciler.diff(after.value, (await observeOne(after, ctx))!).lines).toEqual([]);
  });

  it("sets back a changed tag and removes an added one with exactly TagResource and UntagResource", async () => {
    const stack = uniqueName();
    const name = uniqueName();
    const { main } = desiredOf(stack, { main: referenceCluster(name, { tags: { team: "web" } }) });
    const ctx = contextOf(stack);
    const created = await clustersReconciler.create(main!.value, ctx);
    await clients.ecs.send(
      new TagResourceCommand({
        resourceArn: created.id,
        tags: [
          { key: "team", value: "data" },
          { key: "owner", value: "someone" },
        ],
      }),
    );

    const observed = (await observeOne(main!, ctx))!;
    const { lines: diffs, change } = clustersReconciler.diff(main!.value, observed);
    expect(diffs).toEqual([
      { path: "tags.owner", before: "someone" },
      { path: "tags.team", before: "data", after: "web" },
    ]);

    recorded.reset();
    const updated = await clustersReconciler.update(change, observed, ctx);
    expect(sent).toEqual([
      { action: "TagResource", input: { resourceArn: created.id, tags: [{ key: "team", value: "web" }] } },
      { action: "UntagResource", input: { resourceArn: created.id, tagKeys: ["owner"] } },
    ]);
    expect(updated.tags).toEqual(main!.value.tags);
    expect(clustersReconciler.diff(main!.value, (await observeOne(main!, ctx))!).lines).toEqual([]);
  });

  it("makes no call at all for an update with no diffs", async () => {
    const stack = uniqueName();
    const { main } = desiredOf(stack, { main: referenceCluster(uniqueName()) });
    const ctx = contextOf(stack);
    const created = await clustersReconciler.create(main!.value, ctx);

    recorded.reset();
    expect(await clustersReconciler.update(clustersReconciler.diff(main!.value, created).change, created, ctx)).toEqual(created);
    expect(actions()).toEqual([]);
  });

  it("refuses to delete a cluster running a service the stack does not own, then deletes it once that service is gone", async () => {
    const stack = uniqueName();
    const name = uniqueName();
    const { main } = desiredOf(stack, { main: referenceCluster(name) });
    const ctx = contextOf(stack);
    const created = await clustersReconciler.create(main!.value, ctx);
    const foreign = uniqueName();
    const own = uniqueName();
    await runService(name, foreign, { team: "someone-else" });
    await runService(name, own, { "reconcile:stack": stack });
    // A service deleted earlier (INACTIVE, still listed by ListServices) does not hold the cluster.
    const gone = uniqueName();
    await runService(name, gone);
    await stopService(name, gone);

    recorded.reset();
    await expect(clustersReconciler.delete(created, ctx)).rejects.toThrow(
      `cluster ${name} still runs services this stack does not own: ${foreign}; delete them first (nothing was deleted)`,
    );
    expect(writes()).toEqual([]);
    expect(actions()).toEqual(["ListServices", "DescribeServices"]);
    expect(sent[1]!.input).toMatchObject({ cluster: name, include: ["TAGS"] });
    expect((await liveCluster(name))?.status).toBe("ACTIVE");

    await stopService(name, foreign);
    // The stack's own service is still ACTIVE: the engine deletes it before the cluster. moto's DeleteCluster does
    // not check for services (AWS answers ClusterContainsServicesException), so it is stopped here to stay honest.
    await stopService(name, own);
    recorded.reset();
    await clustersReconciler.delete(created, ctx);
    expect(writes()).toEqual(["DeleteCluster"]);
    // A deleted cluster stays listed as INACTIVE: observe counts it as absent.
    expect((await liveCluster(name))?.status).toBe("INACTIVE");
    expect(await clustersReconciler.observe([main!], ctx)).toEqual(new Map());
  });

  it("lets the stack's own services through the check, naming none of them", async () => {
    const stack = uniqueName();
    const name = uniqueName();
    const { main } = desiredOf(stack, { main: referenceCluster(name) });
    const ctx = contextOf(stack);
    const created = await clustersReconciler.create(main!.value, ctx);
    const own = uniqueName();
    await runService(name, own, { "reconcile:stack": stack });

    // moto deletes a cluster that still holds services (AWS refuses with ClusterContainsServicesException, which the
    // engine avoids by deleting the stack's services first); here it shows the check let the stack's service pass.
    recorded.reset();
    await clustersReconciler.delete(created, ctx);
    expect(writes()).toEqual(["DeleteCluster"]);
    await stopService(name, own);
  });

  it("deletes a cluster that does not exist, or no longer does, as success", async () => {
    const stack = uniqueName();
    const { main } = desiredOf(stack, { main: referenceCluster(uniqueName()) });
    const ctx = contextOf(stack);
    const never = { ...(await clustersReconciler.create(main!.value, ctx)), name: uniqueName() };

    recorded.reset();
    await clustersReconciler.delete(never, ctx);
    // ListServices answers ClusterNotFoundException: nothing to check, nothing to delete.
    expect(actions()).toEqual(["ListServices"]);

    const created = (await observeOne(main!, ctx))!;
    await clustersReconciler.delete(created, ctx);
    await clustersReconciler.delete(created, ctx);
  });

  it("discovers the stack's clusters, and neither another stack's nor a deleted one", async () => {
    const stack = uniqueName();
    const otherStack = uniqueName();
    const mine = desiredOf(stack, { a: { name: uniqueName() }, b: { name: uniqueName() } });
    const theirs = desiredOf(otherStack, { a: { name: uniqueName() } });
    const ctx = contextOf(stack);
    const a = await clustersReconciler.create(mine.a!.value, ctx);
    const b = await clustersReconciler.create(mine.b!.value, ctx);
    const other = await clustersReconciler.create(theirs.a!.value, contextOf(otherStack));

    const byName = (x: { name: string }, y: { name: string }) => x.name.localeCompare(y.name);
    expect(await clustersReconciler.discover(ctx, new Set())).toEqual([a, b].sort(byName));
    expect(await clustersReconciler.discover(contextOf(otherStack), new Set())).toEqual([other]);
    // A cluster observe already read (known by its ARN) is not described again.
    expect(await clustersReconciler.discover(ctx, new Set([a.id]))).toEqual([b]);

    // moto's Tagging API keeps listing a deleted (INACTIVE) cluster, as AWS may for a while: it is not reported.
    await clustersReconciler.delete(b, ctx);
    const tagged = await findTaggedResources(ctx);
    expect(tagged.map((t) => t.arn)).toContain(b.id);
    expect(await discoverClusters(ctx, tagged)).toEqual([a]);
  });

  it("reads Container Insights changed out of band and sets it back", async () => {
    const stack = uniqueName();
    const name = uniqueName();
    const { main } = desiredOf(stack, { main: referenceCluster(name) });
    const ctx = contextOf(stack);
    await clustersReconciler.create(main!.value, ctx);
    await clients.ecs.send(new UpdateClusterCommand({ cluster: name, settings: [{ name: "containerInsights", value: "enhanced" }] }));

    const observed = (await observeOne(main!, ctx))!;
    const { lines: diffs, change } = clustersReconciler.diff(main!.value, observed);
    expect(diffs).toEqual([{ path: "containerInsights", before: "enhanced", after: "enabled" }]);
    recorded.reset();
    await clustersReconciler.update(change, observed, ctx);
    expect(writes()).toEqual(["UpdateCluster"]);
  });
});
