/** What `reconcile status` shows of a target group: the health of each target, from DescribeTargetHealth. */
import type { TargetHealthDescription } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { TargetGroupStatus, TargetHealth } from "../../../plan/status.js";

export function targetGroupStatusOf(descriptions: readonly TargetHealthDescription[]): TargetGroupStatus {
  return { kind: "targetGroup", targets: descriptions.map(targetHealthOf) };
}

function targetHealthOf({ Target, TargetHealth: health }: TargetHealthDescription): TargetHealth {
  return {
    id: Target?.Id ?? "",
    ...(Target?.Port !== undefined && { port: Target.Port }),
    ...(Target?.AvailabilityZone !== undefined && { availabilityZone: Target.AvailabilityZone }),
    state: health?.State ?? "unknown",
    ...(health?.Reason !== undefined && { reason: health.Reason }),
    ...(health?.Description !== undefined && { description: health.Description }),
  };
}
