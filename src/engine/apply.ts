import { runJobs, type Job, type JobOutcome } from "../graph/executor.js";
import type { ResourceChange, ResourceResult } from "../plan/model.js";
import type { Context, Observed } from "../reconcilers/shared/types.js";
import { describeFailure } from "./failure.js";
import { diffOf, updateWith } from "./kind-calls.js";
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
    if (change.action === "delete" || entry.retires) {
      await reconciler.delete(live!, ctx);
      return;
    }
    if (change.action === "read") return;
    if (change.action === "conflict") throw new ConflictError(`${change.name} ${change.reason ?? "is not this stack's"}`);
    const value = node!.build(lookup);
    let result: Observed | undefined;
    if (change.action === "create") {
      result = await reconciler.create(value, ctx);
    } else if (change.action === "replace" && reconciler.successor) {
      // The old one is deleted by the entry that retires it, once what refers to it has moved over.
      result = await reconciler.create(reconciler.successor(value, live!).desired, ctx);
    } else if (change.action === "replace") {
      await reconciler.delete(live!, ctx);
      result = await reconciler.create(value, ctx);
    } else {
      const { lines, change: typed } = diffOf(reconciler, value, live!);
      result = lines.length === 0 ? live : await updateWith(reconciler, typed, live!, ctx);
    }
    outputs.set(change.address, reconciler.outputs(result!));
  };

  const jobs: Job[] = planned.entries.map((entry) => ({
    id: entry.job,
    dependsOn: entry.after,
    run: async () => {
      if (!entry.retires) {
        started.set(entry.job, now());
        if (entry.change.action !== "noop" && entry.change.action !== "read") options.onStart?.(entry.change);
      }
      await carryOut(entry);
    },
  }));

  const results: ResourceResult[] = [];
  const reported = new Set<string>(); // jobs
  const report = (job: string, outcome: JobOutcome) => {
    const entry = byJob.get(job)!;
    const { change, reconciler } = entry;
    const halfOfReplacement = change.createBeforeDelete === true;
    // A create-before-delete replacement is one result, given when its old resource is gone (or could not go).
    if (halfOfReplacement && !entry.retires && outcome.status === "done") return;
    if (halfOfReplacement && entry.retires && reported.has(change.address)) return;
    reported.add(job);
    const begin = started.get(halfOfReplacement ? change.address : job);
    const finished = describeOutcome(entry, outcome, byJob);
    const shown =
      finished.outcome === "done" && change.action !== "delete"
        ? shownOutputs(reconciler.shownOutputs, outputs.get(change.address))
        : undefined;
    const result: ResourceResult = {
      address: change.address,
      action: change.action,
      ...finished,
      elapsedMs: begin === undefined ? 0 : now() - begin,
      ...(shown && { outputs: shown }),
    };
    results.push(result);
    options.onResult?.(result, change);
  };
  await runJobs(jobs, { parallelism: options.parallelism ?? 10, onFinish: report });
  return results;
}

function describeOutcome(
  entry: PlannedResource,
  outcome: JobOutcome,
  byJob: ReadonlyMap<string, PlannedResource>,
): Pick<ResourceResult, "outcome" | "error" | "skippedBecause"> {
  const old = entry.retires ? `the new one was created, but the old one (${entry.observed!.id}) ` : "";
  switch (outcome.status) {
    case "done":
      return { outcome: "done" };
    case "failed":
      return { outcome: "failed", error: `${old && `${old}could not be deleted: `}${describeFailure(outcome.error)}` };
    case "skipped": {
      const because = byJob.get(outcome.because)!.change.address;
      // The new resource exists and serves; the old one stays until a run where nothing blocks it.
      if (entry.retires) return { outcome: "failed", error: `${old}was kept because ${because} failed: the next run deletes it` };
      return { outcome: "skipped", skippedBecause: because };
    }
  }
}

function shownOutputs(names: readonly string[] | undefined, values: Record<string, string | string[]> | undefined) {
  if (!names || !values) return undefined;
  const shown = Object.fromEntries(names.flatMap((name) => (typeof values[name] === "string" ? [[name, values[name]]] : [])));
  return Object.keys(shown).length > 0 ? shown : undefined;
}
