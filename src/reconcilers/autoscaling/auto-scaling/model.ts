/**
 * Application Auto Scaling of an ECS service, the pure part's core: the canonical form both sides share, the names, the
 * node and its desired value built from the spec, and the plan's preview. AWS's descriptions in the same form are in
 * from-aws.ts, the diff between the two and the change it makes in change.ts, the request bodies in requests.ts;
 * index.ts makes the calls.
 *
 * One node per service with `autoScaling`: the scalable target (min, max, suspended state), the stack's
 * target-tracking and step-scaling policies on it, the CloudWatch alarm of each step policy, and the stack's
 * scheduled actions.
 *
 *   field                                         how                               compared
 *   minCapacity, maxCapacity                      RegisterScalableTarget            always
 *   suspend.*                                     RegisterScalableTarget            when the spec sets `suspend`
 *   targetTracking.<p>.targetValue, .metric       PutScalingPolicy                  always
 *   targetTracking.<p>.scaleIn/OutCooldown…,
 *     .disableScaleIn                             PutScalingPolicy                  when the spec sets them
 *   stepScaling.<p>.steps, .adjustmentType        PutScalingPolicy (ARN stays)      always
 *   stepScaling.<p>.cooldownSeconds, …            PutScalingPolicy                  when the spec sets them
 *   stepScaling.<p>.alarm.*                       PutMetricAlarm                    always (datapointsToAlarm: AWS's
 *                                                                                   default is evaluationPeriods)
 *   stepScaling.<p>.alarm.tags                    TagResource/UntagResource         always (the stack's tags)
 *   scheduled.<a>.*                               PutScheduledAction                always
 *   a policy or action not in the spec            DeleteScalingPolicy/…Action       only the stack's (`<stack>-` names)
 *   service                                       replacement                       when the service is replaced
 */
import { fieldLines } from "../../../plan/field-lines.js";
import { KnownAfterApply, UNKNOWN, type FieldDiff } from "../../../plan/model.js";
import type { AutoScalingSpec } from "../../../schema/autoscaling.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { clusterOf, listenersForwardingTo } from "../../../schema/queries.js";
import {
  ID_TAG,
  STACK_TAG,
  addressOf,
  desiredNode,
  ownedTags,
  type DesiredNode,
  type Observed,
  type Outputs,
  type Tags,
} from "../../contract.js";

// ---------------------------------------------------------------------------------------------------------
// The canonical form, shared by both sides.

export interface CustomMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: string;
  unit?: string;
}

/** A predefined metric type (with the ALB's resource label for request counts), or a metric of one's own. */
export type TrackedMetric = { predefined: string; resourceLabel?: string | KnownAfterApply } | { custom: CustomMetric };

export interface TargetTracking {
  metric: TrackedMetric;
  targetValue: number;
  scaleInCooldownSeconds?: number;
  scaleOutCooldownSeconds?: number;
  disableScaleIn?: boolean;
}

export interface Step {
  lowerBound?: number;
  upperBound?: number;
  adjustment: number;
}

export interface StepPolicy {
  adjustmentType: string;
  cooldownSeconds?: number;
  metricAggregationType?: string;
  minAdjustmentMagnitude?: number;
  steps: Step[];
}

/** The metric an alarm watches. */
export interface AlarmMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  unit?: string;
}

export interface Alarm {
  metric: AlarmMetric;
  statistic: string;
  comparison: string;
  threshold: number;
  periodSeconds: number;
  evaluationPeriods: number;
  /** AWS's default (absent) is evaluationPeriods: both sides carry the number. */
  datapointsToAlarm: number;
}

export interface Scheduled {
  schedule: string;
  timezone: string | null;
  minCapacity: number | null;
  maxCapacity: number | null;
  /** ISO-8601 in UTC, whole seconds. */
  startTime: string | null;
  endTime: string | null;
}

export interface Suspended {
  dynamicScalingIn: boolean;
  dynamicScalingOut: boolean;
  scheduledScaling: boolean;
}

export interface DesiredStepPolicy extends StepPolicy {
  alarm: Alarm & { name: string; tags: Tags };
}

