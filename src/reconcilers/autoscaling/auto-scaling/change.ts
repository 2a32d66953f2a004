/** The change update makes to a configuration, and the diff of the desired value against AWS's that gives its plan lines and that change. */
import type {
  DeleteScalingPolicyCommandInput,
  DeleteScheduledActionCommandInput,
  PutScalingPolicyCommandInput,
  PutScheduledActionCommandInput,
  RegisterScalableTargetCommandInput,
} from "@aws-sdk/client-application-auto-scaling";
import type { MetricAlarm, PutMetricAlarmCommandInput } from "@aws-sdk/client-cloudwatch";
import { KnownAfterApply, UNKNOWN, type FieldDiff } from "../../../plan/model.js";
import { diffField, diffTags, sortedSet, tagChange, type TagChange } from "../../diff-helpers.js";
import type { Diff, Tags } from "../../contract.js";
import { alarmFromAws, scheduledFromAws, stepPolicyFromAws, suspendedFromAws, targetTrackingFromAws } from "./from-aws.js";
import {
  alarmName,
  itemName,
  logicalOfItem,
  scalingTags,
  type AlarmMetric,
  type DesiredStepPolicy,
  type ObservedAlarm,
  type ObservedScaling,
  type Scheduled,
  type ScalingDesired,
  type StepPolicy,
  type TargetTracking,
} from "./model.js";
import {
  alarmInput,
  policyRef,
  registerInput,
  scheduledActionRef,
  scheduledInput,
  stepPolicyInput,
  targetTrackingToAws,
} from "./requests.js";

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
  /** The configuration's resource id, its service's logical name and the tags of its step alarms. */
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
  const names = sortedSet([...Object.keys(desired), ...Object.keys(observed)]);
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
  const alarmNames = sortedSet([...Object.keys(desired.stepScaling), ...Object.keys(observed.alarms)]);
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

/** No configuration of the desired one's service: what create's change is made against. */
export const nothingOf = (desired: ScalingDesired): ObservedScaling => ({
  name: desired.resourceId,
  id: desired.resourceId,
  tags: {},
  resourceId: desired.resourceId,
  logical: desired.logical,
  targetTracking: {},
  stepScaling: {},
  scheduled: {},
  alarms: {},
});

/** The change that makes the whole configuration, as a diff against nothing gives it: create makes it with update's calls. */
export const creation = (desired: ScalingDesired): ScalingChange => diffScaling(desired, nothingOf(desired)).change;

/** What the writes of a change answered: each policy put, its ARN by its name; the step alarms put, as CloudWatch has them. */
export interface Written {
  policyArns: ReadonlyMap<string, string>;
  alarms: ReadonlyMap<string, MetricAlarm>;
}

const without = <T>(items: Record<string, T>, gone: ReadonlySet<string>): Record<string, T> =>
  Object.fromEntries(Object.entries(items).filter(([name]) => !gone.has(name)));

/**
 * The configuration once the change is made, from what was sent and answered, in the form a read gives (each item
 * through the same conversion as AWS's description of it): no read after the writes.
 */
export function afterChange(stack: string, observed: ObservedScaling, change: ScalingChange, written: Written): ObservedScaling {
  const { resourceId, logical } = change.ref;
  const logicalOf = (name: string | undefined) => logicalOfItem(stack, name) ?? "";
  const deletedPolicies = new Set(change.deletePolicies.map((p) => logicalOf(p.PolicyName)));
  const arnOf = (name: string | undefined) => written.policyArns.get(name ?? "") ?? "";
  const targetTracking = without(observed.targetTracking, deletedPolicies);
  for (const put of change.putTargetTracking) {
    targetTracking[logicalOf(put.policyName)] = { ...targetTrackingFromAws(targetTrackingToAws(put.policy)), arn: arnOf(put.policyName) };
  }
  const stepScaling = without(observed.stepScaling, deletedPolicies);
  const gone = new Set(change.deleteAlarms);
  const alarms = Object.fromEntries(Object.entries(observed.alarms).filter(([, alarm]) => !gone.has(alarm.name)));
  const alarmPrefix = alarmName(stack, logical, "");
  for (const write of change.stepScaling) {
    if ("policy" in write) {
      const { PolicyName, StepScalingPolicyConfiguration } = write.policy;
      stepScaling[logicalOf(PolicyName)] = { ...stepPolicyFromAws(StepScalingPolicyConfiguration ?? {}), arn: arnOf(PolicyName) };
    }
    const name = write.alarm.AlarmName ?? "";
    const alarm = written.alarms.get(name);
    if (alarm) alarms[name.slice(alarmPrefix.length)] = alarmFromAws(alarm, change.ref.alarms[name] ?? {});
  }
  const scheduled = without(observed.scheduled, new Set(change.deleteScheduled.map((a) => logicalOf(a.ScheduledActionName))));
  for (const put of change.putScheduled) scheduled[logicalOf(put.ScheduledActionName)] = scheduledFromAws(put);
  const register = change.register;
  const target = register
    ? {
        minCapacity: register.MinCapacity ?? 0,
        maxCapacity: register.MaxCapacity ?? 0,
        // Left out of the call, the suspended state stays as it was.
        suspended: register.SuspendedState
          ? suspendedFromAws(register.SuspendedState)
          : (observed.target?.suspended ?? suspendedFromAws(undefined)),
      }
    : observed.target;
  return {
    name: resourceId,
    id: target ? resourceId : observed.id,
    tags: scalingTags(stack, logical),
    resourceId,
    logical,
    ...(target && { target }),
    targetTracking,
    stepScaling,
    scheduled,
    alarms,
  };
}
