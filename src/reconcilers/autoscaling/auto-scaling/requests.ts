/** The request bodies of Application Auto Scaling and CloudWatch that update sends, built from the canonical form. */
import type {
  DeleteScalingPolicyCommandInput,
  DeleteScheduledActionCommandInput,
  PutScalingPolicyCommandInput,
  PutScheduledActionCommandInput,
  RegisterScalableTargetCommandInput,
  StepScalingPolicyConfiguration,
  TargetTrackingScalingPolicyConfiguration,
} from "@aws-sdk/client-application-auto-scaling";
import type { PutMetricAlarmCommandInput } from "@aws-sdk/client-cloudwatch";
import { known, toTagList } from "../../diff-helpers.js";
import type { AlarmInput, TargetTrackingPut } from "./change.js";
import {
  itemName,
  type DesiredStepPolicy,
  type Scheduled,
  type ScalingDesired,
  type StepPolicy,
  type Suspended,
  type TargetTracking,
} from "./model.js";

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

export function stepPolicyInput(desired: ScalingDesired, name: string): PutScalingPolicyCommandInput {
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
export const registerInput = (desired: ScalingDesired): RegisterScalableTargetCommandInput => ({
  ...targetRef(desired.resourceId),
  MinCapacity: desired.minCapacity,
  MaxCapacity: desired.maxCapacity,
  ...(desired.suspend && { SuspendedState: suspendedToAws(desired.suspend) }),
});

/** A step policy's alarm, with the stack's tags: PutMetricAlarm sets them when it creates the alarm. */
export function alarmInput(alarm: DesiredStepPolicy["alarm"]): AlarmInput {
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

export const scheduledInput = (desired: ScalingDesired, name: string): PutScheduledActionCommandInput => ({
  ...scheduledActionRef(desired.resourceId, desired.stack, name),
  ...scheduledToAws(desired.scheduled[name]!),
});
