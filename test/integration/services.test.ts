import { defaultVpcNetwork } from "../support/default-vpc.js";
import {
  CreateClusterCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type RegisterTaskDefinitionCommandInput,
} from "@aws-sdk/client-ecs";
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { servicesReconciler as reconciler, type ObservedService, type ServiceDesired } from "../../src/reconcilers/ecs/services/index.js";
import type { Context, Outputs } from "../../src/reconcilers/contract.js";
import { specSchema, type SpecInput } from "../../src/schema/index.js";
import { MOTO_RUNNING_TASKS } from "../support/global-setup.js";
import { motoClientConfig } from "../support/moto-env.js";
import { recordCalls, uniqueName } from "../support/reconciler-tests.js";

// Where moto differs from AWS, worked around here only:
// - CreateService drops deploymentConfiguration, healthCheckGracePeriodSeconds, enableExecuteCommand and
//   capacityProviderStrategy (AWS keeps them). create compares what CreateService echoed with the spec and sends
//   ONE UpdateService for what did not take: on moto that is the second write of every create below that sets one
//   of these; on AWS it never fires.
// - No tasks run: every new service reports MOTO_RUNNING_TASKS running, and UpdateService sets the running count
//   to the desired count at once, so a service waited for is created with desiredCount MOTO_RUNNING_TASKS.
// - CreateService does not check that a target group is behind a listener, nor that the task definition is
//   Fargate-compatible; the load-balancer test wires a real listener anyway, as AWS requires.

type ServiceInput = NonNullable<SpecInput["services"]>[string];

// maxAttempts 2: moto answers 500 to an unimplemented action, which the SDK would otherwise retry for a while.
const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

const ecs = recordCalls(clients.ecs);
beforeEach(ecs.reset);

let vpcId = "";
let subnetIds: string[] = [];
let defaultGroupId = "";
beforeAll(async () => {
  const network = await defaultVpcNetwork(clients);
  ({ vpcId, subnets: subnetIds } = network);
  defaultGroupId = network.securityGroups[0]!;
});

const contextOf = (stack: string, extra: Partial<Context> = {}): Context => ({ stack, region: "us-east-1", clients, ...extra });

/** A cluster and a task definition of their own, made with the SDK: the kinds that own them are tested elsewhere. */
async function clusterAndTask(): Promise<{ cluster: string; family: string; revision1: string; register: () => Promise<string> }> {
  const cluster = uniqueName();
  await clients.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const family = uniqueName();
  const task: RegisterTaskDefinitionCommandInput = {
    family,
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: "256",
    memory: "512",
    containerDefinitions: [{ name: "web", image: "nginx:1.27", essential: true, portMappings: [{ containerPort: 8080, protocol: "tcp" }] }],
  };
  const register = async () => (await clients.ecs.send(new RegisterTaskDefinitionCommand(task))).taskDefinition!.taskDefinitionArn!;
  return { cluster, family, revision1: await register(), register };
}

interface World {
  cluster: string;
  taskDefinition: string;
  targetGroupArn?: string;
}

/** Outputs of the other nodes, as the engine would have them: the SDK-made cluster and task, the default VPC's subnets and group. */
function outputsOf(world: World): Outputs {
  return {
    string: (address, output) => {
      if (address === "taskDefinitions.web" && output === "arn") return world.taskDefinition;
      if (address.startsWith("securityGroups.") && output === "id") return defaultGroupId;
      if (address === "targetGroups.web" && output === "arn" && world.targetGroupArn) return world.targetGroupArn;
      throw new Error(`no stand-in for ${address} ${output}`);
    },
    list: (address, output) => {
      if (address === "network" && output === "subnetIds") return [...subnetIds];
      throw new Error(`no stand-in for ${address} ${output}`);
    },
  };
}

