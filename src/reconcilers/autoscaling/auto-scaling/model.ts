/**
 * Application Auto Scaling of an ECS service, the pure part: the node and its desired value built from the spec, AWS's
 * descriptions in the same form, the diff between the two, the change it makes and the request bodies. index.ts makes the calls.
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
import type {
  DeleteScalingPolicyCommandInput,
  DeleteScheduledActionCommandInput,
  PutScalingPolicyCommandInput,
  PutScheduledActionCommandInput,
  RegisterScalableTargetCommandInput,
  ScalableTarget,
  ScalingPolicy,
  ScheduledAction,
  StepScalingPolicyConfiguration,
  TargetTrackingScalingPolicyConfiguration,
} from "@aws-sdk/client-application-auto-scaling";
import type { MetricAlarm, PutMetricAlarmCommandInput } from "@aws-sdk/client-cloudwatch";
import { fieldLines } from "../../../plan/field-lines.js";
import { KnownAfterApply, UNKNOWN, type FieldDiff } from "../../../plan/model.js";
import type { AutoScalingSpec } from "../../../schema/autoscaling.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { clusterOf, listenersForwardingTo } from "../../../schema/queries.js";
import { diffField, diffTags, known, tagChange, toTagList, type TagChange } from "../../shared/diff-helpers.js";
import {
  ID_TAG,
  STACK_TAG,
  addressOf,
  desiredNode,
  ownedTags,
  type DesiredNode,
  type Diff,
  type Observed,
  type Outputs,
  type Tags,
} from "../../shared/types.js";

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

// ---------------------------------------------------------------------------------------------------------
// Names.

/** A policy's or scheduled action's name on the target: policy names are unique per scalable target. */
export const itemName = (stack: string, logical: string): string => `${stack}-${logical}`;

/** The logical name of a policy or action of the stack, undefined for anyone else's. */
function logicalOfItem(stack: string, name: string | undefined): string | undefined {
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

/** Steps in the order of their intervals: AWS keeps the order sent, the spec's order carries no meaning. */
const sortSteps = (steps: readonly Step[]): Step[] =>
  [...steps].sort(
    (a, b) => (a.lowerBound ?? -Infinity) - (b.lowerBound ?? -Infinity) || (a.upperBound ?? Infinity) - (b.upperBound ?? Infinity),
  );

/** ISO-8601 in UTC to the second, however the spec or AWS wrote it. */
const isoSecond = (value: string | Date): string => new Date(value).toISOString().replace(/\.\d{3}Z$/, "Z");

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

const definedOnly = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

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
// AWS's descriptions, in the canonical form.

export function suspendedFromAws(state: ScalableTarget["SuspendedState"]): Suspended {
  return {
    dynamicScalingIn: state?.DynamicScalingInSuspended ?? false,
    dynamicScalingOut: state?.DynamicScalingOutSuspended ?? false,
    scheduledScaling: state?.ScheduledScalingSuspended ?? false,
  };
}

const dimensionsFromAws = (list: ReadonlyArray<{ Name?: string; Value?: string }> | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).map((d) => [d.Name ?? "", d.Value ?? ""]));

function trackedMetricFromAws(config: TargetTrackingScalingPolicyConfiguration): TrackedMetric {
  const predefined = config.PredefinedMetricSpecification;
  if (predefined) {
    return {
      predefined: predefined.PredefinedMetricType ?? "",
      ...(predefined.ResourceLabel !== undefined && { resourceLabel: predefined.ResourceLabel }),
    };
  }
  const custom = config.CustomizedMetricSpecification;
  return {
    custom: {
      namespace: custom?.Namespace ?? "",
      metricName: custom?.MetricName ?? "",
      dimensions: dimensionsFromAws(custom?.Dimensions),
      statistic: custom?.Statistic ?? "",
      ...(custom?.Unit !== undefined && { unit: custom.Unit }),
    },
  };
}

