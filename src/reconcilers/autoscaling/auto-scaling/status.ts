/**
 * What `reconcile status` shows of a service's auto scaling: its bounds, its newest scaling activities, and the
 * state of the alarms that drive its policies: those AWS made for target tracking (listed on the policy) and the
 * step policies' own.
 */
import type { ScalingActivity as AwsScalingActivity, ScalingPolicy } from "@aws-sdk/client-application-auto-scaling";
import type { MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { SCALING_ACTIVITIES, type AlarmStatus, type AutoScalingStatus, type ScalingActivity } from "../../../plan/status.js";
import { itemName, type ObservedScaling } from "./model.js";

/** An alarm and the policy it acts on, before its state is read. */
export interface PolicyAlarm {
  name: string;
  policy: string;
}

/** Every alarm of the target's policies, by policy then alarm name: those the policies list, then the step alarms they leave out. */
export function policyAlarms(stack: string, observed: ObservedScaling, policies: readonly ScalingPolicy[]): PolicyAlarm[] {
  const listed = policies.flatMap((p) => (p.Alarms ?? []).map((a) => ({ name: a.AlarmName ?? "", policy: p.PolicyName ?? "" })));
  const named = new Set(listed.map((a) => a.name));
  const steps = Object.entries(observed.alarms)
    .filter(([, alarm]) => !named.has(alarm.name))
    .map(([policy, alarm]) => ({ name: alarm.name, policy: itemName(stack, policy) }));
  return [...listed, ...steps].sort((a, b) => a.policy.localeCompare(b.policy) || a.name.localeCompare(b.name));
}

export function scalingStatusOf(
  observed: ObservedScaling,
  alarms: readonly PolicyAlarm[],
  states: ReadonlyMap<string, MetricAlarm>,
  activities: readonly AwsScalingActivity[],
): AutoScalingStatus {
  return {
    kind: "autoScaling",
    ...(observed.target && { minCapacity: observed.target.minCapacity, maxCapacity: observed.target.maxCapacity }),
    activities: newestActivities(activities),
    alarms: alarms.map(({ name, policy }) => alarmStatusOf(name, policy, states.get(name))),
  };
}

function alarmStatusOf(name: string, policy: string, alarm: MetricAlarm | undefined): AlarmStatus {
  return {
    name,
    policy,
    ...(alarm?.StateValue !== undefined && { state: alarm.StateValue }),
    ...(alarm?.StateReason !== undefined && { reason: alarm.StateReason }),
    ...(alarm?.StateUpdatedTimestamp && { since: alarm.StateUpdatedTimestamp.toISOString() }),
  };
}

/** The newest SCALING_ACTIVITIES, newest first (sorted here: the API reference promises no order). */
function newestActivities(activities: readonly AwsScalingActivity[]): ScalingActivity[] {
  const time = (a: AwsScalingActivity) => a.StartTime?.getTime() ?? 0;
  return [...activities]
    .sort((a, b) => time(b) - time(a))
    .slice(0, SCALING_ACTIVITIES)
    .map((a) => ({
      ...(a.StartTime && { at: a.StartTime.toISOString() }),
      status: a.StatusCode ?? "",
      description: a.Description ?? "",
      ...(a.Cause !== undefined && { cause: a.Cause }),
      ...(a.StatusMessage !== undefined && { message: a.StatusMessage }),
    }));
}
