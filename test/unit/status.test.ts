import { readFileSync } from "node:fs";
import type { ScalingActivity, ScalingPolicy } from "@aws-sdk/client-application-auto-scaling";
import type { MetricAlarm } from "@aws-sdk/client-cloudwatch";
import type { Service } from "@aws-sdk/client-ecs";
import type { TargetHealthDescription } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import { styleFor } from "../../src/cli/style.js";
import { renderStatusJson, renderStatusText } from "../../src/plan/render-status.js";
import type { AutoScalingStatus, ServiceStatus, StackStatus } from "../../src/plan/status.js";
import { alarmFromAws } from "../../src/reconcilers/autoscaling/auto-scaling/from-aws.js";
import type { ObservedScaling } from "../../src/reconcilers/autoscaling/auto-scaling/model.js";
import { policyAlarms, scalingStatusOf } from "../../src/reconcilers/autoscaling/auto-scaling/status.js";
import type { ObservedService } from "../../src/reconcilers/ecs/services/model.js";
import { serviceStatuses, serviceStatusOf } from "../../src/reconcilers/ecs/services/status.js";
import { targetGroupStatusOf } from "../../src/reconcilers/elb/target-groups/status.js";
import { MARKED } from "../support/styles.js";

const plain = styleFor({ isTTY: false } as NodeJS.WriteStream);

const DATE_KEYS = new Set(["createdAt", "updatedAt", "StartTime", "EndTime", "StateUpdatedTimestamp", "CreationTime"]);

/** A fixture as the SDK hands it over: its timestamps (epoch seconds or ISO strings in the JSON) as Dates. */
function withDates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withDates);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      DATE_KEYS.has(key) && (typeof v === "number" || typeof v === "string")
        ? new Date(typeof v === "number" ? v * 1000 : v)
        : withDates(v),
    ]),
  );
}
const fixture = <T>(name: string): T =>
  withDates(JSON.parse(readFileSync(new URL(`../fixtures/aws/${name}`, import.meta.url), "utf8"))) as T;

const rolledBack = fixture<{ services: Service[] }>("describe-services-reference-rolled-back.json").services[0]!;
const targetHealth = fixture<Record<string, { TargetHealthDescriptions: TargetHealthDescription[] }>>(
  "describe-target-health-examples.json",
);
const stepPolicies = fixture<{ ScalingPolicies: ScalingPolicy[] }>("describe-scaling-policies-step-ecs.json").ScalingPolicies;
const trackingAnswer = fixture<{ examples: Array<{ PolicyName: string; output: Pick<ScalingPolicy, "PolicyARN" | "Alarms"> }> }>(
  "put-scaling-policy-target-tracking-ecs.json",
).examples[0]!;
const activities = fixture<{ ScalingActivities: ScalingActivity[] }>("describe-scaling-activities-ecs.json").ScalingActivities;
const describedAlarm = fixture<{ MetricAlarms: MetricAlarm[] }>("describe-alarms-ec2-cpu.json").MetricAlarms[0]!;

describe("a service's status, from DescribeServices", () => {
  it("has the counts, each deployment with its task definition's family:revision, and the events newest first", () => {
    const status = serviceStatusOf(rolledBack, "clusterFargateCurso107");
    expect(status).toMatchObject({
      kind: "service",
      cluster: "clusterFargateCurso107",
      status: "ACTIVE",
      desired: 2,
      running: 1,
      pending: 1,
    });
    expect(status.deployments.map((d) => [d.id, d.status, d.rolloutState, d.taskDefinition, d.running, d.desired, d.failed])).toEqual([
      ["ecs-svc/3333333333333333333", "PRIMARY", "IN_PROGRESS", "taskFargateCurso107:1", 1, 2, 0],
      ["ecs-svc/2222222222222222222", "ACTIVE", "FAILED", "taskFargateCurso107:2", 0, 0, 3],
    ]);
    expect(status.events.map((e) => e.at)).toEqual(["2024-06-10T07:13:20.000Z", "2024-06-10T07:13:19.000Z", "2024-06-10T06:16:20.000Z"]);
    expect(status.events[2]!.message).toBe("(service svcFargateCurso107) has reached a steady state.");
  });

  it("never shows a negative pending count (moto reports desired minus running: -1 when 2 run for 1 desired)", () => {
    const moto = {
      desiredCount: 1,
      runningCount: 2,
      pendingCount: -1,
      deployments: [{ id: "d", desiredCount: 1, runningCount: 2, pendingCount: -1 }],
    };
    const status = serviceStatusOf(moto, "c");
    expect([status.pending, status.deployments[0]!.pending]).toEqual([0, 0]);
  });

  it("keeps only the 5 newest events", () => {
    const events = Array.from({ length: 8 }, (_, i) => ({
      id: `e${i}`,
      createdAt: new Date(Date.UTC(2026, 0, 1, 12, 0, 8 - i)),
      message: `event ${i}`,
    }));
    expect(serviceStatusOf({ ...rolledBack, events }, "c").events.map((e) => e.message)).toEqual([
      "event 0",
      "event 1",
      "event 2",
      "event 3",
      "event 4",
    ]);
  });

  it("reads each cluster's services in one call, and leaves out a service gone since the plan", async () => {
    const observed = (name: string, cluster: string) => ({ id: `arn:${cluster}/${name}`, name, cluster }) as ObservedService;
    const calls: string[] = [];
    const statuses = await serviceStatuses([observed("a", "one"), observed("b", "two"), observed("c", "one")], async (cluster, names) => {
      calls.push(`${cluster}: ${names.join(",")}`);
      return new Map(names.filter((n) => n !== "c").map((n) => [n, { ...rolledBack, serviceName: n }]));
    });
    expect(calls.sort()).toEqual(["one: a,c", "two: b"]);
    expect([...statuses.keys()].sort()).toEqual(["arn:one/a", "arn:two/b"]);
    expect((statuses.get("arn:two/b") as ServiceStatus).cluster).toBe("two");
  });
});