export function targetTrackingFromAws(config: TargetTrackingScalingPolicyConfiguration): TargetTracking {
  return definedOnly({
    metric: trackedMetricFromAws(config),
    targetValue: config.TargetValue ?? 0,
    scaleInCooldownSeconds: config.ScaleInCooldown,
    scaleOutCooldownSeconds: config.ScaleOutCooldown,
    disableScaleIn: config.DisableScaleIn ?? false,
  });
}

function stepPolicyFromAws(config: StepScalingPolicyConfiguration): StepPolicy {
  return definedOnly({
    adjustmentType: config.AdjustmentType ?? "",
    cooldownSeconds: config.Cooldown,
    metricAggregationType: config.MetricAggregationType,
    minAdjustmentMagnitude: config.MinAdjustmentMagnitude,
    steps: sortSteps(
      (config.StepAdjustments ?? []).map((s) =>
        definedOnly({
          lowerBound: s.MetricIntervalLowerBound,
          upperBound: s.MetricIntervalUpperBound,
          adjustment: s.ScalingAdjustment ?? 0,
        }),
      ),
    ),
  });
}

/** The stack's policies among those on a target, by logical name and type; anyone else's are left out. */
export function policiesFromAws(
  stack: string,
  policies: readonly ScalingPolicy[],
): Pick<ObservedScaling, "targetTracking" | "stepScaling"> {
  const result: Pick<ObservedScaling, "targetTracking" | "stepScaling"> = { targetTracking: {}, stepScaling: {} };
  for (const policy of policies) {
    const logical = logicalOfItem(stack, policy.PolicyName);
    if (logical === undefined) continue;
    const arn = policy.PolicyARN ?? "";
    if (policy.PolicyType === "TargetTrackingScaling" && policy.TargetTrackingScalingPolicyConfiguration) {
      result.targetTracking[logical] = { ...targetTrackingFromAws(policy.TargetTrackingScalingPolicyConfiguration), arn };
    } else if (policy.PolicyType === "StepScaling" && policy.StepScalingPolicyConfiguration) {
      result.stepScaling[logical] = { ...stepPolicyFromAws(policy.StepScalingPolicyConfiguration), arn };
    }
  }
  return result;
}

export function scheduledFromAws(action: ScheduledAction): Scheduled {
  return {
    schedule: action.Schedule ?? "",
    timezone: action.Timezone ?? null,
    minCapacity: action.ScalableTargetAction?.MinCapacity ?? null,
    maxCapacity: action.ScalableTargetAction?.MaxCapacity ?? null,
    startTime: action.StartTime !== undefined ? isoSecond(action.StartTime) : null,
    endTime: action.EndTime !== undefined ? isoSecond(action.EndTime) : null,
  };
}

export function scheduledActionsFromAws(stack: string, actions: readonly ScheduledAction[]): Record<string, Scheduled> {
  const result: Record<string, Scheduled> = {};
  for (const action of actions) {
    const logical = logicalOfItem(stack, action.ScheduledActionName);
    if (logical !== undefined) result[logical] = scheduledFromAws(action);
  }
  return result;
}

export function alarmFromAws(alarm: MetricAlarm, tags: Tags): ObservedAlarm {
  const evaluationPeriods = alarm.EvaluationPeriods ?? 1;
  return {
    name: alarm.AlarmName ?? "",
    arn: alarm.AlarmArn ?? "",
    metric: {
      namespace: alarm.Namespace ?? "",
      metricName: alarm.MetricName ?? "",
      dimensions: dimensionsFromAws(alarm.Dimensions),
      ...(alarm.Unit !== undefined && { unit: alarm.Unit }),
    },
    statistic: alarm.Statistic ?? "",
    comparison: alarm.ComparisonOperator ?? "",
    threshold: alarm.Threshold ?? 0,
    periodSeconds: alarm.Period ?? 0,
    evaluationPeriods,
    datapointsToAlarm: alarm.DatapointsToAlarm ?? evaluationPeriods,
    actions: [...(alarm.AlarmActions ?? [])].sort(),
    tags,
  };
}

