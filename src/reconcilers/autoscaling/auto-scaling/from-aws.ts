/** AWS's descriptions of a configuration (its target, policies, scheduled actions and step alarms), in model.ts's canonical form. */
import type {
  ScalableTarget,
  ScalingPolicy,
  ScheduledAction,
  StepScalingPolicyConfiguration,
  TargetTrackingScalingPolicyConfiguration,
} from "@aws-sdk/client-application-auto-scaling";
import type { MetricAlarm } from "@aws-sdk/client-cloudwatch";
import type { Tags } from "../../contract.js";
import {
  definedOnly,
  isoSecond,
  logicalOfItem,
  sortSteps,
  type ObservedAlarm,
  type ObservedScaling,
  type Scheduled,
  type StepPolicy,
  type Suspended,
  type TargetTracking,
  type TrackedMetric,
} from "./model.js";

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

export function stepPolicyFromAws(config: StepScalingPolicyConfiguration): StepPolicy {
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

/** A scheduled action as AWS describes it, or as PutScheduledAction sent it (the same fields). */
export function scheduledFromAws(
  action: Partial<Pick<ScheduledAction, "Schedule" | "Timezone" | "ScalableTargetAction" | "StartTime" | "EndTime">>,
): Scheduled {
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
