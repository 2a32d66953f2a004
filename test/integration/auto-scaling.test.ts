import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  PutScalingPolicyCommand,
} from "@aws-sdk/client-application-auto-scaling";
import { DescribeAlarmsCommand, ListTagsForResourceCommand } from "@aws-sdk/client-cloudwatch";
import { CreateClusterCommand, CreateServiceCommand, RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { MetadataBearer, MiddlewareStack } from "@smithy/types";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import {
  autoScalingReconciler as reconciler,
  type ObservedScaling,
  type ScalingDesired,
} from "../../src/reconcilers/autoscaling/auto-scaling/index.js";
import type { Context, Outputs } from "../../src/reconcilers/contract.js";
import { specSchema, type SpecInput } from "../../src/schema/index.js";
import { defaultVpcNetwork } from "../support/default-vpc.js";
import { motoClientConfig } from "../support/moto-env.js";
import { recordCalls, uniqueName } from "../support/reconciler-tests.js";

// Where moto 5.2.5 differs from AWS, worked around here only, and named:
// - Scheduled actions are stored, never run: what is tested is what PutScheduledAction stored (schedule, time zone,
//   capacities), not that the capacity changes at the scheduled time.
// - Application Auto Scaling keeps no tags in moto (no TagResource): the configuration's ownership is read from its
//   ECS service's tags, which is also how the reconciler reads it on AWS.
// - A target-tracking policy makes two CloudWatch alarms (TargetTracking-<resource id>-AlarmHigh/Low-<uuid>), as on
//   AWS; moto deletes them with DeleteScalingPolicy, but re-putting the policy leaks the old pair. They are AWS's own
//   alarms, untagged, never the stack's: the delete test checks none is left when no policy was re-put.
// - DeregisterScalableTarget leaves the target's policies and scheduled actions behind (AWS deletes them): delete
//   removes the stack's own first, which on AWS is merely redundant.
// - PutScalingPolicy of an existing step policy gives it a new ARN (AWS keeps it), so the alarm's action goes stale:
//   update then also puts the alarm (one PutMetricAlarm more than on AWS), and the re-diff is empty.
// - DescribeScalingPolicies matches ResourceId as a substring; the reconciler filters to the exact id.
// - Missing targets and policies answer ValidationException ("No … found"), where AWS answers ObjectNotFoundException.

// maxAttempts 2: moto answers 500 to an unimplemented action, which the SDK would otherwise retry for a while.
const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

/** Application Auto Scaling and CloudWatch calls, in one list, in the order sent. */
const recorded = recordCalls(clients.autoScaling);
recordCalls(clients.cloudWatch, recorded.sent);
const writes = () => recorded.writes();
/** The Tagging API's calls, apart. */
const tagging = recordCalls(clients.tagging);
beforeEach(() => {
  recorded.reset();
  tagging.reset();
});
const reads = () => recorded.actions().filter((a) => a.startsWith("Describe"));

/** When each call was sent and answered, in order: reads made side by side are all sent before the first answer. */
const timeline: string[] = [];
function recordTimeline<I extends object, O extends MetadataBearer>(client: { middlewareStack: MiddlewareStack<I, O> }) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      timeline.push(`sent ${context.commandName}`);
      try {
        return await next(args);
      } finally {
        timeline.push(`answered ${context.commandName}`);
      }
    },
    { step: "initialize", name: "timeline" },
  );
}
recordTimeline(clients.autoScaling);
recordTimeline(clients.cloudWatch);

let network: { vpcId: string; subnets: string[]; securityGroups: string[] };
/** One target group behind one ALB listener, shared by the tests: only its ARN suffixes make the request-count label. */
let suffixes: { loadBalancer: string; targetGroup: string };
beforeAll(async () => {
  network = await defaultVpcNetwork(clients);
  const { TargetGroups } = await clients.elbv2.send(
    new CreateTargetGroupCommand({ Name: uniqueName(), Protocol: "HTTP", Port: 8080, TargetType: "ip", VpcId: network.vpcId }),
  );
  const { LoadBalancers } = await clients.elbv2.send(new CreateLoadBalancerCommand({ Name: uniqueName(), Subnets: network.subnets }));
  const [tgArn, lbArn] = [TargetGroups![0]!.TargetGroupArn!, LoadBalancers![0]!.LoadBalancerArn!];
  await clients.elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Protocol: "HTTP",
      Port: 80,
      DefaultActions: [{ Type: "forward", TargetGroupArn: tgArn }],
    }),
  );
  suffixes = {
    loadBalancer: lbArn.slice(lbArn.indexOf(":loadbalancer/") + ":loadbalancer/".length),
    targetGroup: tgArn.slice(tgArn.lastIndexOf(":") + 1),
  };
});

