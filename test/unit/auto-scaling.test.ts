import { readFileSync } from "node:fs";
import type {
  PutScalingPolicyCommandInput,
  ScalableTarget,
  ScalingPolicy,
  ScheduledAction,
  TargetTrackingScalingPolicyConfiguration,
} from "@aws-sdk/client-application-auto-scaling";
import type { MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { describe, expect, it } from "vitest";
import { KnownAfterApply, UNKNOWN, type FieldDiff } from "../../src/plan/model.js";
import {
  afterChange,
  creation,
  diffScaling,
  nothingOf,
  refOf,
  type AlarmInput,
  type ScalingChange,
} from "../../src/reconcilers/autoscaling/auto-scaling/change.js";
import {
  alarmFromAws,
  policiesFromAws,
  scheduledFromAws,
  suspendedFromAws,
  targetTrackingFromAws,
} from "../../src/reconcilers/autoscaling/auto-scaling/from-aws.js";
import {
  previewScaling,
  scalingNodes,
  type ObservedScaling,
  type ScalingDesired,
} from "../../src/reconcilers/autoscaling/auto-scaling/model.js";
import {
  drivingPolicy,
  stepPolicyToAws,
  targetTrackingInput,
  targetTrackingToAws,
} from "../../src/reconcilers/autoscaling/auto-scaling/requests.js";
import type { Outputs } from "../../src/reconcilers/contract.js";
import { specSchema, type SpecInput } from "../../src/schema/index.js";

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/aws/${name}`, import.meta.url), "utf8")) as T;

const TARGETS = fixture<{ ScalableTargets: ScalableTarget[] }>("describe-scalable-targets-ecs.json").ScalableTargets;
const STEP_POLICIES = fixture<{ ScalingPolicies: ScalingPolicy[] }>("describe-scaling-policies-step-ecs.json").ScalingPolicies;
const TRACKING = fixture<{ examples: Array<{ TargetTrackingScalingPolicyConfiguration: TargetTrackingScalingPolicyConfiguration }> }>(
  "put-scaling-policy-target-tracking-ecs.json",
).examples.map((e) => e.TargetTrackingScalingPolicyConfiguration);
const SCHEDULED = fixture<{ ScheduledActions: Array<ScheduledAction & { CreationTime: number }> }>(
  "describe-scheduled-actions-dynamodb.json",
).ScheduledActions;
const ALARM = fixture<{ MetricAlarms: MetricAlarm[] }>("describe-alarms-ec2-cpu.json").MetricAlarms[0]!;

/** How every call names the scalable target. */
const ON_TARGET = {
  ServiceNamespace: "ecs",
  ScalableDimension: "ecs:service:DesiredCount",
  ResourceId: "service/demo-main/demo-web",
} as const;

const SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/demo-main/demo-web";
const LB_SUFFIX = "app/demo-web/50dc6c495c0c9188";
const TG_SUFFIX = "targetgroup/demo-web/6d0ecf831eec9f09";

type ScalingInput = NonNullable<NonNullable<SpecInput["services"]>[string]["autoScaling"]>;

function outputsWith(values: Record<string, string | KnownAfterApply>): Outputs {
  return {
    string: (address, output) => {
      const value = values[`${address} ${output}`];
      if (value === undefined) throw new Error(`no stand-in for ${address} ${output}`);
      return value;
    },
    list: () => {
      throw new Error("no lists");
    },
  };
}

const KNOWN = outputsWith({
  "services.web arn": SERVICE_ARN,
  "loadBalancers.web arnSuffix": LB_SUFFIX,
  "targetGroups.web arnSuffix": TG_SUFFIX,
});

function specWith(autoScaling: ScalingInput) {
  return specSchema.parse({
    stack: "demo",
    region: "us-east-1",
    tags: { project: "curso" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    securityGroups: { default: { existing: { name: "default" } } },
    clusters: { main: {} },
    targetGroups: { web: { targetType: "ip", protocol: "HTTP", port: 8080 } },
    loadBalancers: {
      web: { securityGroups: ["default"], listeners: { http: { protocol: "HTTP", port: 80, defaultAction: { forward: "web" } } } },
    },
    taskDefinitions: { web: { cpu: 256, memory: 512, containers: { web: { image: "nginx:1.27", portMappings: [8080] } } } },
    services: {
      web: {
        taskDefinition: "web",
        network: { securityGroups: ["default"] },
        loadBalancers: [{ targetGroup: "web", container: "web", port: 8080 }],
        autoScaling,
      },
      worker: { taskDefinition: "web", network: { securityGroups: ["default"] } },
    },
  });
}

function desiredOf(autoScaling: ScalingInput, outputs: Outputs = KNOWN): ScalingDesired {
  const [node] = scalingNodes(specWith(autoScaling));
  return node!.build(outputs);
}

const FULL: ScalingInput = {
  minCapacity: 2,
  maxCapacity: 6,
  targetTracking: {
    requests: { metric: { albRequestsPerTarget: { targetGroup: "web" } }, targetValue: 500 },
    cpu: { metric: "cpu", targetValue: 60, scaleInCooldownSeconds: 120, scaleOutCooldownSeconds: 30, disableScaleIn: false },
    queue: {
      metric: { custom: { namespace: "Demo", metricName: "Backlog", dimensions: { Queue: "jobs" }, unit: "Count" } },
      targetValue: 10,
    },
  },
  stepScaling: {
    burst: {
      adjustmentType: "ChangeInCapacity",
      cooldownSeconds: 60,
      steps: [
        { lowerBound: 20, adjustment: 3 },
        { lowerBound: 0, upperBound: 20, adjustment: 1 },
      ],
      alarm: { metric: "memory", comparison: "GreaterThanOrEqualToThreshold", threshold: 80, evaluationPeriods: 2 },
    },
  },
  scheduled: {
    night: { schedule: "cron(0 22 * * ? *)", timezone: "America/Sao_Paulo", minCapacity: 1, maxCapacity: 2 },
  },
};

/** AWS's answer for what a spec sets, as observe builds it: the echo of each request. */
function echoOf(desired: ScalingDesired): ObservedScaling {
  const policyArn = (name: string) =>
    `arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1:resource/ecs/service/demo-main/demo-web:policyName/demo-${name}`;
  const stepPolicies = Object.entries(desired.stepScaling).map(([name, p]) => ({
    PolicyName: `demo-${name}`,
    PolicyType: "StepScaling",
    PolicyARN: policyArn(name),
    StepScalingPolicyConfiguration: stepPolicyToAws(p),
  })) as ScalingPolicy[];
  const alarmOf = ([name, p]: [string, ScalingDesired["stepScaling"][string]]) =>
    alarmFromAws(
      {
        AlarmName: p.alarm.name,
        AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${p.alarm.name}`,
        Namespace: p.alarm.metric.namespace,
        MetricName: p.alarm.metric.metricName,
        // AWS keeps the dimensions in the order sent; the diff does not care.
        Dimensions: Object.entries(p.alarm.metric.dimensions)
          .reverse()
          .map(([Name, Value]) => ({ Name, Value })),
        Statistic: p.alarm.statistic as "Average",
        ComparisonOperator: p.alarm.comparison as "GreaterThanThreshold",
        Threshold: p.alarm.threshold,
        Period: p.alarm.periodSeconds,
        EvaluationPeriods: p.alarm.evaluationPeriods,
        AlarmActions: [policyArn(name)],
        OKActions: [],
        InsufficientDataActions: [],
        ActionsEnabled: true,
      },
      p.alarm.tags,
    );
  return {
    name: desired.resourceId,
    id: "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/0123",
    tags: desired.tags,
    resourceId: desired.resourceId,
    logical: "web",
    target: { minCapacity: desired.minCapacity, maxCapacity: desired.maxCapacity, suspended: suspendedFromAws(TARGETS[0]!.SuspendedState) },
    targetTracking: Object.fromEntries(
      Object.entries(desired.targetTracking).map(([name, p]) => [
        name,
        { ...targetTrackingFromAws(targetTrackingToAws(p)), arn: `arn:${name}` },
      ]),
    ),
    stepScaling: policiesFromAws("demo", stepPolicies).stepScaling,
    scheduled: Object.fromEntries(Object.entries(desired.scheduled).map(([name, a]) => [name, { ...a }])),
    alarms: Object.fromEntries(Object.entries(desired.stepScaling).map((entry) => [entry[0], alarmOf(entry)])),
  };
}

