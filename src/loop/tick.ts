import { createHash } from "node:crypto";
import { describeFailure } from "../engine/failure.js";
import { openStack, PlanError, runStack, type StackConnection } from "../engine/index.js";
import type { ResourceResult } from "../plan/model.js";
import type { Spec } from "../schema/index.js";
import type { LoopEvent, TickFailure, TickOutcome, TickResult } from "./events.js";

export interface TickOptions {
  /** Reads the spec afresh each tick, so that an edited spec takes effect; throws with the diagnostics when invalid. */
  load(): Promise<Spec>;
  connection: StackConnection;
  /** Names the lease's holder. */
  command: string;
  lease: { waitMs: number; ttlMs: number };
  /** Follow changed services until they are stable, within this time (absent: do not wait). */
  waitTimeoutMs?: number;
  parallelism?: number;
  retryFailed?: boolean;
  emit(event: LoopEvent): void;
  /** Where waits report news; absent: not reported. */
  progress?(resource: string, message: string): void;
}

const changed = (r: ResourceResult) => r.outcome === "done" && r.action !== "noop" && r.action !== "read";

/**
 * One tick of the loop: an apply of the spec under the stack's lease, told as events. A change made while the spec
 * is what it was on the previous tick is drift corrected: something outside the spec changed the resource.
 */
export function createTick(options: TickOptions): (signal: AbortSignal) => Promise<TickOutcome> {
  let previousSpec: string | undefined;
  return async (signal) => {
    const started = performance.now();
    const failures: TickFailure[] = [];
    const outcome = (result: TickResult, counts: Partial<Pick<TickOutcome, "changes" | "driftCorrected" | "awsCalls">> = {}) => ({
      result,
      changes: counts.changes ?? 0,
      driftCorrected: counts.driftCorrected ?? 0,
      failures,
      durationMs: performance.now() - started,
      awsCalls: counts.awsCalls ?? [],
    });
    const fail = (failure: TickFailure) => {
      failures.push(failure);
      options.emit({ event: "failure", ...failure });
    };

    let spec: Spec;
    try {
      spec = await options.load();
    } catch (error) {
      fail({ error: describeFailure(error) });
      return outcome("failed");
    }
    const fingerprint = createHash("sha256").update(JSON.stringify(spec)).digest("hex");
    const sameSpec = fingerprint === previousSpec;

    const session = openStack(spec, options.connection);
    let changes = 0;
    let driftCorrected = 0;
    try {
      const run = await runStack({
        mode: "apply",
        spec,
        ctx: {
          ...session.ctx,
          ...(options.waitTimeoutMs !== undefined && { wait: { timeoutMs: options.waitTimeoutMs } }),
          ...(options.progress && { progress: options.progress }),
        },
        command: options.command,
        lease: options.lease,
        plan: { retryFailed: options.retryFailed === true },
        signal,
        ...(options.parallelism !== undefined && { parallelism: options.parallelism }),
        onPlan: (plan) => options.emit({ event: "plan", summary: plan.summary }),
        onResult: (result) => {
          if (changed(result)) {
            changes++;
            options.emit({ event: "change-applied", address: result.address, action: result.action, elapsedMs: result.elapsedMs });
            if (sameSpec) {
              driftCorrected++;
              options.emit({ event: "drift-corrected", address: result.address, action: result.action });
            }
          } else if (result.outcome === "failed" || result.outcome === "skipped") {
            fail({ address: result.address, error: result.error ?? `skipped: ${result.skippedBecause} failed` });
          }
        },
      });
      const counts = { changes, driftCorrected, awsCalls: session.stats.snapshot().byAction };
      if (run.status === "lock-held") {
        const { holder, expiresAt } = run.lease;
        options.emit({ event: "lock-held", holder, expiresAt });
        return outcome("lock-held", counts);
      }
      previousSpec = fingerprint;
      if (run.status === "declined") return outcome("unchanged", counts);
      if (run.leaseLost) fail({ error: `the lease on stack ${spec.stack} could not be renewed: the tick stopped starting changes` });
      if (signal.aborted) return outcome("cancelled", counts);
      return outcome(failures.length > 0 ? "failed" : changes > 0 ? "changed" : "unchanged", counts);
    } catch (error) {
      fail({ error: error instanceof PlanError ? `cannot plan stack ${spec.stack}: ${error.message}` : describeFailure(error) });
      return outcome("failed", { changes, driftCorrected, awsCalls: session.stats.snapshot().byAction });
    } finally {
      session.close();
    }
  };
}