// ---------------------------------------------------------------------------------------------------------
// The change update makes.

/** What a read of one configuration looks for: its service's resource id and logical name, and the spec's step alarms. */
export interface ScalingRef {
  resourceId: string;
  logical: string;
  /** The step alarms the spec names, looked for whether tagged or not, with the tags the spec gives them. */
  alarms: Record<string, Tags>;
}

export const refOf = (desired: ScalingDesired): ScalingRef => ({
  resourceId: desired.resourceId,
  logical: desired.logical,
  alarms: Object.fromEntries(Object.values(desired.stepScaling).map((p) => [p.alarm.name, p.alarm.tags])),
});

/**
 * A target-tracking policy to put. Its PutScalingPolicy input is built as it is sent (targetTrackingInput): while
 * planning, a request-count label may still be unknown; apply diffs again once it is known.
 */
export interface TargetTrackingPut {
  resourceId: string;
  policyName: string;
  policy: TargetTracking;
}

/** PutMetricAlarm's input but for the policy it drives, whose ARN is known once the policy is put. */
export type AlarmInput = Omit<PutMetricAlarmCommandInput, "AlarmActions" | "AlarmDescription">;

/**
 * A step policy of the spec and its alarm, written in this order because the alarm's action is the policy's ARN:
 * PutScalingPolicy's input when the policy is missing or changed, else the ARN it stays at. On AWS, PutScalingPolicy
 * keeps an existing policy's ARN; moto gives a re-put policy a new one.
 */
export type StepScalingWrite = ({ policy: PutScalingPolicyCommandInput } | { arn: string }) & {
  alarm: AlarmInput;
  /**
   * The alarm's actions, when it exists and is otherwise as the spec says: it is then put only if they are not the
   * policy's ARN once the policy is put. Absent: the alarm is missing or changed, and is put.
   */
  alarmActions?: string[];
  /** The existing alarm's tag writes: PutMetricAlarm ignores Tags on an update (per its reference). */
  alarmTags?: { arn: string; change: TagChange };
};

export interface ScalingChange {
  /** What update reads back once its writes are made. */
  ref: ScalingRef;
  /** When min, max or the suspended state differ; made before the rest, which needs the target. */
  register?: RegisterScalableTargetCommandInput;
  /** The target-tracking policies missing or changed. */
  putTargetTracking: TargetTrackingPut[];
  /** The step policies whose policy, alarm or alarm tags are missing or changed. */
  stepScaling: StepScalingWrite[];
  /** The stack's policies, of either type, that the spec no longer has. */
  deletePolicies: DeleteScalingPolicyCommandInput[];
  /**
   * The alarms of the step policies the spec no longer has, by name: deleted after the policies, so that no alarm
   * is left driving nothing while its policy remains.
   */
  deleteAlarms: string[];
  putScheduled: PutScheduledActionCommandInput[];
  deleteScheduled: DeleteScheduledActionCommandInput[];
}

// ---------------------------------------------------------------------------------------------------------
// Diff.

/** A field compared only when the spec sets it. */
const diffIfSet = (path: string, before: unknown, after: unknown): FieldDiff[] =>
  after === undefined ? [] : diffField(path, before, after);

function diffTarget(desired: ScalingDesired, observed: ObservedScaling): FieldDiff[] {
  const target = observed.target;
  const diffs = [
    ...diffField("minCapacity", target?.minCapacity, desired.minCapacity),
    ...diffField("maxCapacity", target?.maxCapacity, desired.maxCapacity),
  ];
  if (desired.suspend) {
    for (const key of ["dynamicScalingIn", "dynamicScalingOut", "scheduledScaling"] as const) {
      diffs.push(...diffField(`suspend.${key}`, target?.suspended[key] ?? false, desired.suspend[key]));
    }
  }
  return diffs;
}

/** What a plan shows for a whole policy or action being added or removed. */
const withoutArn = <T extends { arn?: string }>(value: T): Omit<T, "arn"> => {
  const { arn: _arn, ...rest } = value;
  return rest;
};