describe("a target group's status, from DescribeTargetHealth", () => {
  it.each([
    [
      "healthy",
      [
        { id: "i-ceddcd4d", port: 80, state: "healthy" },
        { id: "i-0f76fade", port: 80, state: "healthy" },
      ],
    ],
    [
      "unhealthy",
      [{ id: "i-0f76fade", port: 80, state: "unhealthy", reason: "Target.Timeout", description: "Connection to target timed out" }],
    ],
    [
      "initial",
      [
        {
          id: "i-0f76fade",
          port: 80,
          state: "initial",
          reason: "Elb.RegistrationInProgress",
          description: "Target registration is in progress",
        },
      ],
    ],
  ])("%s targets", (example, targets) => {
    expect(targetGroupStatusOf(targetHealth[example]!.TargetHealthDescriptions)).toEqual({ kind: "targetGroup", targets });
  });
});

/** The reference service's configuration: a step policy of the stack `demo` and its alarm, on target 1..10. */
const scaling = {
  name: "service/default/web-app",
  id: "service/default/web-app",
  tags: {},
  resourceId: "service/default/web-app",
  logical: "web",
  target: { minCapacity: 1, maxCapacity: 10, suspended: { dynamicScalingIn: false, dynamicScalingOut: false, scheduledScaling: false } },
  targetTracking: {},
  stepScaling: {},
  scheduled: {},
  alarms: { memoryHigh: alarmFromAws({ ...describedAlarm, AlarmName: "demo-web-memoryHigh" }, {}) },
} satisfies ObservedScaling;

/**
 * The step policy of DescribeScalingPolicies' example, and the target tracking policy of PutScalingPolicy's example as
 * DescribeScalingPolicies would list it (hand-built: the step policy's target, with the example's name, ARN and alarms).
 */
const policies: ScalingPolicy[] = [
  ...stepPolicies,
  {
    ...stepPolicies[0]!,
    PolicyType: "TargetTrackingScaling",
    StepScalingPolicyConfiguration: undefined,
    PolicyName: trackingAnswer.PolicyName,
    ...trackingAnswer.output,
  },
];
const [trackingHigh, trackingLow] = trackingAnswer.output.Alarms!.map((a) => a.AlarmName!);

/** DescribeAlarms: the step policy's alarm in ALARM (the example's alarm, renamed and set off), AlarmHigh OK, AlarmLow gone. */
const alarmStates = new Map<string, MetricAlarm>([
  [
    "web-app-cpu-gt-75",
    {
      ...describedAlarm,
      AlarmName: "web-app-cpu-gt-75",
      StateValue: "ALARM",
      StateReason: "Threshold Crossed: 2 datapoints were greater than the threshold (75.0).",
    },
  ],
  [trackingHigh!, { ...describedAlarm, AlarmName: trackingHigh }],
  ["demo-web-memoryHigh", { ...describedAlarm, AlarmName: "demo-web-memoryHigh" }],
]);