describe("the desired configuration built from a spec", () => {
  const desired = desiredOf(FULL);

  it("names the target after the cluster and service, depends on the service and the ALB/target group of a request-count policy", () => {
    const [node] = scalingNodes(specWith(FULL));
    expect(node).toMatchObject({
      kind: "autoScaling",
      address: "autoScaling.web",
      name: "service/demo-main/demo-web",
      dependsOn: ["services.web", "targetGroups.web", "loadBalancers.web"],
    });
    expect(scalingNodes(specWith(FULL)).map((n) => n.logical)).toEqual(["web"]); // worker has no autoScaling
  });

  it.each([
    { why: "cpu is ECS's predefined CPU metric", name: "cpu", metric: { predefined: "ECSServiceAverageCPUUtilization" } },
    {
      why: "request counts carry the label `<lb arn suffix>/<tg arn suffix>` from the outputs",
      name: "requests",
      metric: { predefined: "ALBRequestCountPerTarget", resourceLabel: `${LB_SUFFIX}/${TG_SUFFIX}` },
    },
    {
      why: "a custom metric keeps its dimensions and unit, the statistic defaults to Average",
      name: "queue",
      metric: { custom: { namespace: "Demo", metricName: "Backlog", dimensions: { Queue: "jobs" }, statistic: "Average", unit: "Count" } },
    },
  ])("$why", ({ name, metric }) => {
    expect(desired.targetTracking[name]!.metric).toEqual(metric);
  });

  it("memory is ECS's predefined memory metric", () => {
    const memory = desiredOf({ minCapacity: 1, maxCapacity: 2, targetTracking: { mem: { metric: "memory", targetValue: 70 } } });
    expect(memory.targetTracking.mem).toEqual({ metric: { predefined: "ECSServiceAverageMemoryUtilization" }, targetValue: 70 });
  });

  it("a schedule's start and end times are compared in UTC to the second, whatever offset the spec writes", () => {
    const timed = desiredOf({
      minCapacity: 1,
      maxCapacity: 2,
      scheduled: { once: { schedule: "at(2030-01-01T08:00:00)", maxCapacity: 4, startTime: "2030-01-01T00:00:00-03:00" } },
    });
    expect(timed.scheduled.once).toEqual({
      schedule: "at(2030-01-01T08:00:00)",
      timezone: null,
      minCapacity: null,
      maxCapacity: 4,
      startTime: "2030-01-01T03:00:00Z",
      endTime: null,
    });
    expect(scheduledFromAws({ StartTime: new Date("2030-01-01T03:00:00.000Z") } as ScheduledAction).startTime).toBe("2030-01-01T03:00:00Z");
  });

  it("keeps cooldowns and disableScaleIn only where the spec sets them", () => {
    expect(desired.targetTracking.cpu).toEqual({
      metric: { predefined: "ECSServiceAverageCPUUtilization" },
      targetValue: 60,
      scaleInCooldownSeconds: 120,
      scaleOutCooldownSeconds: 30,
      disableScaleIn: false,
    });
    expect(Object.keys(desired.targetTracking.requests!)).toEqual(["metric", "targetValue"]);
  });

  it("gives a step policy its alarm on the service's own memory metric, owned and tagged by the stack, steps in interval order", () => {
    const burst = desired.stepScaling.burst!;
    expect(burst.steps).toEqual([
      { lowerBound: 0, upperBound: 20, adjustment: 1 },
      { lowerBound: 20, adjustment: 3 },
    ]);
    expect(burst.alarm).toEqual({
      name: "demo-web-burst",
      metric: { namespace: "AWS/ECS", metricName: "MemoryUtilization", dimensions: { ClusterName: "demo-main", ServiceName: "demo-web" } },
      statistic: "Average",
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 80,
      periodSeconds: 60,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      tags: { project: "curso", "reconcile:stack": "demo", "reconcile:id": "autoScaling/web" },
    });
  });

  it("a request label whose load balancer is still to be created is known after apply", () => {
    const pending = desiredOf(
      FULL,
      outputsWith({ "services.web arn": SERVICE_ARN, "loadBalancers.web arnSuffix": UNKNOWN, "targetGroups.web arnSuffix": TG_SUFFIX }),
    );
    expect(pending.targetTracking.requests!.metric).toEqual({ predefined: "ALBRequestCountPerTarget", resourceLabel: UNKNOWN });
    expect(() => targetTrackingToAws(pending.targetTracking.requests!)).toThrow(/not known yet/);
  });

  it("previews the range and one line per policy and action", () => {
    expect(previewScaling(desired)).toEqual([
      { path: "minCapacity", after: 2 },
      { path: "maxCapacity", after: 6 },
      { path: "targetTracking.requests", after: `ALBRequestCountPerTarget ${LB_SUFFIX}/${TG_SUFFIX} at 500` },
      { path: "targetTracking.cpu", after: "ECSServiceAverageCPUUtilization at 60" },
      { path: "targetTracking.queue", after: "Demo/Backlog (Average) at 10" },
      { path: "stepScaling.burst", after: "MemoryUtilization GreaterThanOrEqualToThreshold 80: +1, +3 (ChangeInCapacity)" },
      { path: "scheduled.night", after: "cron(0 22 * * ? *) America/Sao_Paulo → 1..2" },
    ]);
  });
});

