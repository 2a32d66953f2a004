import { runJobs, type Job, type JobOutcome } from "../graph/executor.js";
import type { ResourceChange, ResourceResult } from "../plan/model.js";
import type { Context, Observed } from "../reconcilers/types.js";
import { describeFailure } from "./failure.js";
import { outputsFrom, type EnginePlan, type PlannedResource } from "./planner.js";

export interface ApplyOptions {
  /** At most this many resources change at once (default 10). */
  parallelism?: number;
  /** Milliseconds, for elapsed times; injectable so that tests need no clock. */
  now?: () => number;
  onStart?(change: ResourceChange): void;
  onResult?(result: ResourceResult, change: ResourceChange): void;
}

/** A resource another stack or no stack owns: apply refuses to touch it, and what depends on it is skipped. */
export class ConflictError extends Error {
  override name = "ConflictError";
}

/**
 * Carries out a plan over its graph. Each node is rebuilt from the outputs its dependencies have now (ids of
 * what this run created) and diffed again before any call, so a node planned as "no change" makes none.
 */
export async function applyPlan(planned: EnginePlan, ctx: Context, options: ApplyOptions = {}): Promise<ResourceResult[]> {
  const now = options.now ?? (() => performance.now());
  const outputs = new Map(planned.outputs);
  const lookup = outputsFrom(outputs);
  const started = new Map<string, number>();
  const byJob = new Map(planned.entries.map((e) => [e.job, e]));

  const carryOut = async (entry: PlannedResource): Promise<void> => {
    const { reconciler, node, change } = entry;
    const live = entry.observed;
    if (change.action === "delete") {
      await reconciler.delete(live!, ctx);
      return;
    }
    if (change.action === "read") return;
    if (change.action === "conflict") throw new ConflictError(`${change.name} ${change.reason ?? "is not this stack's"}`);
    const value = node!.build(lookup);
    let result: Observed | undefined;
    if (change.action === "create") {
      result = await reconciler.create(value, ctx);
    } else if (change.action === "replace") {
      await reconciler.delete(live!, ctx);
      result = await reconciler.create(value, ctx);
    } else {
      const diffs = reconciler.diff(value, live!);
      result = diffs.length === 0 ? live : await reconciler.update(value, live!, diffs, ctx);
    }
    outputs.set(change.address, reconciler.outputs(result!));
  };

  const jobs: Job[] = planned.entries.map((entry) => ({
    id: entry.job,
    dependsOn: entry.after,
    run: async () => {
      started.set(entry.job, now());
      if (entry.change.action !== "noop" && entry.change.action !== "read") options.onStart?.(entry.change);
      await carryOut(entry);
    },
  }));

  const results: ResourceResult[] = [];
  const report = (job: string, outcome: JobOutcome) => {
    const entry = byJob.get(job)!;
    const begin = started.get(job);
    const result: ResourceResult = {
      address: entry.change.address,
      action: entry.change.action,
      outcome: outcome.status,
      elapsedMs: begin === undefined ? 0 : now() - begin,
      ...(outcome.status === "failed" && { error: describeFailure(outcome.error) }),
      ...(outcome.status === "skipped" && { skippedBecause: byJob.get(outcome.because)!.change.address }),
    };
    results.push(result);
    options.onResult?.(result, entry.change);
  };
  await runJobs(jobs, { parallelism: options.parallelism ?? 10, onFinish: report });
  return results;
}