describe("a service's auto scaling status", () => {
  it("lists the alarms every policy names, then the step alarms they leave out, by policy", () => {
    expect(policyAlarms("demo", scaling, policies)).toEqual([
      { name: trackingHigh, policy: "cpu75-target-tracking-scaling-policy" },
      { name: trackingLow, policy: "cpu75-target-tracking-scaling-policy" },
      { name: "demo-web-memoryHigh", policy: "demo-memoryHigh" },
      { name: "web-app-cpu-gt-75", policy: "web-app-cpu-gt-75" },
    ]);
  });

  it("has the bounds, each alarm's state (none for one gone), and the activities newest first", () => {
    const older = {
      ...activities[0]!,
      ActivityId: "older",
      StartTime: new Date(1462575000 * 1000),
      StatusCode: "Failed" as const,
      StatusMessage: "nope",
    };
    const status = scalingStatusOf(scaling, policyAlarms("demo", scaling, policies), alarmStates, [older, ...activities]);
    expect(status).toMatchObject({ kind: "autoScaling", minCapacity: 1, maxCapacity: 10 });
    expect(status.alarms.map((a) => [a.name, a.state, a.since])).toEqual([
      [trackingHigh, "OK", "2014-04-09T18:59:06.442Z"],
      [trackingLow, undefined, undefined],
      ["demo-web-memoryHigh", "OK", "2014-04-09T18:59:06.442Z"],
      ["web-app-cpu-gt-75", "ALARM", "2014-04-09T18:59:06.442Z"],
    ]);
    expect(status.activities).toEqual([
      {
        at: "2016-05-06T23:03:58.171Z",
        status: "Successful",
        description: "Setting desired count to 1.",
        cause: "monitor alarm web-app-cpu-lt-25 in state ALARM triggered policy web-app-cpu-lt-25",
        message: "Successfully set desired count to 1. Change successfully fulfilled by ecs.",
      },
      expect.objectContaining({ at: "2016-05-06T22:50:00.000Z", status: "Failed", message: "nope" }),
    ]);
  });
});

function stackStatus(): StackStatus {
  const autoScaling: AutoScalingStatus = scalingStatusOf(scaling, policyAlarms("demo", scaling, policies), alarmStates, activities);
  return {
    stack: "microblog",
    region: "us-east-1",
    checkedAt: "2026-12-01T22:40:00.123Z",
    drift: {
      inSync: false,
      summary: { add: 0, change: 1, replace: 0, destroy: 1, conflict: 0, held: 0 },
      changes: [
        { address: "services.web", action: "update" },
        { address: "logGroups.old", action: "delete", reason: "no longer in the spec" },
      ],
    },
    lock: {
      holder: { host: "ci-runner-7", pid: 4242, startedAt: "2026-12-01T22:39:00.000Z", command: "reconcile apply" },
      expiresAt: "2026-12-01T22:41:30.000Z",
      expired: false,
    },
    resources: [
      {
        address: "targetGroups.web",
        kind: "targetGroups",
        name: "tgCurso107",
        id: "arn:tg",
        status: targetGroupStatusOf([
          ...targetHealth.healthy!.TargetHealthDescriptions,
          ...targetHealth.unhealthy!.TargetHealthDescriptions,
        ]),
      },
      {
        address: "loadBalancers.web",
        kind: "loadBalancers",
        name: "albCurso107",
        id: "arn:lb",
        status: {
          kind: "loadBalancer",
          dnsName: "albCurso107-123.us-east-1.elb.amazonaws.com",
          state: "active",
          scheme: "internet-facing",
        },
      },
      {
        address: "services.web",
        kind: "services",
        name: "svcFargateCurso107",
        id: "arn:svc",
        status: serviceStatusOf(rolledBack, "clusterFargateCurso107"),
      },
      {
        address: "autoScaling.web",
        kind: "autoScaling",
        name: "service/default/web-app",
        id: "service/default/web-app",
        status: autoScaling,
      },
    ],
    unavailable: [{ what: "the stack's lease", error: "dynamodb GetItem: AccessDeniedException: not authorized" }],
  };
}

