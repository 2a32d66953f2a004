/**
 * How the stack's live resources are doing (`reconcile status`): data, read by the kinds that have something to
 * report, rendered by render-status.ts. Times are ISO-8601 strings, so that the data is its own JSON.
 */
import type { Action, PlanSummary } from "./model.js";

/** An ECS service: its counts, its deployments, and the newest of its events. */
export interface ServiceStatus {
  kind: "service";
  cluster: string;
  /** ACTIVE or DRAINING. */
  status: string;
  desired: number;
  running: number;
  pending: number;
  /** As ECS lists them: the PRIMARY (newest) first. */
  deployments: DeploymentStatus[];
  /** The newest first, at most SERVICE_EVENTS. */
  events: StatusEvent[];
}

/** How many of a service's events status shows. */
export const SERVICE_EVENTS = 5;

export interface DeploymentStatus {
  id: string;
  /** PRIMARY, ACTIVE (an older one still running) or INACTIVE. */
  status: string;
  /** IN_PROGRESS, COMPLETED or FAILED; absent on services older than rollout states. */
  rolloutState?: string;
  rolloutStateReason?: string;
  /** `family:revision`. */
  taskDefinition: string;
  desired: number;
  running: number;
  pending: number;
  failed: number;
  updatedAt?: string;
}

export interface StatusEvent {
  at?: string;
  message: string;
}

/** A target group: the health of each registered target (DescribeTargetHealth). */
export interface TargetGroupStatus {
  kind: "targetGroup";
  targets: TargetHealth[];
}

export interface TargetHealth {
  /** An IP address, instance id or ARN. */
  id: string;
  port?: number;
  availabilityZone?: string;
  /** initial, healthy, unhealthy, unused, draining, unavailable. */
  state: string;
  /** AWS's reason code (Target.FailedHealthChecks) when not healthy. */
  reason?: string;
  description?: string;
}

export interface LoadBalancerStatus {
  kind: "loadBalancer";
  dnsName: string;
  /** provisioning, active, active_impaired, failed. */
  state: string;
  scheme: string;
}

/** A service's Application Auto Scaling: its bounds, its newest scaling activities, and the alarms that drive its policies. */
export interface AutoScalingStatus {
  kind: "autoScaling";
  /** Absent when the scalable target is gone (only alarms of the stack left). */
  minCapacity?: number;
  maxCapacity?: number;
  /** The newest first, at most SCALING_ACTIVITIES. */
  activities: ScalingActivity[];
  /** Of every policy on the target, by policy then alarm name. */
  alarms: AlarmStatus[];
}

/** How many scaling activities status shows. */
export const SCALING_ACTIVITIES = 5;

export interface ScalingActivity {
  at?: string;
  /** Pending, InProgress, Successful, Overridden, Unfulfilled, Failed. */
  status: string;
  description: string;
  cause?: string;
  /** Why it did not succeed, when it did not. */
  message?: string;
}

export interface AlarmStatus {
  name: string;
  /** The scaling policy the alarm acts on. */
  policy: string;
  /** OK, ALARM or INSUFFICIENT_DATA; absent when DescribeAlarms no longer finds it. */
  state?: string;
  reason?: string;
  since?: string;
}

/** What a kind reports about one of its live resources. */
export type ResourceStatus = ServiceStatus | TargetGroupStatus | LoadBalancerStatus | AutoScalingStatus;

/** A live resource of the spec, with what its kind reports. */
export interface ResourceStatusEntry {
  address: string;
  /** The spec's kind: `services`, `targetGroups`, … */
  kind: string;
  name: string;
  /** AWS's id or ARN. */
  id: string;
  status: ResourceStatus;
}

/** Who holds the stack's lease: a run that is changing it, or was until it stopped renewing. */
export interface LockStatus {
  holder: { host: string; pid: number; startedAt: string; command: string };
  expiresAt: string;
  /** The holder stopped renewing it (killed): the next run takes it over. */
  expired: boolean;
}

export interface StackStatus {
  stack: string;
  region: string;
  /** When the reads began. */
  checkedAt: string;
  /** Whether the live resources match the spec: the summary of the plan `apply` would carry out. */
  drift: {
    inSync: boolean;
    summary: PlanSummary;
    /** Every resource the plan would touch (not `noop` or `read`), in the plan's order. */
    changes: Array<{ address: string; action: Action; reason?: string }>;
  };
  /** The stack's lease: undefined when nobody holds it. */
  lock?: LockStatus;
  /** In the plan's order: the spec's resources that exist, of the kinds that report a status. */
  resources: ResourceStatusEntry[];
  /** What could not be read (a kind's reads, or the lease), with AWS's message: the rest is still reported. */
  unavailable: Array<{ what: string; error: string }>;
}