/** One policy or action: its lines, and whether the spec has it (to put) or only AWS does (to delete). */
interface ItemDiff {
  name: string;
  lines: FieldDiff[];
  inSpec: boolean;
}

/** Items keyed by logical name, in name order: added, removed, or compared field by field. */
function diffItems<D, O>(
  section: string,
  desired: Record<string, D>,
  observed: Record<string, O>,
  compare: (path: string, d: D, o: O) => FieldDiff[],
  show: (o: O) => unknown,
): ItemDiff[] {
  const names = [...new Set([...Object.keys(desired), ...Object.keys(observed)])].sort();
  return names.map((name) => {
    const path = `${section}.${name}`;
    const d = desired[name];
    const o = observed[name];
    const lines = d === undefined ? [{ path, before: show(o!) }] : o === undefined ? [{ path, after: d }] : compare(path, d, o);
    return { name, lines, inSpec: d !== undefined };
  });
}

const linesOf = (items: readonly ItemDiff[]): FieldDiff[] => items.flatMap((i) => i.lines);
const changedIn = (items: readonly ItemDiff[], inSpec: boolean): string[] =>
  items.filter((i) => i.inSpec === inSpec && i.lines.length > 0).map((i) => i.name);

function compareTargetTracking(path: string, d: TargetTracking, o: TargetTracking): FieldDiff[] {
  return [
    ...diffField(`${path}.metric`, o.metric, d.metric),
    ...diffField(`${path}.targetValue`, o.targetValue, d.targetValue),
    ...diffIfSet(`${path}.scaleInCooldownSeconds`, o.scaleInCooldownSeconds, d.scaleInCooldownSeconds),
    ...diffIfSet(`${path}.scaleOutCooldownSeconds`, o.scaleOutCooldownSeconds, d.scaleOutCooldownSeconds),
    ...diffIfSet(`${path}.disableScaleIn`, o.disableScaleIn ?? false, d.disableScaleIn),
  ];
}

function compareStepPolicy(path: string, d: StepPolicy, o: StepPolicy): FieldDiff[] {
  return [
    ...diffField(`${path}.adjustmentType`, o.adjustmentType, d.adjustmentType),
    ...diffField(`${path}.steps`, o.steps, d.steps),
    ...diffIfSet(`${path}.cooldownSeconds`, o.cooldownSeconds, d.cooldownSeconds),
    ...diffIfSet(`${path}.metricAggregationType`, o.metricAggregationType, d.metricAggregationType),
    ...diffIfSet(`${path}.minAdjustmentMagnitude`, o.minAdjustmentMagnitude, d.minAdjustmentMagnitude),
  ];
}

/** A step alarm's lines: of its fields (PutMetricAlarm), then of its tags (TagResource/UntagResource). */
interface AlarmDiff {
  fields: FieldDiff[];
  tags: FieldDiff[];
}

function compareAlarm(path: string, d: DesiredStepPolicy["alarm"], o: ObservedAlarm, policyArn: string): AlarmDiff {
  const metric = d.metric.unit === undefined ? withoutUnit(o.metric) : o.metric;
  return {
    fields: [
      ...diffField(`${path}.metric`, metric, d.metric),
      ...diffField(`${path}.statistic`, o.statistic, d.statistic),
      ...diffField(`${path}.comparison`, o.comparison, d.comparison),
      ...diffField(`${path}.threshold`, o.threshold, d.threshold),
      ...diffField(`${path}.periodSeconds`, o.periodSeconds, d.periodSeconds),
      ...diffField(`${path}.evaluationPeriods`, o.evaluationPeriods, d.evaluationPeriods),
      ...diffField(`${path}.datapointsToAlarm`, o.datapointsToAlarm, d.datapointsToAlarm),
      // The alarm drives its policy: once the policy exists, its ARN is the alarm's one action.
      ...diffField(`${path}.actions`, o.actions, [policyArn]),
    ],
    tags: diffTags(d.tags, o.tags).map((t) => ({ ...t, path: `${path}.${t.path}` })),
  };
}

