import { CallStats, createClients, type AwsCredentials, type RetryPolicy } from "../aws/index.js";
import type { Context } from "../reconcilers/contract.js";
import type { Spec } from "../schema/spec.js";

export { planStack, PlanError, type EnginePlan, type PlannedResource } from "./planner.js";
export { applyPlan, ConflictError, type ApplyOptions } from "./apply.js";
export { stackStatus } from "./status.js";

export interface StackConnection {
  /** AWS profile; without it the SDK's default chain applies. */
  profile?: string;
  /** One endpoint for every AWS service, such as a local moto server. */
  endpoint?: string;
  credentials?: AwsCredentials;
  retry?: RetryPolicy;
}

export interface StackSession {
  ctx: Context;
  /** Every AWS call of this session, by service and action. */
  stats: CallStats;
  close(): void;
}

/** The clients, retry policy and call counter for one run against one stack. */
export function openStack(spec: Spec, connection: StackConnection = {}): StackSession {
  const stats = new CallStats();
  const clients = createClients({ region: spec.region, ...connection, stats });
  return { ctx: { stack: spec.stack, region: spec.region, clients }, stats, close: () => clients.destroy() };
}
export { runStack, type RunMode, type RunOutcome, type RunRequest } from "./run.js";