export interface ScalingDesired {
  /** The scalable target's ResourceId: `service/<cluster>/<service>`. */
  resourceId: string;
  stack: string;
  /** The ECS service's logical name: the node's and the alarms' `reconcile:id` is `autoScaling/<logical>`. */
  logical: string;
  /** Unknown while the service is created or replaced: the configuration then goes with it and is made anew. */
  serviceArn: string | KnownAfterApply;
  minCapacity: number;
  maxCapacity: number;
  suspend?: Suspended;
  targetTracking: Record<string, TargetTracking>;
  stepScaling: Record<string, DesiredStepPolicy>;
  scheduled: Record<string, Scheduled>;
  /** The synthesised ownership tags (see ObservedScaling.tags). */
  tags: Tags;
}

export interface ObservedAlarm extends Alarm {
  name: string;
  arn: string;
  /** The alarm's actions: the ARN of its policy. */
  actions: string[];
  tags: Tags;
}

export interface ObservedScaling extends Observed {
  resourceId: string;
  /** The ECS service's logical name, from its `reconcile:id` tag. */
  logical: string;
  /** Absent: no scalable target, only alarms of the stack left behind (after a crash), for delete to remove. */
  target?: { minCapacity: number; maxCapacity: number; suspended: Suspended };
  targetTracking: Record<string, TargetTracking & { arn: string }>;
  stepScaling: Record<string, StepPolicy & { arn: string }>;
  scheduled: Record<string, Scheduled>;
  /** The node's step alarms, by the logical name of their policy. */
  alarms: Record<string, ObservedAlarm>;
}

/** Steps in the order of their intervals: AWS keeps the order sent, the spec's order carries no meaning. */
export const sortSteps = (steps: readonly Step[]): Step[] =>
  [...steps].sort(
    (a, b) => (a.lowerBound ?? -Infinity) - (b.lowerBound ?? -Infinity) || (a.upperBound ?? Infinity) - (b.upperBound ?? Infinity),
  );

/** ISO-8601 in UTC to the second, however the spec or AWS wrote it. */
export const isoSecond = (value: string | Date): string => new Date(value).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The value without its undefined fields: both sides leave out what is not set. */
export const definedOnly = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

// ---------------------------------------------------------------------------------------------------------
// Names.

/** A policy's or scheduled action's name on the target: policy names are unique per scalable target. */
export const itemName = (stack: string, logical: string): string => `${stack}-${logical}`;

/** The logical name of a policy or action of the stack, undefined for anyone else's. */
export function logicalOfItem(stack: string, name: string | undefined): string | undefined {
  const prefix = `${stack}-`;
  return name?.startsWith(prefix) && name.length > prefix.length ? name.slice(prefix.length) : undefined;
}

/** A step policy's alarm: CloudWatch alarm names are unique per region, hence the stack and the service. */
export const alarmName = (stack: string, service: string, policy: string): string => `${stack}-${service}-${policy}`;

const resourceIdOf = (cluster: string, service: string): string => `service/${cluster}/${service}`;

/** `service/<cluster>/<name>` → its parts; undefined for anything else. */
export function serviceOfResourceId(resourceId: string): { cluster: string; service: string } | undefined {
  const parts = resourceId.split("/");
  return parts.length === 3 && parts[0] === "service" ? { cluster: parts[1]!, service: parts[2]! } : undefined;
}

/**
 * Application Auto Scaling keeps no tags moto can show, and the configuration belongs to its ECS service: the
 * node's ownership tags are the service's, read as the stack's when the service carries the stack's tags.
 */
export const scalingTags = (stack: string, logical: string): Tags => ({ [STACK_TAG]: stack, [ID_TAG]: `autoScaling/${logical}` });

// ---------------------------------------------------------------------------------------------------------
// Desired.

type ServiceEntry = Spec["services"][string];

const PREDEFINED = { cpu: "ECSServiceAverageCPUUtilization", memory: "ECSServiceAverageMemoryUtilization" } as const;
const REQUESTS = "ALBRequestCountPerTarget";

const ECS_METRIC = { cpu: "CPUUtilization", memory: "MemoryUtilization" } as const;

type TrackedMetricSpec = AutoScalingSpec["targetTracking"][string]["metric"];
type AlarmSpec = AutoScalingSpec["stepScaling"][string]["alarm"];