describe("the status as text", () => {
  it("gives the lock, the drift, then one block per resource, and what could not be read", () => {
    expect(renderStatusText(stackStatus(), plain).split("\n")).toEqual([
      "Stack microblog in us-east-1, at 2026-12-01T22:40:00Z",
      "  lock: held by reconcile apply on ci-runner-7 (pid 4242, since 2026-12-01T22:39:00Z), until 2026-12-01T22:41:30Z unless renewed",
      "  spec: drifted: 2 resources differ (1 update, 1 delete); `reconcile plan` shows how",
      "    ~ services.web update",
      "    - logGroups.old delete: no longer in the spec",
      "",
      "targetGroups.web (tgCurso107): 3 targets, 2 healthy, 1 unhealthy",
      "  i-ceddcd4d:80 healthy",
      "  i-0f76fade:80 healthy",
      "  i-0f76fade:80 unhealthy: Target.Timeout: Connection to target timed out",
      "",
      "loadBalancers.web (albCurso107): active, internet-facing, albCurso107-123.us-east-1.elb.amazonaws.com",
      "",
      "services.web (svcFargateCurso107) in clusterFargateCurso107: ACTIVE, 2 desired, 1 running, 1 pending",
      "  deployment ecs-svc/3333333333333333333 PRIMARY IN_PROGRESS taskFargateCurso107:1: 1/2 running, 1 pending",
      "  deployment ecs-svc/2222222222222222222 ACTIVE FAILED taskFargateCurso107:2: 0/0 running, 0 pending, 3 failed: ECS deployment circuit breaker: tasks failed to start.",
      "  newest events:",
      "    2024-06-10T07:13:20Z (service svcFargateCurso107) rolling back to deployment ecs-svc/9223370409382834512.",
      "    2024-06-10T07:13:19Z (service svcFargateCurso107) (deployment ecs-svc/2222222222222222222) deployment failed: tasks failed to start.",
      "    2024-06-10T06:16:20Z (service svcFargateCurso107) has reached a steady state.",
      "",
      "autoScaling.web (service/default/web-app): between 1 and 10 tasks",
      `  alarm ${trackingHigh} (policy cpu75-target-tracking-scaling-policy): OK since 2014-04-09T18:59:06Z`,
      `  alarm ${trackingLow} (policy cpu75-target-tracking-scaling-policy): missing`,
      "  alarm demo-web-memoryHigh (policy demo-memoryHigh): OK since 2014-04-09T18:59:06Z",
      "  alarm web-app-cpu-gt-75 (policy web-app-cpu-gt-75): ALARM since 2014-04-09T18:59:06Z: Threshold Crossed: 2 datapoints were greater than the threshold (75.0).",
      "  newest scaling activities:",
      "    2016-05-06T23:03:58Z Successful: Setting desired count to 1. (monitor alarm web-app-cpu-lt-25 in state ALARM triggered policy web-app-cpu-lt-25)",
      "",
      "Could not read:",
      "  the stack's lease: dynamodb GetItem: AccessDeniedException: not authorized",
    ]);
  });

  it("says when all is well: a free lock, in sync, no targets, no scaling activity", () => {
    const quiet: StackStatus = {
      ...stackStatus(),
      drift: { inSync: true, summary: { add: 0, change: 0, replace: 0, destroy: 0, conflict: 0, held: 0 }, changes: [] },
      lock: undefined,
      resources: [
        { address: "targetGroups.web", kind: "targetGroups", name: "tg", id: "arn:tg", status: { kind: "targetGroup", targets: [] } },
        {
          address: "autoScaling.web",
          kind: "autoScaling",
          name: "r",
          id: "r",
          status: { kind: "autoScaling", minCapacity: 2, maxCapacity: 6, activities: [], alarms: [] },
        },
      ],
      unavailable: [],
    };
    expect(renderStatusText(quiet, plain).split("\n")).toEqual([
      "Stack microblog in us-east-1, at 2026-12-01T22:40:00Z",
      "  lock: free",
      "  spec: in sync: the live resources match the spec",
      "",
      "targetGroups.web (tg): no targets registered",
      "",
      "autoScaling.web (r): between 2 and 6 tasks",
      "  no scaling activity in the last six weeks",
    ]);
  });

  it("says an expired lease is free to take, and colours states by how well things go", () => {
    const status = stackStatus();
    status.lock = { ...status.lock!, expired: true };
    const text = renderStatusText(status, MARKED);
    expect(text).toContain("lock: <yellow>expired</yellow>: held by reconcile apply on ci-runner-7");
    expect(text).toContain("the next run takes it over");
    expect(text).toContain("2 <green>healthy</green>, 1 <red>unhealthy</red>");
    expect(text).toContain("<green>PRIMARY</green> <yellow>IN_PROGRESS</yellow>");
    expect(text).toContain("<yellow>1 running</yellow>");
    expect(text).toContain("(policy web-app-cpu-gt-75): <red>ALARM</red>");
    expect(text).toContain(`(policy cpu75-target-tracking-scaling-policy): <red>missing</red>`);
  });
});

describe("the status as JSON", () => {
  it("is the status itself with its formatVersion, plain JSON", () => {
    const status = stackStatus();
    const json = JSON.parse(renderStatusJson(status)) as Record<string, unknown>;
    expect(json).toEqual({ formatVersion: 1, ...JSON.parse(JSON.stringify(status)) });
    expect(Object.keys(json)).toEqual(["formatVersion", "stack", "region", "checkedAt", "drift", "lock", "resources", "unavailable"]);
    const stats = {
      calls: 9,
      writes: 0,
      attempts: 9,
      byAction: [{ service: "ecs", action: "DescribeServices", calls: 2, attempts: 2, write: false }],
    };
    expect(JSON.parse(renderStatusJson(status, { stats })).stats).toEqual(stats);
    expect((json.resources as Array<{ status: { kind: string } }>).map((r) => r.status.kind)).toEqual([
      "targetGroup",
      "loadBalancer",
      "service",
      "autoScaling",
    ]);
  });
});