interface World {
  stack: string;
  cluster: string;
  service: string;
  serviceArn: string;
}

/** A cluster and an ECS service tagged as the stack's `services.web`, made with the SDK: services are tested elsewhere. */
async function serviceOf(stack: string, tags = { "reconcile:stack": stack, "reconcile:id": "services/web" }): Promise<World> {
  const cluster = uniqueName();
  const service = uniqueName();
  await clients.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const { taskDefinition } = await clients.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: uniqueName(),
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "web", image: "nginx:1.27", essential: true }],
    }),
  );
  const created = await clients.ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: service,
      taskDefinition: taskDefinition!.taskDefinitionArn!,
      desiredCount: 2,
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration: { subnets: network.subnets, securityGroups: network.securityGroups } },
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    }),
  );
  return { stack, cluster, service, serviceArn: created.service!.serviceArn! };
}

type ScalingInput = NonNullable<NonNullable<SpecInput["services"]>[string]["autoScaling"]>;

function outputsOf(world: World): Outputs {
  return {
    string: (address, output) => {
      if (address.startsWith("services.") && output === "arn") return world.serviceArn;
      const values: Record<string, string> = {
        "loadBalancers.web arnSuffix": suffixes.loadBalancer,
        "targetGroups.web arnSuffix": suffixes.targetGroup,
      };
      const value = values[`${address} ${output}`];
      if (value === undefined) throw new Error(`no stand-in for ${address} ${output}`);
      return value;
    },
    list: () => {
      throw new Error("no lists");
    },
  };
}

/** The service's scaling node, built from a spec as the engine builds it. */
function desiredOf(world: World, autoScaling: ScalingInput, logical = "web"): { address: string; value: ScalingDesired } {
  const spec = specSchema.parse({
    stack: world.stack,
    region: "us-east-1",
    tags: { suite: "auto-scaling" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    securityGroups: { default: { existing: { name: "default" } } },
    clusters: { main: { name: world.cluster } },
    targetGroups: { web: { targetType: "ip", protocol: "HTTP", port: 8080 } },
    loadBalancers: {
      web: { securityGroups: ["default"], listeners: { http: { protocol: "HTTP", port: 80, defaultAction: { forward: "web" } } } },
    },
    taskDefinitions: { web: { cpu: 256, memory: 512, containers: { web: { image: "nginx:1.27" } } } },
    services: { [logical]: { name: world.service, taskDefinition: "web", network: { securityGroups: ["default"] }, autoScaling } },
  });
  const [node] = reconciler.nodes(spec);
  return { address: node!.address, value: node!.build(outputsOf(world)) };
}

const contextOf = (stack: string): Context => ({ stack, region: "us-east-1", clients });

async function observe(entry: { address: string; value: ScalingDesired }, ctx: Context): Promise<ObservedScaling | undefined> {
  return (await reconciler.observe([entry], ctx)).get(entry.address);
}

/** Observes, diffs and updates once; the writes of the update. */
async function apply(entry: { address: string; value: ScalingDesired }, ctx: Context) {
  const observed = (await observe(entry, ctx))!;
  const { lines, change } = reconciler.diff(entry.value, observed);
  recorded.reset();
  await reconciler.update(change, observed, ctx);
  return { diffs: lines, writes: writes() };
}

/** One of each: target tracking on CPU, on the ALB's request count and on a custom metric; a step policy; a schedule. */
const EVERYTHING: ScalingInput = {
  minCapacity: 2,
  maxCapacity: 6,
  targetTracking: {
    cpu: { metric: "cpu", targetValue: 60, scaleInCooldownSeconds: 120, scaleOutCooldownSeconds: 30 },
    requests: { metric: { albRequestsPerTarget: { targetGroup: "web" } }, targetValue: 500, disableScaleIn: true },
    backlog: { metric: { custom: { namespace: "Demo", metricName: "Backlog", dimensions: { Queue: "jobs" } } }, targetValue: 10 },
  },
  stepScaling: {
    burst: {
      cooldownSeconds: 60,
      steps: [
        { lowerBound: 0, upperBound: 20, adjustment: 1 },
        { lowerBound: 20, adjustment: 3 },
      ],
      alarm: { metric: "memory", comparison: "GreaterThanOrEqualToThreshold", threshold: 80, evaluationPeriods: 2 },
    },
  },
  scheduled: {
    night: {
      schedule: "cron(0 22 * * ? *)",
      timezone: "America/Sao_Paulo",
      minCapacity: 1,
      maxCapacity: 2,
      startTime: "2030-01-01T00:00:00-03:00",
      endTime: "2030-12-31T23:59:59Z",
    },
  },
};

const liveTargets = async (resourceId: string) =>
  (await clients.autoScaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: "ecs", ResourceIds: [resourceId] })))
    .ScalableTargets ?? [];