const withoutUnit = (metric: AlarmMetric): AlarmMetric => {
  const { unit: _unit, ...rest } = metric;
  return rest;
};

const showAlarm = (alarm: ObservedAlarm) => {
  const { name: _n, arn: _a, tags: _t, ...rest } = alarm;
  return rest;
};

/** Alarms follow their policy, except where the policy exists and its alarm does not (or the reverse). */
function diffStepAlarm(name: string, desired: ScalingDesired, observed: ObservedScaling): AlarmDiff {
  const path = `stepScaling.${name}.alarm`;
  const d = desired.stepScaling[name];
  const o = observed.alarms[name];
  const policy = observed.stepScaling[name];
  const none: AlarmDiff = { fields: [], tags: [] };
  if (d === undefined) return o !== undefined && policy === undefined ? { fields: [{ path, before: showAlarm(o) }], tags: [] } : none;
  if (policy === undefined) return none;
  if (o === undefined) return { fields: [{ path, after: d.alarm }], tags: [] };
  return compareAlarm(path, d.alarm, o, policy.arn);
}

function diffStepScaling(desired: ScalingDesired, observed: ObservedScaling) {
  const policies = diffItems("stepScaling", desired.stepScaling, observed.stepScaling, compareStepPolicy, withoutArn);
  const alarmNames = [...new Set([...Object.keys(desired.stepScaling), ...Object.keys(observed.alarms)])].sort();
  const alarms = new Map(alarmNames.map((name) => [name, diffStepAlarm(name, desired, observed)]));
  const policyLines = new Map(policies.map((p) => [p.name, p.lines]));

  const writes = Object.entries(desired.stepScaling).flatMap(([name, step]): StepScalingWrite[] => {
    const lines = policyLines.get(name)!;
    const alarm = alarms.get(name)!;
    if (lines.length === 0 && alarm.fields.length === 0 && alarm.tags.length === 0) return [];
    const live = observed.alarms[name];
    return [
      {
        ...(lines.length > 0 ? { policy: stepPolicyInput(desired, name) } : { arn: observed.stepScaling[name]!.arn }),
        alarm: alarmInput(step.alarm),
        ...(live && alarm.fields.length === 0 && { alarmActions: live.actions }),
        ...(live && alarm.tags.length > 0 && { alarmTags: { arn: live.arn, change: tagChange(step.alarm.tags, live.tags) } }),
      },
    ];
  });
  const gone = (name: string) => desired.stepScaling[name] === undefined;
  return {
    lines: [...linesOf(policies), ...[...alarms.values()].flatMap((a) => [...a.fields, ...a.tags])],
    writes,
    deletePolicies: Object.keys(observed.stepScaling).filter(gone),
    deleteAlarms: Object.entries(observed.alarms)
      .filter(([name]) => gone(name))
      .map(([, alarm]) => alarm.name),
  };
}

function compareScheduled(path: string, d: Scheduled, o: Scheduled): FieldDiff[] {
  return (Object.keys(d) as Array<keyof Scheduled>).flatMap((key) => diffField(`${path}.${key}`, o[key], d[key]));
}