function customMetric(spec: Extract<TrackedMetricSpec, { custom: unknown }>["custom"]): CustomMetric {
  return {
    namespace: spec.namespace,
    metricName: spec.metricName,
    dimensions: { ...spec.dimensions },
    statistic: spec.statistic,
    ...(spec.unit !== undefined && { unit: spec.unit }),
  };
}

/** The load balancer whose listener forwards to the target group: the request-count label names both. */
function loadBalancerForwardingTo(spec: Spec, targetGroup: string): string | undefined {
  const listener = listenersForwardingTo(spec, [targetGroup])[0];
  return listener?.split(".")[1];
}

function requestLabel(spec: Spec, targetGroup: string, outputs: Outputs): string | KnownAfterApply {
  const lb = loadBalancerForwardingTo(spec, targetGroup);
  if (lb === undefined) throw new Error(`no listener of the spec forwards to target group ${targetGroup}`);
  const lbSuffix = outputs.string(addressOf("loadBalancers", lb), "arnSuffix");
  const tgSuffix = outputs.string(addressOf("targetGroups", targetGroup), "arnSuffix");
  if (lbSuffix instanceof KnownAfterApply || tgSuffix instanceof KnownAfterApply) return UNKNOWN;
  return `${lbSuffix}/${tgSuffix}`;
}

function trackedMetric(spec: Spec, metric: TrackedMetricSpec, outputs: Outputs): TrackedMetric {
  if (metric === "cpu" || metric === "memory") return { predefined: PREDEFINED[metric] };
  if ("albRequestsPerTarget" in metric) {
    return { predefined: REQUESTS, resourceLabel: requestLabel(spec, metric.albRequestsPerTarget.targetGroup, outputs) };
  }
  return { custom: customMetric(metric.custom) };
}

function alarmMetric(metric: AlarmSpec["metric"], cluster: string, service: string): AlarmMetric {
  if (metric === "cpu" || metric === "memory") {
    return { namespace: "AWS/ECS", metricName: ECS_METRIC[metric], dimensions: { ClusterName: cluster, ServiceName: service } };
  }
  // The alarm's statistic is its own field, not the metric's.
  const { statistic: _statistic, ...custom } = customMetric(metric.custom);
  return custom;
}

function scheduledOf(entry: AutoScalingSpec["scheduled"][string]): Scheduled {
  return {
    schedule: entry.schedule,
    timezone: entry.timezone ?? null,
    minCapacity: entry.minCapacity ?? null,
    maxCapacity: entry.maxCapacity ?? null,
    startTime: entry.startTime !== undefined ? isoSecond(entry.startTime) : null,
    endTime: entry.endTime !== undefined ? isoSecond(entry.endTime) : null,
  };
}

function buildScalingDesired(spec: Spec, logical: string, entry: ServiceEntry, outputs: Outputs): ScalingDesired {
  const scaling = entry.autoScaling!;
  const cluster = physicalName(spec, "clusters", clusterOf(spec, entry));
  const service = physicalName(spec, "services", logical);
  const alarmTags = ownedTags(spec, "autoScaling", logical, entry.tags);
  return {
    resourceId: resourceIdOf(cluster, service),
    stack: spec.stack,
    logical,
    serviceArn: outputs.string(addressOf("services", logical), "arn"),
    minCapacity: scaling.minCapacity,
    maxCapacity: scaling.maxCapacity,
    ...(scaling.suspend !== undefined && { suspend: { ...scaling.suspend } }),
    targetTracking: Object.fromEntries(
      Object.entries(scaling.targetTracking).map(([name, p]) => [
        name,
        definedOnly({
          metric: trackedMetric(spec, p.metric, outputs),
          targetValue: p.targetValue,
          scaleInCooldownSeconds: p.scaleInCooldownSeconds,
          scaleOutCooldownSeconds: p.scaleOutCooldownSeconds,
          disableScaleIn: p.disableScaleIn,
        }),
      ]),
    ),
    stepScaling: Object.fromEntries(
      Object.entries(scaling.stepScaling).map(([name, p]) => [
        name,
        definedOnly({
          adjustmentType: p.adjustmentType,
          cooldownSeconds: p.cooldownSeconds,
          metricAggregationType: p.metricAggregationType,
          minAdjustmentMagnitude: p.minAdjustmentMagnitude,
          steps: sortSteps(
            p.steps.map((s) => definedOnly({ lowerBound: s.lowerBound, upperBound: s.upperBound, adjustment: s.adjustment })),
          ),
          alarm: {
            name: alarmName(spec.stack, logical, name),
            metric: alarmMetric(p.alarm.metric, cluster, service),
            statistic: p.alarm.statistic,
            comparison: p.alarm.comparison,
            threshold: p.alarm.threshold,
            periodSeconds: p.alarm.periodSeconds,
            evaluationPeriods: p.alarm.evaluationPeriods,
            datapointsToAlarm: p.alarm.datapointsToAlarm ?? p.alarm.evaluationPeriods,
            tags: alarmTags,
          },
        }),
      ]),
    ),
    scheduled: Object.fromEntries(Object.entries(scaling.scheduled).map(([name, a]) => [name, scheduledOf(a)])),
    tags: scalingTags(spec.stack, logical),
  };
}