describe("AWS's answers in the diff's form (fixtures from the API references)", () => {
  it("DescribeScalableTargets: nothing suspended", () => {
    expect(suspendedFromAws(TARGETS[0]!.SuspendedState)).toEqual({
      dynamicScalingIn: false,
      dynamicScalingOut: false,
      scheduledScaling: false,
    });
    expect(suspendedFromAws(undefined)).toEqual({ dynamicScalingIn: false, dynamicScalingOut: false, scheduledScaling: false });
  });

  it("DescribeScalingPolicies: a policy not named `<stack>-…` is not the stack's", () => {
    expect(policiesFromAws("demo", STEP_POLICIES)).toEqual({ targetTracking: {}, stepScaling: {} });
    expect(policiesFromAws("web-app", STEP_POLICIES).stepScaling).toEqual({
      "cpu-gt-75": {
        adjustmentType: "PercentChangeInCapacity",
        cooldownSeconds: 60,
        steps: [{ lowerBound: 0, adjustment: 200 }],
        arn: STEP_POLICIES[0]!.PolicyARN,
      },
    });
  });

  it("a step policy equal to the reference's echo shows no drift", () => {
    const desired = desiredOf({
      minCapacity: 1,
      maxCapacity: 10,
      stepScaling: {
        "cpu-gt-75": {
          adjustmentType: "PercentChangeInCapacity",
          cooldownSeconds: 60,
          steps: [{ lowerBound: 0, adjustment: 200 }],
          alarm: { metric: "cpu", comparison: "GreaterThanThreshold", threshold: 75 },
        },
      },
    });
    const echo = echoOf(desired);
    const policy = policiesFromAws("web-app", STEP_POLICIES).stepScaling["cpu-gt-75"]!;
    const observed: ObservedScaling = {
      ...echo,
      stepScaling: { "cpu-gt-75": policy },
      alarms: { "cpu-gt-75": { ...echo.alarms["cpu-gt-75"]!, actions: [policy.arn] } },
    };
    expect(diffScaling(desired, observed).lines).toEqual([]);
  });

  it.each([
    {
      why: "CPU at 75 with cooldowns",
      index: 0,
      spec: { metric: "cpu" as const, targetValue: 75, scaleInCooldownSeconds: 60, scaleOutCooldownSeconds: 60 },
    },
    {
      why: "a custom metric with a unit",
      index: 1,
      spec: {
        metric: {
          custom: {
            namespace: "MyNamespace",
            metricName: "MyUtilizationMetric",
            dimensions: { MyOptionalMetricDimensionName: "MyOptionalMetricDimensionValue" },
            unit: "Percent",
          },
        },
        targetValue: 75,
      },
    },
  ])("PutScalingPolicy's target-tracking configuration ($why) equals the spec that says the same", ({ index, spec }) => {
    const desired = desiredOf({ minCapacity: 1, maxCapacity: 10, targetTracking: { p: spec } });
    expect(targetTrackingFromAws(TRACKING[index]!)).toMatchObject(desired.targetTracking.p!);
    const observed = { ...echoOf(desired), targetTracking: { p: { ...targetTrackingFromAws(TRACKING[index]!), arn: "arn" } } };
    expect(diffScaling(desired, observed).lines).toEqual([]);
  });

  it("the ALB example's label and disableScaleIn come back as sent", () => {
    expect(targetTrackingFromAws(TRACKING[2]!)).toEqual({
      metric: { predefined: "ALBRequestCountPerTarget", resourceLabel: TRACKING[2]!.PredefinedMetricSpecification!.ResourceLabel },
      targetValue: 1000,
      scaleInCooldownSeconds: 60,
      scaleOutCooldownSeconds: 60,
      disableScaleIn: true,
    });
  });

  it("DescribeScheduledActions: no time zone is null, the capacities come from ScalableTargetAction", () => {
    expect(scheduledFromAws(SCHEDULED[0]! as ScheduledAction)).toEqual({
      schedule: "at(2019-05-20T18:35:00)",
      timezone: null,
      minCapacity: 15,
      maxCapacity: 20,
      startTime: null,
      endTime: null,
    });
  });

  it("DescribeAlarms: datapointsToAlarm left out is the evaluation periods; dimensions become a map", () => {
    expect(alarmFromAws(ALARM, {})).toEqual({
      name: "myalarm",
      arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:myalarm",
      metric: { namespace: "AWS/EC2", metricName: "CPUUtilization", dimensions: { InstanceId: "i-0c986c72" } },
      statistic: "Average",
      comparison: "GreaterThanThreshold",
      threshold: 70,
      periodSeconds: 300,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      actions: ["arn:aws:sns:us-east-1:123456789012:myHighCpuAlarm"],
      tags: {},
    });
  });
});