export function diffScaling(desired: ScalingDesired, observed: ObservedScaling): Diff<ScalingChange> {
  const replaced =
    desired.serviceArn instanceof KnownAfterApply && observed.target !== undefined
      ? [{ path: "service", before: observed.resourceId, after: UNKNOWN, forcesReplacement: true }]
      : [];
  const target = diffTarget(desired, observed);
  const tracking = diffItems("targetTracking", desired.targetTracking, observed.targetTracking, compareTargetTracking, withoutArn);
  const step = diffStepScaling(desired, observed);
  const scheduled = diffItems("scheduled", desired.scheduled, observed.scheduled, compareScheduled, (o) => o);
  const { resourceId, stack } = desired;
  return {
    lines: [...replaced, ...target, ...linesOf(tracking), ...step.lines, ...linesOf(scheduled)],
    change: {
      ref: refOf(desired),
      ...(target.length > 0 && { register: registerInput(desired) }),
      putTargetTracking: changedIn(tracking, true).map((name) => ({
        resourceId,
        policyName: itemName(stack, name),
        policy: desired.targetTracking[name]!,
      })),
      stepScaling: step.writes,
      deletePolicies: [...changedIn(tracking, false), ...step.deletePolicies].map((name) => policyRef(resourceId, stack, name)),
      deleteAlarms: step.deleteAlarms,
      putScheduled: changedIn(scheduled, true).map((name) => scheduledInput(desired, name)),
      deleteScheduled: changedIn(scheduled, false).map((name) => scheduledActionRef(resourceId, stack, name)),
    },
  };
}

/** The change that makes the whole configuration, as a diff against nothing gives it: create makes it with update's calls. */
export function creation(desired: ScalingDesired): ScalingChange {
  const nothing: ObservedScaling = {
    name: desired.resourceId,
    id: desired.resourceId,
    tags: {},
    resourceId: desired.resourceId,
    logical: desired.logical,
    targetTracking: {},
    stepScaling: {},
    scheduled: {},
    alarms: {},
  };
  return diffScaling(desired, nothing).change;
}

// ---------------------------------------------------------------------------------------------------------
// Requests.

/** Every call on a target names it by these and its resource id. */
export const ECS_DESIRED_COUNT = { ServiceNamespace: "ecs", ScalableDimension: "ecs:service:DesiredCount" } as const;

export const targetRef = (resourceId: string) => ({ ...ECS_DESIRED_COUNT, ResourceId: resourceId });

export const policyRef = (resourceId: string, stack: string, logical: string): DeleteScalingPolicyCommandInput => ({
  ...targetRef(resourceId),
  PolicyName: itemName(stack, logical),
});

export const scheduledActionRef = (resourceId: string, stack: string, logical: string): DeleteScheduledActionCommandInput => ({
  ...targetRef(resourceId),
  ScheduledActionName: itemName(stack, logical),
});

const dimensionsToAws = (dimensions: Record<string, string>) =>
  Object.entries(dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Name, Value]) => ({ Name, Value }));

export function targetTrackingToAws(policy: TargetTracking): TargetTrackingScalingPolicyConfiguration {
  const metric = policy.metric;
  return {
    TargetValue: policy.targetValue,
    ...("predefined" in metric
      ? {
          PredefinedMetricSpecification: {
            PredefinedMetricType: metric.predefined as "ECSServiceAverageCPUUtilization",
            ...(metric.resourceLabel !== undefined && { ResourceLabel: known(metric.resourceLabel, "the load balancer's resource label") }),
          },
        }
      : {
          CustomizedMetricSpecification: {
            Namespace: metric.custom.namespace,
            MetricName: metric.custom.metricName,
            Dimensions: dimensionsToAws(metric.custom.dimensions),
            Statistic: metric.custom.statistic as "Average",
            ...(metric.custom.unit !== undefined && { Unit: metric.custom.unit }),
          },
        }),
    ...(policy.scaleInCooldownSeconds !== undefined && { ScaleInCooldown: policy.scaleInCooldownSeconds }),
    ...(policy.scaleOutCooldownSeconds !== undefined && { ScaleOutCooldown: policy.scaleOutCooldownSeconds }),
    ...(policy.disableScaleIn !== undefined && { DisableScaleIn: policy.disableScaleIn }),
  };
}

export const targetTrackingInput = (put: TargetTrackingPut): PutScalingPolicyCommandInput => ({
  ...targetRef(put.resourceId),
  PolicyName: put.policyName,
  PolicyType: "TargetTrackingScaling",
  TargetTrackingScalingPolicyConfiguration: targetTrackingToAws(put.policy),
});