/** The target groups whose request counts a policy of this service tracks. */
function requestTargetGroups(scaling: AutoScalingSpec): string[] {
  const groups = Object.values(scaling.targetTracking).flatMap((p) =>
    typeof p.metric === "object" && "albRequestsPerTarget" in p.metric ? [p.metric.albRequestsPerTarget.targetGroup] : [],
  );
  return [...new Set(groups)];
}

function scalingNode(spec: Spec, logical: string, entry: ServiceEntry): DesiredNode<ScalingDesired> {
  const cluster = physicalName(spec, "clusters", clusterOf(spec, entry));
  const targetGroups = requestTargetGroups(entry.autoScaling!);
  const loadBalancers = [...new Set(targetGroups.flatMap((tg) => loadBalancerForwardingTo(spec, tg) ?? []))];
  return desiredNode({
    kind: "autoScaling",
    logical,
    name: resourceIdOf(cluster, physicalName(spec, "services", logical)),
    dependsOn: [
      addressOf("services", logical),
      ...targetGroups.map((tg) => addressOf("targetGroups", tg)),
      ...loadBalancers.map((lb) => addressOf("loadBalancers", lb)),
    ],
    build: (outputs) => buildScalingDesired(spec, logical, entry, outputs),
  });
}

export const scalingNodes = (spec: Spec): DesiredNode<ScalingDesired>[] =>
  Object.entries(spec.services)
    .filter(([, entry]) => entry.autoScaling !== undefined)
    .map(([logical, entry]) => scalingNode(spec, logical, entry));

// ---------------------------------------------------------------------------------------------------------
// Preview.

function metricLabel(metric: TrackedMetric): string {
  if ("custom" in metric) return `${metric.custom.namespace}/${metric.custom.metricName} (${metric.custom.statistic})`;
  const label = metric.resourceLabel instanceof KnownAfterApply ? "(known after apply)" : metric.resourceLabel;
  return label === undefined ? metric.predefined : `${metric.predefined} ${label}`;
}

const range = (min: number | null, max: number | null) => `${min ?? "-"}..${max ?? "-"}`;

/** What a plan shows for a configuration to be created: the range, then one line per policy and action. */
export function previewScaling(desired: ScalingDesired): FieldDiff[] {
  const lines = [
    ...fieldLines({ minCapacity: desired.minCapacity, maxCapacity: desired.maxCapacity, suspend: desired.suspend }),
    ...Object.entries(desired.targetTracking).map(([name, p]) => ({
      path: `targetTracking.${name}`,
      after: `${metricLabel(p.metric)} at ${p.targetValue}`,
    })),
    ...Object.entries(desired.stepScaling).map(([name, p]) => ({
      path: `stepScaling.${name}`,
      after: `${p.alarm.metric.metricName} ${p.alarm.comparison} ${p.alarm.threshold}: ${p.steps.map((s) => `${s.adjustment > 0 ? "+" : ""}${s.adjustment}`).join(", ")} (${p.adjustmentType})`,
    })),
    ...Object.entries(desired.scheduled).map(([name, a]) => ({
      path: `scheduled.${name}`,
      after: `${a.schedule}${a.timezone !== null ? ` ${a.timezone}` : ""} → ${range(a.minCapacity, a.maxCapacity)}`,
    })),
  ];
  return lines;
}
