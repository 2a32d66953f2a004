import { acquireLease, currentHolder, LockHeldError, type LeaseInfo } from "../aws/lease.js";
import { runnable, type Plan, type ResourceChange, type ResourceResult } from "../plan/model.js";
import type { Context } from "../reconcilers/contract.js";
import type { Spec } from "../schema/spec.js";
import { applyPlan } from "./apply.js";
import { planStack, type PlanOptions } from "./planner.js";

export type RunMode = "apply" | "delete";

export interface RunRequest {
  mode: RunMode;
  spec: Spec;
  ctx: Context;
  /** Names the lease's holder (`apply`, `run`, …). */
  command: string;
  lease?: {
    /** How long to wait for another holder (default 0: fail at once). */
    waitMs?: number;
    /** The lease's duration; it is renewed every third of it while the run lasts. */
    ttlMs?: number;
    onWait?(holder: LeaseInfo): void;
  };
  plan?: PlanOptions;
  /** Once aborted, nothing new starts: calls in flight finish, the rest are reported not started. */
  signal?: AbortSignal;
  parallelism?: number;
  /** Told the plan before anything changes; answering false ends the run with nothing changed. */
  confirm?(plan: Plan): Promise<boolean>;
  onPlan?(plan: Plan): void;
  onResult?(result: ResourceResult, change: ResourceChange): void;
}

export type RunOutcome =
  /** Another run holds the stack's lease: nothing was read or changed. */
  | { status: "lock-held"; lease: LeaseInfo }
  /** The plan was shown and not confirmed: nothing was changed. */
  | { status: "declined"; plan: Plan }
  | {
      status: "done";
      plan: Plan;
      results: ResourceResult[];
      /** The lease could not be renewed: the run stopped starting changes, as if interrupted. */
      leaseLost: boolean;
    };

/**
 * One apply or delete of a stack under its lease: the lease is taken before the plan is made, so that no other run
 * changes the stack between what this run reads and what it writes, and released however the run ends.
 */
export async function runStack(request: RunRequest): Promise<RunOutcome> {
  const { spec, ctx } = request;
  let lease;
  try {
    lease = await acquireLease(ctx.clients, spec.stack, currentHolder(request.command), {
      ...request.lease,
      ...(request.signal && { signal: request.signal }),
    });
  } catch (error) {
    if (error instanceof LockHeldError) return { status: "lock-held", lease: error.lease };
    throw error;
  }
  try {
    const planned = await planStack(spec, ctx, request.mode, undefined, request.plan);
    request.onPlan?.(planned.plan);
    if (runnable(planned.plan) && request.confirm && !(await request.confirm(planned.plan))) {
      return { status: "declined", plan: planned.plan };
    }
    const signal = request.signal ? AbortSignal.any([request.signal, lease.lost]) : lease.lost;
    // A stopped run also stops following the deployments it started: the next run sees how they went.
    const stoppable = ctx.wait ? { ...ctx, wait: { ...ctx.wait, signal } } : ctx;
    const results = await applyPlan(planned, stoppable, {
      ...(request.parallelism !== undefined && { parallelism: request.parallelism }),
      signal,
      ...(request.onResult && { onResult: request.onResult }),
    });
    return { status: "done", plan: planned.plan, results, leaseLost: lease.lost.aborted };
  } finally {
    await lease.release();
  }
}