export function stepPolicyToAws(policy: StepPolicy): StepScalingPolicyConfiguration {
  return {
    AdjustmentType: policy.adjustmentType as "ChangeInCapacity",
    StepAdjustments: policy.steps.map((s) => ({
      ...(s.lowerBound !== undefined && { MetricIntervalLowerBound: s.lowerBound }),
      ...(s.upperBound !== undefined && { MetricIntervalUpperBound: s.upperBound }),
      ScalingAdjustment: s.adjustment,
    })),
    ...(policy.cooldownSeconds !== undefined && { Cooldown: policy.cooldownSeconds }),
    ...(policy.metricAggregationType !== undefined && { MetricAggregationType: policy.metricAggregationType as "Average" }),
    ...(policy.minAdjustmentMagnitude !== undefined && { MinAdjustmentMagnitude: policy.minAdjustmentMagnitude }),
  };
}

function stepPolicyInput(desired: ScalingDesired, name: string): PutScalingPolicyCommandInput {
  return {
    ...targetRef(desired.resourceId),
    PolicyName: itemName(desired.stack, name),
    PolicyType: "StepScaling",
    StepScalingPolicyConfiguration: stepPolicyToAws(desired.stepScaling[name]!),
  };
}

function suspendedToAws(suspended: Suspended) {
  return {
    DynamicScalingInSuspended: suspended.dynamicScalingIn,
    DynamicScalingOutSuspended: suspended.dynamicScalingOut,
    ScheduledScalingSuspended: suspended.scheduledScaling,
  };
}

/** No RoleARN: AWS uses (and creates) its service-linked role for ECS. */
const registerInput = (desired: ScalingDesired): RegisterScalableTargetCommandInput => ({
  ...targetRef(desired.resourceId),
  MinCapacity: desired.minCapacity,
  MaxCapacity: desired.maxCapacity,
  ...(desired.suspend && { SuspendedState: suspendedToAws(desired.suspend) }),
});

/** A step policy's alarm, with the stack's tags: PutMetricAlarm sets them when it creates the alarm. */
function alarmInput(alarm: DesiredStepPolicy["alarm"]): AlarmInput {
  return {
    AlarmName: alarm.name,
    Namespace: alarm.metric.namespace,
    MetricName: alarm.metric.metricName,
    Dimensions: dimensionsToAws(alarm.metric.dimensions),
    ...(alarm.metric.unit !== undefined && { Unit: alarm.metric.unit as "Percent" }),
    Statistic: alarm.statistic as "Average",
    ComparisonOperator: alarm.comparison as "GreaterThanThreshold",
    Threshold: alarm.threshold,
    Period: alarm.periodSeconds,
    EvaluationPeriods: alarm.evaluationPeriods,
    DatapointsToAlarm: alarm.datapointsToAlarm,
    Tags: toTagList(alarm.tags),
  };
}

/** PutMetricAlarm's input for a step alarm, the policy's ARN as its action. */
export const drivingPolicy = (alarm: AlarmInput, policyArn: string): PutMetricAlarmCommandInput => ({
  ...alarm,
  AlarmDescription: `Drives the step scaling policy ${policyArn}`,
  AlarmActions: [policyArn],
});

function scheduledToAws(action: Scheduled) {
  return {
    Schedule: action.schedule,
    ...(action.timezone !== null && { Timezone: action.timezone }),
    ...(action.startTime !== null && { StartTime: new Date(action.startTime) }),
    ...(action.endTime !== null && { EndTime: new Date(action.endTime) }),
    ScalableTargetAction: {
      ...(action.minCapacity !== null && { MinCapacity: action.minCapacity }),
      ...(action.maxCapacity !== null && { MaxCapacity: action.maxCapacity }),
    },
  };
}

const scheduledInput = (desired: ScalingDesired, name: string): PutScheduledActionCommandInput => ({
  ...scheduledActionRef(desired.resourceId, desired.stack, name),
  ...scheduledToAws(desired.scheduled[name]!),
});

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