const liveAlarms = async (prefix: string) =>
  (await clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix }))).MetricAlarms ?? [];

describe("auto scaling against moto", () => {
  it("creates the whole configuration, then observing it shows no diff and makes no writes", async () => {
    const world = await serviceOf(uniqueName());
    const entry = desiredOf(world, EVERYTHING);
    const ctx = contextOf(world.stack);
    expect(await reconciler.observe([entry], ctx)).toEqual(new Map());

    recorded.reset();
    const created = await reconciler.create(entry.value, ctx);
    expect(writes().sort()).toEqual(
      ["RegisterScalableTarget", ...Array(4).fill("PutScalingPolicy"), "PutMetricAlarm", "PutScheduledAction"].sort(),
    );
    // The target comes first: policies and actions need it.
    expect(writes()[0]).toBe("RegisterScalableTarget");
    // Nothing written is read back but the step alarm, whose ARN is CloudWatch's: the result is made from what was
    // sent and answered (and equals what observe reads, below).
    expect(reads()).toEqual(["DescribeAlarms"]);
    const register = recorded.sent.find((c) => c.action === "RegisterScalableTarget")!.input;
    expect(register).toEqual({
      ServiceNamespace: "ecs",
      ScalableDimension: "ecs:service:DesiredCount",
      ResourceId: `service/${world.cluster}/${world.service}`,
      MinCapacity: 2,
      MaxCapacity: 6,
    });
    const alarmPut = recorded.sent.find((c) => c.action === "PutMetricAlarm")!.input;
    expect(alarmPut).toMatchObject({
      AlarmName: `${world.stack}-web-burst`,
      Namespace: "AWS/ECS",
      MetricName: "MemoryUtilization",
      Dimensions: [
        { Name: "ClusterName", Value: world.cluster },
        { Name: "ServiceName", Value: world.service },
      ],
      AlarmActions: [created.stepScaling.burst!.arn],
    });
    const labels = recorded.sent
      .filter((c) => c.action === "PutScalingPolicy")
      .map(
        (c) =>
          (c.input.TargetTrackingScalingPolicyConfiguration as { PredefinedMetricSpecification?: { ResourceLabel?: string } })
            ?.PredefinedMetricSpecification?.ResourceLabel,
      )
      .filter(Boolean);
    expect(labels).toEqual([`${suffixes.loadBalancer}/${suffixes.targetGroup}`]);
    expect(reconciler.outputs(created)).toEqual({ resourceId: `service/${world.cluster}/${world.service}` });

    recorded.reset();
    timeline.length = 0;
    const observed = (await observe(entry, ctx))!;
    expect(writes()).toEqual([]);
    // Reads: ONE DescribeScalableTargets, ONE DescribeScalingPolicies, ONE DescribeScheduledActions, ONE DescribeAlarms,
    // side by side (one round trip).
    expect(recorded.actions().sort()).toEqual([
      "DescribeAlarms",
      "DescribeScalableTargets",
      "DescribeScalingPolicies",
      "DescribeScheduledActions",
    ]);
    expect(timeline.findIndex((event) => event.startsWith("answered"))).toBe(4);
    expect(observed.tags).toEqual({ "reconcile:stack": world.stack, "reconcile:id": "autoScaling/web" });
    expect(observed.alarms.burst!.tags).toEqual({
      suite: "auto-scaling",
      "reconcile:stack": world.stack,
      "reconcile:id": "autoScaling/web",
    });
    expect(reconciler.diff(entry.value, observed).lines).toEqual([]);
    expect(observed).toEqual(created);

    // moto stores the schedule and its time zone; it never runs them.
    const { ScheduledActions } = await clients.autoScaling.send(
      new DescribeScheduledActionsCommand({ ServiceNamespace: "ecs", ResourceId: entry.value.resourceId }),
    );
    expect(ScheduledActions).toMatchObject([
      {
        ScheduledActionName: `${world.stack}-night`,
        Schedule: "cron(0 22 * * ? *)",
        Timezone: "America/Sao_Paulo",
        ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 2 },
      },
    ]);
    const { Tags } = await clients.cloudWatch.send(new ListTagsForResourceCommand({ ResourceARN: observed.alarms.burst!.arn }));
    expect(Tags).toEqual(expect.arrayContaining([{ Key: "reconcile:stack", Value: world.stack }]));
  });

  const changes: Array<{ why: string; change: Partial<ScalingInput>; expected: string[] }> = [
    {
      why: "a change of min/max makes exactly RegisterScalableTarget once",
      change: { minCapacity: 1, maxCapacity: 8 },
      expected: ["RegisterScalableTarget"],
    },
    {
      why: "a change of suspend makes exactly RegisterScalableTarget once",
      change: { suspend: { dynamicScalingIn: true } },
      expected: ["RegisterScalableTarget"],
    },
    {
      why: "a change of a target value makes exactly PutScalingPolicy once",
      change: { targetTracking: { ...EVERYTHING.targetTracking, cpu: { ...EVERYTHING.targetTracking!.cpu!, targetValue: 70 } } },
      expected: ["PutScalingPolicy"],
    },
    {
      why: "a change of a schedule makes exactly PutScheduledAction once",
      change: { scheduled: { night: { ...EVERYTHING.scheduled!.night!, schedule: "cron(0 23 * * ? *)" } } },
      expected: ["PutScheduledAction"],
    },
    {
      why: "a change of a step alarm's threshold makes exactly PutMetricAlarm once",
      change: {
        stepScaling: { burst: { ...EVERYTHING.stepScaling!.burst!, alarm: { ...EVERYTHING.stepScaling!.burst!.alarm, threshold: 90 } } },
      },
      expected: ["PutMetricAlarm"],
    },
    {
      why: "a target-tracking policy removed makes exactly DeleteScalingPolicy once",
      change: { targetTracking: { cpu: EVERYTHING.targetTracking!.cpu!, requests: EVERYTHING.targetTracking!.requests! } },
      expected: ["DeleteScalingPolicy"],
    },
    {
      why: "a step policy removed makes DeleteScalingPolicy, then DeleteAlarms for its alarm",
      change: { stepScaling: {} },
      expected: ["DeleteScalingPolicy", "DeleteAlarms"],
    },
    {
      why: "a scheduled action removed makes exactly DeleteScheduledAction once",
      change: { scheduled: {} },
      expected: ["DeleteScheduledAction"],
    },
    {
      // On AWS the policy keeps its ARN and this is PutScalingPolicy alone; moto gives it a new ARN (see the top).
      why: "a change of a step policy's steps makes PutScalingPolicy (and, on moto only, PutMetricAlarm for the new ARN)",
      change: { stepScaling: { burst: { ...EVERYTHING.stepScaling!.burst!, steps: [{ lowerBound: 0, adjustment: 2 }] } } },
      expected: ["PutScalingPolicy", "PutMetricAlarm"],
    },
  ];

  it.each(changes)("$why, and the re-diff is empty", async ({ change, expected }) => {
    const world = await serviceOf(uniqueName());
    const ctx = contextOf(world.stack);
    await reconciler.create(desiredOf(world, EVERYTHING).value, ctx);

    const changed = desiredOf(world, { ...EVERYTHING, ...change });
    const { diffs, writes: made } = await apply(changed, ctx);
    expect(diffs.length).toBeGreaterThan(0);
    expect(made).toEqual(expected);
    expect(reconciler.diff(changed.value, (await observe(changed, ctx))!).lines).toEqual([]);
  });

  it("a new step policy makes PutScalingPolicy, then PutMetricAlarm with the policy's ARN and the stack's tags", async () => {
    const world = await serviceOf(uniqueName());
    const ctx = contextOf(world.stack);
    await reconciler.create(desiredOf(world, { minCapacity: 1, maxCapacity: 3 }).value, ctx);

    const entry = desiredOf(world, { minCapacity: 1, maxCapacity: 3, stepScaling: EVERYTHING.stepScaling! });
    const { writes: made } = await apply(entry, ctx);
    expect(made).toEqual(["PutScalingPolicy", "PutMetricAlarm"]);
    const put = recorded.sent.find((c) => c.action === "PutMetricAlarm")!.input;
    expect(put.Tags).toEqual(expect.arrayContaining([{ Key: "reconcile:id", Value: "autoScaling/web" }]));
    expect(reconciler.diff(entry.value, (await observe(entry, ctx))!).lines).toEqual([]);
  });

  it("leaves policies and actions on the target that are not the stack's alone, and does not report them", async () => {
    const world = await serviceOf(uniqueName());
    const ctx = contextOf(world.stack);
    const entry = desiredOf(world, { minCapacity: 1, maxCapacity: 3 });
    await reconciler.create(entry.value, ctx);
    await clients.autoScaling.send(
      new PutScalingPolicyCommand({
        ServiceNamespace: "ecs",
        ScalableDimension: "ecs:service:DesiredCount",
        ResourceId: entry.value.resourceId,
        PolicyName: "someone-elses",
        PolicyType: "TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 50,
          PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" },
        },
      }),
    );
    expect(reconciler.diff(entry.value, (await observe(entry, ctx))!).lines).toEqual([]);
  });

  it("a target on a service the stack does not own is not the stack's (no ownership tags)", async () => {
    const world = await serviceOf(uniqueName(), { "reconcile:stack": "someone-else", "reconcile:id": "services/web" });
    const entry = desiredOf(world, { minCapacity: 1, maxCapacity: 3 });
    await reconciler.create(entry.value, contextOf("someone-else"));
    expect((await observe(entry, contextOf(world.stack)))!.tags).toEqual({});
  });

  it("delete leaves nothing of the stack: no target, no policies or actions, no step alarms, no target-tracking alarms", async () => {
    const world = await serviceOf(uniqueName());
    const ctx = contextOf(world.stack);
    const entry = desiredOf(world, EVERYTHING);
    await reconciler.create(entry.value, ctx);
    // moto's own target-tracking alarms (two per policy on the CPU metric) exist until their policies go.
    expect((await liveAlarms(`TargetTracking-${entry.value.resourceId}-`)).length).toBeGreaterThan(0);

    const observed = (await observe(entry, ctx))!;
    recorded.reset();
    tagging.reset();
    await reconciler.delete(observed, ctx);
    // AWS deletes a target's policies and actions with it; moto does not, so they are deleted first (see index.ts).
    expect(writes().sort()).toEqual(
      [...Array(4).fill("DeleteScalingPolicy"), "DeleteScheduledAction", "DeregisterScalableTarget", "DeleteAlarms"].sort(),
    );
    // The plan's step alarms, read afresh (whether one acts on another service may change in a run); no Tagging API query.
    expect(reads()).toEqual(["DescribeAlarms"]);
    expect(tagging.actions()).toEqual([]);
    expect(await liveTargets(entry.value.resourceId)).toEqual([]);
    const { ScalingPolicies } = await clients.autoScaling.send(
      new DescribeScalingPoliciesCommand({ ServiceNamespace: "ecs", ResourceId: entry.value.resourceId }),
    );
    expect(ScalingPolicies!.filter((p) => p.ResourceId === entry.value.resourceId)).toEqual([]);
    expect(await liveAlarms(`${world.stack}-`)).toEqual([]);
    expect(await liveAlarms(`TargetTracking-${entry.value.resourceId}-`)).toEqual([]);
    expect(await observe(entry, ctx)).toBeUndefined();

    // Already gone is success, and makes only the calls that find nothing to do.
    recorded.reset();
    await reconciler.delete(observed, ctx);
    expect(await liveTargets(entry.value.resourceId)).toEqual([]);
  });

  it("in one plan, observe of several configurations and discover read the region's targets, policies and actions once each", async () => {
    const stack = uniqueName();
    const logicals = ["a", "b", "c"];
    const worlds = await Promise.all(logicals.map((l) => serviceOf(stack, { "reconcile:stack": stack, "reconcile:id": `services/${l}` })));
    const scaling: ScalingInput = {
      minCapacity: 1,
      maxCapacity: 3,
      targetTracking: { cpu: EVERYTHING.targetTracking!.cpu! },
      scheduled: EVERYTHING.scheduled!,
    };
    const entries = worlds.map((world, i) => desiredOf(world, scaling, logicals[i]));
    for (const entry of entries) await reconciler.create(entry.value, contextOf(stack));
    const ctx: Context = { ...contextOf(stack), planReads: new Map() };

    recorded.reset();
    const observed = await reconciler.observe(entries, ctx);
    expect([...observed.keys()].sort()).toEqual(entries.map((e) => e.address).sort());
    for (const entry of entries) expect(reconciler.diff(entry.value, observed.get(entry.address)!).lines).toEqual([]);
    expect(await reconciler.discover(ctx, new Set([...observed.values()].map((o) => o.id)))).toEqual([]);
    // One of each for the region's ECS targets, whatever the number of services; not one per target, nor a second
    // DescribeScalableTargets for discover.
    expect(reads().sort()).toEqual(["DescribeScalableTargets", "DescribeScalingPolicies", "DescribeScheduledActions"]);
  });

  it("a service of the stack with nothing registered: discover finds nothing, with one DescribeScalableTargets and no write", async () => {
    const world = await serviceOf(uniqueName());
    recorded.reset();
    expect(await reconciler.discover(contextOf(world.stack), new Set())).toEqual([]);
    expect(recorded.actions()).toEqual(["DescribeScalableTargets"]);
  });

  it("a service's configuration the spec no longer names is discovered from the service's tags alone, and delete removes all of it", async () => {
    const world = await serviceOf(uniqueName());
    const ctx = contextOf(world.stack);
    const entry = desiredOf(world, EVERYTHING);
    await reconciler.create(entry.value, ctx);

    const [found] = await reconciler.discover(ctx, new Set());
    expect(found!.resourceId).toBe(entry.value.resourceId);
    await reconciler.delete(found!, ctx);
    expect(await liveTargets(entry.value.resourceId)).toEqual([]);
    expect(await liveAlarms(`${world.stack}-`)).toEqual([]);
  });

  it("discover finds the stack's configurations and not another stack's; a step alarm left without its target is found to be deleted", async () => {
    const [mine, other] = [await serviceOf(uniqueName()), await serviceOf(uniqueName())];
    await reconciler.create(desiredOf(mine, EVERYTHING).value, contextOf(mine.stack));
    await reconciler.create(desiredOf(other, EVERYTHING).value, contextOf(other.stack));

    const found = await reconciler.discover(contextOf(mine.stack), new Set());
    expect(found.map((o) => [o.name, o.tags["reconcile:id"], o.target !== undefined])).toEqual([
      [`service/${mine.cluster}/${mine.service}`, "autoScaling/web", true],
    ]);
    // What observe already found is left out.
    expect(await reconciler.discover(contextOf(mine.stack), new Set([found[0]!.id]))).toEqual([]);

    // A crash between the target's removal and its alarm's: only the alarm is left, and discover reports it for delete.
    const resourceId = found[0]!.resourceId;
    for (const name of [...Object.keys(found[0]!.targetTracking), ...Object.keys(found[0]!.stepScaling)]) {
      await clients.autoScaling.send(
        new DeleteScalingPolicyCommand({
          ServiceNamespace: "ecs",
          ScalableDimension: "ecs:service:DesiredCount",
          ResourceId: resourceId,
          PolicyName: `${mine.stack}-${name}`,
        }),
      );
    }
    await clients.autoScaling.send(
      new DeregisterScalableTargetCommand({
        ServiceNamespace: "ecs",
        ScalableDimension: "ecs:service:DesiredCount",
        ResourceId: resourceId,
      }),
    );
    const orphans = await reconciler.discover(contextOf(mine.stack), new Set());
    expect(orphans.map((o) => [o.target, Object.keys(o.alarms)])).toEqual([[undefined, ["burst"]]]);
    recorded.reset();
    await reconciler.delete(orphans[0]!, contextOf(mine.stack));
    expect(writes()).toEqual(["DeleteAlarms"]);
    expect(await liveAlarms(`${mine.stack}-`)).toEqual([]);
    expect(await reconciler.discover(contextOf(mine.stack), new Set())).toEqual([]);
  });
});