describe("diff", () => {
  const desired = desiredOf(FULL);
  const echo = echoOf(desired);

  it("the whole configuration equal to AWS's echo of it is no drift", () => {
    expect(diffScaling(desired, echo).lines).toEqual([]);
  });

  const burstArn = echo.stepScaling.burst!.arn;
  const cases: Array<{ why: string; observed: ObservedScaling; diffs: FieldDiff[] }> = [
    {
      why: "min and max changed",
      observed: { ...echo, target: { ...echo.target!, minCapacity: 1, maxCapacity: 4 } },
      diffs: [
        { path: "minCapacity", before: 1, after: 2 },
        { path: "maxCapacity", before: 4, after: 6 },
      ],
    },
    {
      why: "a target value changed",
      observed: { ...echo, targetTracking: { ...echo.targetTracking, cpu: { ...echo.targetTracking.cpu!, targetValue: 70 } } },
      diffs: [{ path: "targetTracking.cpu.targetValue", before: 70, after: 60 }],
    },
    {
      why: "a cooldown the spec leaves out is not drift",
      observed: {
        ...echo,
        targetTracking: {
          ...echo.targetTracking,
          requests: { ...echo.targetTracking.requests!, scaleInCooldownSeconds: 300, disableScaleIn: false },
        },
      },
      diffs: [],
    },
    {
      why: "a cooldown the spec sets is compared",
      observed: { ...echo, targetTracking: { ...echo.targetTracking, cpu: { ...echo.targetTracking.cpu!, scaleInCooldownSeconds: 300 } } },
      diffs: [{ path: "targetTracking.cpu.scaleInCooldownSeconds", before: 300, after: 120 }],
    },
    {
      why: "a target-tracking policy of the stack not in the spec is deleted",
      observed: { ...echo, targetTracking: { ...echo.targetTracking, old: { ...echo.targetTracking.cpu!, arn: "arn:old" } } },
      diffs: [{ path: "targetTracking.old", before: { ...desired.targetTracking.cpu!, disableScaleIn: false } }],
    },
    {
      why: "a missing target-tracking policy is added",
      observed: { ...echo, targetTracking: { cpu: echo.targetTracking.cpu!, queue: echo.targetTracking.queue! } },
      diffs: [{ path: "targetTracking.requests", after: desired.targetTracking.requests }],
    },
    {
      why: "steps changed",
      observed: { ...echo, stepScaling: { burst: { ...echo.stepScaling.burst!, steps: [{ lowerBound: 0, adjustment: 1 }] } } },
      diffs: [{ path: "stepScaling.burst.steps", before: [{ lowerBound: 0, adjustment: 1 }], after: desired.stepScaling.burst!.steps }],
    },
    {
      why: "the step alarm's threshold changed",
      observed: { ...echo, alarms: { burst: { ...echo.alarms.burst!, threshold: 90 } } },
      diffs: [{ path: "stepScaling.burst.alarm.threshold", before: 90, after: 80 }],
    },
    {
      why: "the step alarm no longer points at its policy",
      observed: { ...echo, alarms: { burst: { ...echo.alarms.burst!, actions: ["arn:old"] } } },
      diffs: [{ path: "stepScaling.burst.alarm.actions", before: ["arn:old"], after: [burstArn] }],
    },
    {
      why: "the step alarm lost a tag of the stack",
      observed: {
        ...echo,
        alarms: { burst: { ...echo.alarms.burst!, tags: { ...desired.stepScaling.burst!.alarm.tags, project: "other" } } },
      },
      diffs: [{ path: "stepScaling.burst.alarm.tags.project", before: "other", after: "curso" }],
    },
    {
      why: "the policy exists and its alarm does not",
      observed: { ...echo, alarms: {} },
      diffs: [{ path: "stepScaling.burst.alarm", after: desired.stepScaling.burst!.alarm }],
    },
    {
      why: "a schedule changed",
      observed: { ...echo, scheduled: { night: { ...echo.scheduled.night!, schedule: "cron(0 23 * * ? *)" } } },
      diffs: [{ path: "scheduled.night.schedule", before: "cron(0 23 * * ? *)", after: "cron(0 22 * * ? *)" }],
    },
    {
      why: "a time zone changed",
      observed: { ...echo, scheduled: { night: { ...echo.scheduled.night!, timezone: null } } },
      diffs: [{ path: "scheduled.night.timezone", before: null, after: "America/Sao_Paulo" }],
    },
    {
      why: "a suspended state is not drift while the spec leaves `suspend` out",
      observed: {
        ...echo,
        target: { ...echo.target!, suspended: { dynamicScalingIn: true, dynamicScalingOut: false, scheduledScaling: false } },
      },
      diffs: [],
    },
  ];

  it.each(cases)("$why", ({ observed, diffs }) => {
    expect(diffScaling(desired, observed).lines).toEqual(diffs);
  });

  it("a step policy removed from the spec deletes it (its alarm goes with it, no separate line)", () => {
    const without = desiredOf({ ...FULL, stepScaling: {} });
    const { lines, change } = diffScaling(without, echoOf(desired));
    expect(lines.map((d) => d.path)).toEqual(["stepScaling.burst"]);
    expect(change).toMatchObject({
      stepScaling: [],
      deletePolicies: [{ ...ON_TARGET, PolicyName: "demo-burst" }],
      deleteAlarms: ["demo-web-burst"],
    });
  });

  it("`suspend` in the spec is compared", () => {
    const suspended = desiredOf({ ...FULL, suspend: { dynamicScalingIn: true } });
    expect(diffScaling(suspended, echoOf(desired)).lines).toEqual([{ path: "suspend.dynamicScalingIn", before: false, after: true }]);
  });

  it("an unknown service ARN (the service is created or replaced) forces the configuration's replacement", () => {
    const replaced = desiredOf(
      FULL,
      outputsWith({ "services.web arn": UNKNOWN, "loadBalancers.web arnSuffix": LB_SUFFIX, "targetGroups.web arnSuffix": TG_SUFFIX }),
    );
    expect(diffScaling(replaced, echo).lines).toEqual([
      { path: "service", before: "service/demo-main/demo-web", after: UNKNOWN, forcesReplacement: true },
    ]);
  });

  it("a request label still unknown while planning gives lines and a change; its input is built once the label is known", () => {
    const pending = desiredOf(
      FULL,
      outputsWith({ "services.web arn": SERVICE_ARN, "loadBalancers.web arnSuffix": UNKNOWN, "targetGroups.web arnSuffix": TG_SUFFIX }),
    );
    const { lines, change } = diffScaling(pending, echo);
    expect(lines.map((d) => d.path)).toEqual(["targetTracking.requests.metric"]);
    expect(change.putTargetTracking.map((p) => p.policyName)).toEqual(["demo-requests"]);
    expect(() => targetTrackingInput(change.putTargetTracking[0]!)).toThrow(/not known yet/);
  });
});