/** The one service of a spec, built as the engine builds it. */
function desiredOf(stack: string, world: World, service: Partial<ServiceInput>): { address: string; value: ServiceDesired } {
  const spec = specSchema.parse({
    stack,
    region: "us-east-1",
    tags: { suite: "services" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    securityGroups: { default: { existing: { name: "default" } } },
    clusters: { main: { name: world.cluster } },
    taskDefinitions: { web: { cpu: 256, memory: 512, containers: { web: { image: "nginx:1.27", portMappings: [8080] } } } },
    ...(world.targetGroupArn && {
      targetGroups: { web: { targetType: "ip", protocol: "HTTP", port: 8080 } },
      loadBalancers: {
        web: { securityGroups: ["default"], listeners: { http: { protocol: "HTTP", port: 8080, defaultAction: { forward: "web" } } } },
      },
    }),
    services: { web: { taskDefinition: "web", network: { securityGroups: ["default"] }, ...service } },
  });
  const [node] = reconciler.nodes(spec);
  return { address: node!.address, value: node!.build(outputsOf(world)) };
}

async function observe(entry: { address: string; value: ServiceDesired }, ctx: Context): Promise<ObservedService | undefined> {
  return (await reconciler.observe([entry], ctx)).get(entry.address);
}

const writes = () => ecs.sent.filter((c) => !/^(Describe|List|Get)/.test(c.action));

/** Everything the spec can say about a service but load balancers and auto scaling. */
const EVERYTHING: Partial<ServiceInput> = {
  desiredCount: MOTO_RUNNING_TASKS,
  launchType: "FARGATE",
  platformVersion: "LATEST",
  deployment: { minimumHealthyPercent: 50, maximumPercent: 200, circuitBreaker: { enable: true, rollback: true } },
  network: { securityGroups: ["default"], assignPublicIp: "ENABLED" },
  healthCheckGracePeriodSeconds: 30,
  propagateTags: "SERVICE",
  enableExecuteCommand: true,
  tags: { team: "web" },
};

describe("a service with everything the spec sets, against moto", () => {
  const stack = uniqueName();
  const ctx = contextOf(stack);
  let world: World;
  let revision2 = "";
  let created: ObservedService;

  beforeAll(async () => {
    const made = await clusterAndTask();
    world = { cluster: made.cluster, taskDefinition: made.revision1 };
    revision2 = await made.register();
  });

  it("from nothing, create sends CreateService with everything, then the one UpdateService moto needs", async () => {
    const desired = desiredOf(stack, world, EVERYTHING);
    expect(await observe(desired, ctx)).toBeUndefined();
    ecs.reset();
    created = await reconciler.create(desired.value, ctx);

    expect(writes().map((c) => c.action)).toEqual(["CreateService", "UpdateService"]);
    expect(writes()[0]!.input).toEqual({
      // Derived from the stack, the address and the request: a retry or the next run sends the same one.
      clientToken: expect.stringMatching(/^[0-9a-f]{36}$/),
      cluster: world.cluster,
      serviceName: `${stack}-web`,
      taskDefinition: world.taskDefinition,
      desiredCount: MOTO_RUNNING_TASKS,
      launchType: "FARGATE",
      platformVersion: "LATEST",
      schedulingStrategy: "REPLICA",
      deploymentController: { type: "ECS" },
      deploymentConfiguration: {
        minimumHealthyPercent: 50,
        maximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
      },
      networkConfiguration: {
        awsvpcConfiguration: { subnets: [...subnetIds].sort(), securityGroups: [defaultGroupId], assignPublicIp: "ENABLED" },
      },
      loadBalancers: [],
      serviceRegistries: [],
      healthCheckGracePeriodSeconds: 30,
      propagateTags: "SERVICE",
      enableExecuteCommand: true,
      enableECSManagedTags: true,
      tags: [
        { key: "suite", value: "services" },
        { key: "team", value: "web" },
        { key: "reconcile:stack", value: stack },
        { key: "reconcile:id", value: "services/web" },
      ],
    });
    // moto's gap, and only it: the fields its CreateService dropped.
    expect(writes()[1]!.input).toEqual({
      cluster: world.cluster,
      service: `${stack}-web`,
      deploymentConfiguration: {
        minimumHealthyPercent: 50,
        maximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
      },
      healthCheckGracePeriodSeconds: 30,
      enableExecuteCommand: true,
    });
    expect(reconciler.diff(desired.value, created).lines).toEqual([]);
    expect(reconciler.outputs(created)).toEqual({
      arn: `arn:aws:ecs:us-east-1:123456789012:service/${world.cluster}/${stack}-web`,
      name: `${stack}-web`,
      clusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/${world.cluster}`,
    });
  });

  it("observed again it has converged: no diff, no write, one DescribeServices", async () => {
    const live = await observe(desiredOf(stack, world, EVERYTHING), ctx);
    expect(live).toEqual({ ...created, tags: created.tags });
    expect(reconciler.diff(desiredOf(stack, world, EVERYTHING).value, live!).lines).toEqual([]);
    expect(ecs.actions()).toEqual(["DescribeServices"]);
  });

  it("a new task definition revision makes exactly one UpdateService, with only the task definition", async () => {
    world = { ...world, taskDefinition: revision2 };
    const desired = desiredOf(stack, world, EVERYTHING);
    const live = (await observe(desired, ctx))!;
    const { lines: diffs, change } = reconciler.diff(desired.value, live);
    expect(diffs).toEqual([{ path: "taskDefinition", before: created.taskDefinition, after: revision2 }]);
    ecs.reset();
    const updated = await reconciler.update(change, live, ctx);
    expect(writes()).toEqual([
      { action: "UpdateService", input: { cluster: world.cluster, service: `${stack}-web`, taskDefinition: revision2 } },
    ]);
    expect(reconciler.diff(desired.value, updated).lines).toEqual([]);
    expect(reconciler.diff(desired.value, (await observe(desired, ctx))!).lines).toEqual([]);
  });

  it("a deployment-configuration change makes exactly one UpdateService, with the whole configuration", async () => {
    const spec = { ...EVERYTHING, deployment: { minimumHealthyPercent: 100, circuitBreaker: { enable: false, rollback: false } } };
    const desired = desiredOf(stack, world, spec);
    const live = (await observe(desired, ctx))!;
    const { lines: diffs, change } = reconciler.diff(desired.value, live);
    expect(diffs).toEqual([
      { path: "deployment.minimumHealthyPercent", before: 50, after: 100 },
      { path: "deployment.circuitBreaker.enable", before: true, after: false },
      { path: "deployment.circuitBreaker.rollback", before: true, after: false },
    ]);
    ecs.reset();
    await reconciler.update(change, live, ctx);
    expect(writes()).toEqual([
      {
        action: "UpdateService",
        input: {
          cluster: world.cluster,
          service: `${stack}-web`,
          deploymentConfiguration: {
            minimumHealthyPercent: 100,
            maximumPercent: 200,
            deploymentCircuitBreaker: { enable: false, rollback: false },
          },
        },
      },
    ]);
    expect(reconciler.diff(desired.value, (await observe(desired, ctx))!).lines).toEqual([]);
  });

  it("a tag change makes TagResource and UntagResource only: no UpdateService, no wait", async () => {
    const spec = { ...EVERYTHING, deployment: { minimumHealthyPercent: 100, circuitBreaker: { enable: false, rollback: false } } };
    const desired = desiredOf(stack, world, { ...spec, tags: { owner: "ops" } });
    const live = (await observe(desired, ctx))!;
    const { lines: diffs, change } = reconciler.diff(desired.value, live);
    expect(diffs).toEqual([
      { path: "tags.owner", after: "ops" },
      { path: "tags.team", before: "web" },
    ]);
    ecs.reset();
    const updated = await reconciler.update(change, live, contextOf(stack, { wait: { timeoutMs: 1000 } }));
    expect(ecs.actions()).toEqual(["TagResource", "UntagResource"]);
    expect(updated.tags).toEqual(desired.value.tags);
    expect(reconciler.diff(desired.value, (await observe(desired, ctx))!).lines).toEqual([]);
  });

  it("discovers the stack's service, and leaves out one observe already found", async () => {
    const found = await reconciler.discover(ctx, new Set());
    expect(found.map((s) => s.id)).toEqual([created.id]);
    expect(await reconciler.discover(ctx, new Set([created.id]))).toEqual([]);
    expect(await reconciler.discover(contextOf(uniqueName()), new Set())).toEqual([]);
  });

  it("deletes: DeleteService with force (no UpdateService to zero first), then waits until it is inactive; observe and discover find nothing", async () => {
    const desired = desiredOf(stack, world, EVERYTHING);
    const live = (await observe(desired, ctx))!;
    ecs.reset();
    await reconciler.delete(live, ctx);
    expect(writes()).toEqual([{ action: "DeleteService", input: { cluster: world.cluster, service: `${stack}-web`, force: true } }]);
    expect(ecs.actions().slice(1)).toContain("DescribeServices");
    expect(await observe(desired, ctx)).toBeUndefined();
    expect(await reconciler.discover(ctx, new Set())).toEqual([]);
  });
});

describe("the desired count under auto scaling, against moto", () => {
  const stack = uniqueName();
  const ctx = contextOf(stack);
  const scaled: Partial<ServiceInput> = { desiredCount: MOTO_RUNNING_TASKS, autoScaling: { minCapacity: 1, maxCapacity: 4 } };
  let world: World;

  beforeAll(async () => {
    const made = await clusterAndTask();
    world = { cluster: made.cluster, taskDefinition: made.revision1 };
    await reconciler.create(desiredOf(stack, world, scaled).value, ctx);
  });

  const scaleTo = (count: number) =>
    clients.ecs.send(new UpdateServiceCommand({ cluster: world.cluster, service: `${stack}-web`, desiredCount: count }));

  it("a count the scaler moved inside the range is no change: no call", async () => {
    await scaleTo(3);
    const desired = desiredOf(stack, world, scaled);
    const live = (await observe(desired, ctx))!;
    expect(live.desiredCount).toBe(3);
    const { lines: diffs, change } = reconciler.diff(desired.value, live);
    expect(diffs).toEqual([]);
    ecs.reset();
    await reconciler.update(change, live, ctx);
    expect(ecs.actions()).toEqual([]);
  });

  it("a count above the range is clamped to its max with one UpdateService", async () => {
    await scaleTo(9);
    const desired = desiredOf(stack, world, scaled);
    const live = (await observe(desired, ctx))!;
    const { lines: diffs, change } = reconciler.diff(desired.value, live);
    expect(diffs).toEqual([{ path: "desiredCount", before: 9, after: 4 }]);
    ecs.reset();
    await reconciler.update(change, live, ctx);
    expect(writes()).toEqual([{ action: "UpdateService", input: { cluster: world.cluster, service: `${stack}-web`, desiredCount: 4 } }]);
  });
});

describe("waiting, against moto", () => {
  it("a waited create returns once the service is stable, and reports its progress", async () => {
    const stack = uniqueName();
    const made = await clusterAndTask();
    const world = { cluster: made.cluster, taskDefinition: made.revision1 };
    const progress: Array<[string, string]> = [];
    const ctx = contextOf(stack, { wait: { timeoutMs: 30_000 }, progress: (resource, message) => progress.push([resource, message]) });
    ecs.reset();

    const created = await reconciler.create(
      desiredOf(stack, world, { desiredCount: MOTO_RUNNING_TASKS, launchType: "FARGATE" }).value,
      ctx,
    );

    expect(writes().map((c) => c.action)).toEqual(["CreateService"]);
    expect(ecs.actions().slice(1)).toEqual(["DescribeServices"]);
    expect(created.primaryDeploymentId).toMatch(/^ecs-svc\//);
    expect(progress).toEqual([[`${stack}-web`, `stable, ${MOTO_RUNNING_TASKS}/${MOTO_RUNNING_TASKS} running`]]);
  });
});

describe("load balancers, against moto", () => {
  const stack = uniqueName();
  const ctx = contextOf(stack);
  let world: World;
  const attached: Partial<ServiceInput> = { loadBalancers: [{ targetGroup: "web", container: "web", port: 8080 }] };

  beforeAll(async () => {
    const made = await clusterAndTask();
    const { TargetGroups } = await clients.elbv2.send(
      new CreateTargetGroupCommand({ Name: uniqueName(), TargetType: "ip", Protocol: "HTTP", Port: 8080, VpcId: vpcId }),
    );
    const targetGroupArn = TargetGroups![0]!.TargetGroupArn!;
    // ECS refuses a target group that no listener forwards to: wire one as the spec's listener would.
    const { LoadBalancers } = await clients.elbv2.send(new CreateLoadBalancerCommand({ Name: uniqueName(), Subnets: subnetIds }));
    await clients.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: LoadBalancers![0]!.LoadBalancerArn!,
        Protocol: "HTTP",
        Port: 8080,
        DefaultActions: [{ Type: "forward", TargetGroupArn: targetGroupArn }],
      }),
    );
    world = { cluster: made.cluster, taskDefinition: made.revision1, targetGroupArn };
  });

  it("the service depends on the target group and the listener forwarding to it", () => {
    const spec = specSchema.parse({
      stack,
      region: "us-east-1",
      network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
      targetGroups: { web: { targetType: "ip", protocol: "HTTP", port: 8080 } },
      loadBalancers: {
        web: { securityGroups: ["default"], listeners: { http: { protocol: "HTTP", port: 8080, defaultAction: { forward: "web" } } } },
      },
      clusters: { main: {} },
      taskDefinitions: { web: { cpu: 256, memory: 512, containers: { web: { image: "nginx:1.27", portMappings: [8080] } } } },
      services: { web: { taskDefinition: "web", network: { securityGroups: ["default"] }, ...attached } },
    });
    expect(reconciler.nodes(spec)[0]!.dependsOn).toEqual(expect.arrayContaining(["targetGroups.web", "listeners.web.http"]));
  });

  it("loadBalancers round-trip: created with the attachment, observed without a diff", async () => {
    const desired = desiredOf(stack, world, attached);
    ecs.reset();
    const created = await reconciler.create(desired.value, ctx);
    expect(writes().map((c) => c.action)).toEqual(["CreateService"]);
    expect(writes()[0]!.input.loadBalancers).toEqual([{ targetGroupArn: world.targetGroupArn, containerName: "web", containerPort: 8080 }]);
    const live = (await observe(desired, ctx))!;
    expect(live.loadBalancers).toEqual([{ targetGroupArn: world.targetGroupArn, containerName: "web", containerPort: 8080 }]);
    expect(reconciler.diff(desired.value, live).lines).toEqual([]);
    expect(reconciler.diff(desired.value, created).lines).toEqual([]);
  });

  it("a spec without load balancers detaches them with one UpdateService sending []", async () => {
    const desired = desiredOf(stack, world, {});
    const live = (await observe(desired, ctx))!;
    const { lines: diffs, change } = reconciler.diff(desired.value, live);
    expect(diffs).toEqual([{ path: "loadBalancers", before: live.loadBalancers, after: [] }]);
    ecs.reset();
    await reconciler.update(change, live, ctx);
    expect(writes()).toEqual([{ action: "UpdateService", input: { cluster: world.cluster, service: `${stack}-web`, loadBalancers: [] } }]);
    const { services } = await clients.ecs.send(new DescribeServicesCommand({ cluster: world.cluster, services: [`${stack}-web`] }));
    expect(services![0]!.loadBalancers).toEqual([]);
  });
});

describe("capacity providers and batching, against moto", () => {
  it("a service on a capacity provider strategy: moto drops the strategy at create, so one UpdateService sets it", async () => {
    const stack = uniqueName();
    const ctx = contextOf(stack);
    const made = await clusterAndTask();
    const world = { cluster: made.cluster, taskDefinition: made.revision1 };
    const desired = desiredOf(stack, world, { capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }] });
    ecs.reset();
    const created = await reconciler.create(desired.value, ctx);
    // moto gives every service created without a launch type the EC2 one, where AWS gives none; so the strategy
    // is set as on a service moving off a launch type, with a new deployment.
    expect(writes().map((c) => c.action)).toEqual(["CreateService", "UpdateService"]);
    expect(writes()[1]!.input).toEqual({
      cluster: world.cluster,
      service: `${stack}-web`,
      capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
      forceNewDeployment: true,
    });
    expect(created.capacityProviderStrategy).toEqual([{ capacityProvider: "FARGATE", weight: 1, base: 0 }]);
    expect(reconciler.diff(desired.value, (await observe(desired, ctx))!).lines).toEqual([]);
  });

  it("observe describes the services of one cluster ten at a time", async () => {
    const stack = uniqueName();
    const ctx = contextOf(stack);
    const made = await clusterAndTask();
    const world = { cluster: made.cluster, taskDefinition: made.revision1 };
    const entries = Array.from({ length: 12 }, (_, i) => {
      const { value } = desiredOf(stack, world, { name: `${stack}-s${i}` });
      return { address: `services.s${i}`, value };
    });
    for (const entry of entries.slice(0, 11)) await reconciler.create(entry.value, ctx);
    ecs.reset();
    const found = await reconciler.observe(entries, ctx);
    expect([...found.keys()].sort()).toEqual(
      entries
        .slice(0, 11)
        .map((e) => e.address)
        .sort(),
    );
    expect(ecs.sent.map((c) => [c.action, (c.input.services as string[]).length])).toEqual([
      ["DescribeServices", 10],
      ["DescribeServices", 2],
    ]);
  });
});