describe("the change update makes, from the same comparison as the lines", () => {
  const desired = desiredOf(FULL);
  const echo = echoOf(desired);
  const burstArn = echo.stepScaling.burst!.arn;
  const alarmArn = echo.alarms.burst!.arn;
  const none: ScalingChange = {
    ref: refOf(desired),
    putTargetTracking: [],
    stepScaling: [],
    deletePolicies: [],
    deleteAlarms: [],
    putScheduled: [],
    deleteScheduled: [],
  };
  /** PutMetricAlarm's input for the burst policy's alarm, but for its action. */
  const BURST_ALARM: AlarmInput = {
    AlarmName: "demo-web-burst",
    Namespace: "AWS/ECS",
    MetricName: "MemoryUtilization",
    Dimensions: [
      { Name: "ClusterName", Value: "demo-main" },
      { Name: "ServiceName", Value: "demo-web" },
    ],
    Statistic: "Average",
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
    Threshold: 80,
    Period: 60,
    EvaluationPeriods: 2,
    DatapointsToAlarm: 2,
    Tags: [
      { Key: "project", Value: "curso" },
      { Key: "reconcile:stack", Value: "demo" },
      { Key: "reconcile:id", Value: "autoScaling/web" },
    ],
  };
  const BURST_POLICY: PutScalingPolicyCommandInput = {
    ...ON_TARGET,
    PolicyName: "demo-burst",
    PolicyType: "StepScaling",
    StepScalingPolicyConfiguration: {
      AdjustmentType: "ChangeInCapacity",
      StepAdjustments: [
        { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 },
        { MetricIntervalLowerBound: 20, ScalingAdjustment: 3 },
      ],
      Cooldown: 60,
    },
  };

  it("the configuration as the spec says changes nothing", () => {
    expect(diffScaling(desired, echo).change).toEqual(none);
  });

  it.each<{ why: string; desired?: ScalingDesired; observed: ObservedScaling; change: Partial<ScalingChange> }>([
    {
      why: "min and max changed: RegisterScalableTarget with the whole target, nothing else",
      observed: { ...echo, target: { ...echo.target!, minCapacity: 1, maxCapacity: 4 } },
      change: { register: { ...ON_TARGET, MinCapacity: 2, MaxCapacity: 6 } },
    },
    {
      why: "`suspend` changed: RegisterScalableTarget carries the whole suspended state",
      desired: desiredOf({ ...FULL, suspend: { dynamicScalingIn: true } }),
      observed: echo,
      change: {
        register: {
          ...ON_TARGET,
          MinCapacity: 2,
          MaxCapacity: 6,
          SuspendedState: { DynamicScalingInSuspended: true, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
        },
      },
    },
    {
      why: "a target value changed: that target-tracking policy put, as the spec has it",
      observed: { ...echo, targetTracking: { ...echo.targetTracking, cpu: { ...echo.targetTracking.cpu!, targetValue: 70 } } },
      change: { putTargetTracking: [{ resourceId: ON_TARGET.ResourceId, policyName: "demo-cpu", policy: desired.targetTracking.cpu! }] },
    },
    {
      why: "a target-tracking policy of the stack not in the spec: DeleteScalingPolicy",
      observed: { ...echo, targetTracking: { ...echo.targetTracking, old: { ...echo.targetTracking.cpu!, arn: "arn:old" } } },
      change: { deletePolicies: [{ ...ON_TARGET, PolicyName: "demo-old" }] },
    },
    {
      why: "steps changed: the policy put; its alarm, as the spec has it, put only if the new ARN is not its action",
      observed: { ...echo, stepScaling: { burst: { ...echo.stepScaling.burst!, steps: [{ lowerBound: 0, adjustment: 1 }] } } },
      change: { stepScaling: [{ policy: BURST_POLICY, alarm: BURST_ALARM, alarmActions: [burstArn] }] },
    },
    {
      why: "the alarm's threshold changed: the alarm put, driving the policy where it stands",
      observed: { ...echo, alarms: { burst: { ...echo.alarms.burst!, threshold: 90 } } },
      change: { stepScaling: [{ arn: burstArn, alarm: BURST_ALARM }] },
    },
    {
      why: "the alarm no longer points at its policy: the alarm put",
      observed: { ...echo, alarms: { burst: { ...echo.alarms.burst!, actions: ["arn:old"] } } },
      change: { stepScaling: [{ arn: burstArn, alarm: BURST_ALARM }] },
    },
    {
      why: "the policy exists and its alarm does not: the alarm put",
      observed: { ...echo, alarms: {} },
      change: { stepScaling: [{ arn: burstArn, alarm: BURST_ALARM }] },
    },
    {
      why: "the alarm's tags alone: the tag writes, and no put (its action is the policy's ARN already)",
      observed: {
        ...echo,
        alarms: { burst: { ...echo.alarms.burst!, tags: { ...desired.stepScaling.burst!.alarm.tags, project: "other", extra: "x" } } },
      },
      change: {
        stepScaling: [
          {
            arn: burstArn,
            alarm: BURST_ALARM,
            alarmActions: [burstArn],
            alarmTags: { arn: alarmArn, change: { set: { project: "curso" }, remove: ["extra"] } },
          },
        ],
      },
    },
    {
      why: "a step policy the spec no longer has: its policy, then its alarm, deleted",
      desired: desiredOf({ ...FULL, stepScaling: {} }),
      observed: echo,
      change: { deletePolicies: [{ ...ON_TARGET, PolicyName: "demo-burst" }], deleteAlarms: ["demo-web-burst"] },
    },
    {
      why: "an alarm left without its policy, which the spec no longer has: the alarm deleted",
      desired: desiredOf({ ...FULL, stepScaling: {} }),
      observed: { ...echo, stepScaling: {} },
      change: { deleteAlarms: ["demo-web-burst"] },
    },
    {
      why: "a time zone changed: PutScheduledAction with the whole action",
      observed: { ...echo, scheduled: { night: { ...echo.scheduled.night!, timezone: null } } },
      change: {
        putScheduled: [
          {
            ...ON_TARGET,
            ScheduledActionName: "demo-night",
            Schedule: "cron(0 22 * * ? *)",
            Timezone: "America/Sao_Paulo",
            ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 2 },
          },
        ],
      },
    },
    {
      why: "a scheduled action of the stack not in the spec: DeleteScheduledAction",
      observed: { ...echo, scheduled: { ...echo.scheduled, old: echo.scheduled.night! } },
      change: { deleteScheduled: [{ ...ON_TARGET, ScheduledActionName: "demo-old" }] },
    },
  ])("$why", ({ desired: wanted = desired, observed, change }) => {
    expect(diffScaling(wanted, observed).change).toEqual({ ...none, ref: refOf(wanted), ...change });
  });

  it("reads back the spec's step alarms with the tags it gives them", () => {
    expect(refOf(desired)).toEqual({
      resourceId: ON_TARGET.ResourceId,
      logical: "web",
      alarms: { "demo-web-burst": desired.stepScaling.burst!.alarm.tags },
    });
  });

  it("creation: the target, every policy with its alarm put unconditionally, every action", () => {
    const change = creation(desired);
    expect(change.register).toEqual({ ...ON_TARGET, MinCapacity: 2, MaxCapacity: 6 });
    expect(change.putTargetTracking.map((p) => p.policyName)).toEqual(["demo-cpu", "demo-queue", "demo-requests"]);
    expect(change.stepScaling).toEqual([{ policy: BURST_POLICY, alarm: BURST_ALARM }]);
    expect(change.putScheduled.map((a) => a.ScheduledActionName)).toEqual(["demo-night"]);
    expect([change.deletePolicies, change.deleteAlarms, change.deleteScheduled]).toEqual([[], [], []]);
  });

  it("a target-tracking policy's PutScalingPolicy input, and a step alarm's with its policy's ARN", () => {
    expect(targetTrackingInput({ resourceId: ON_TARGET.ResourceId, policyName: "demo-cpu", policy: desired.targetTracking.cpu! })).toEqual({
      ...ON_TARGET,
      PolicyName: "demo-cpu",
      PolicyType: "TargetTrackingScaling",
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 60,
        PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" },
        ScaleInCooldown: 120,
        ScaleOutCooldown: 30,
        DisableScaleIn: false,
      },
    });
    expect(drivingPolicy(BURST_ALARM, burstArn)).toEqual({
      ...BURST_ALARM,
      AlarmDescription: `Drives the step scaling policy ${burstArn}`,
      AlarmActions: [burstArn],
    });
  });
});

describe("the configuration once a change is made, from what was sent and answered (no read back)", () => {
  const desired = desiredOf(FULL);
  const echo = echoOf(desired);
  const burst = echo.alarms.burst!;
  /** The burst alarm as DescribeAlarms answers once it is put. */
  const burstAlarm: MetricAlarm = {
    AlarmName: burst.name,
    AlarmArn: burst.arn,
    Namespace: burst.metric.namespace,
    MetricName: burst.metric.metricName,
    Dimensions: Object.entries(burst.metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
    Statistic: burst.statistic as "Average",
    ComparisonOperator: burst.comparison as "GreaterThanThreshold",
    Threshold: burst.threshold,
    Period: burst.periodSeconds,
    EvaluationPeriods: burst.evaluationPeriods,
    DatapointsToAlarm: burst.datapointsToAlarm,
    AlarmActions: burst.actions,
  };
  const policyArns = new Map([
    ...Object.entries(echo.targetTracking).map(([name, p]) => [`demo-${name}`, p.arn] as const),
    ["demo-burst", echo.stepScaling.burst!.arn] as const,
  ]);

  it("creation: what a read of the configuration gives (its id is the resource id)", () => {
    const created = afterChange("demo", nothingOf(desired), creation(desired), { policyArns, alarms: new Map([[burst.name, burstAlarm]]) });
    expect(created).toEqual({ ...echo, id: desired.resourceId });
    expect(diffScaling(desired, created).lines).toEqual([]);
  });

  it("an update: what it removes is gone, what it leaves is as it was, and a suspended state it does not send is kept", () => {
    const suspended = { dynamicScalingIn: true, dynamicScalingOut: false, scheduledScaling: true };
    const observed: ObservedScaling = { ...echo, target: { ...echo.target!, suspended } };
    const { cpu: _cpu, ...tracking } = FULL.targetTracking!;
    const wanted = desiredOf({ ...FULL, minCapacity: 1, targetTracking: tracking, scheduled: {} });
    const { change } = diffScaling(wanted, observed);
    const after = afterChange("demo", observed, change, { policyArns: new Map(), alarms: new Map() });
    expect(after.target).toEqual({ minCapacity: 1, maxCapacity: 6, suspended });
    expect(Object.keys(after.targetTracking).sort()).toEqual(["queue", "requests"]);
    expect(after.targetTracking.queue).toEqual(echo.targetTracking.queue);
    expect(after.scheduled).toEqual({});
    expect([after.stepScaling, after.alarms]).toEqual([echo.stepScaling, echo.alarms]);
    expect(diffScaling(wanted, after).lines).toEqual([]);
  });
});
