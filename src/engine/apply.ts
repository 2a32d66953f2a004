import { runJobs, type Job, type JobOutcome } from "../graph/executor.js";
import type { FieldDiff, ResourceChange, ResourceResult } from "../plan/model.js";
import { redact, sensitiveValuesOf } from "../plan/redact.js";
import type { Context, Kind, Observed } from "../reconcilers/contract.js";
import { describeFailure } from "./failure.js";
import { outputsFrom } from "./outputs.js";
import type { EnginePlan, PlannedResource } from "./planner.js";

export interface ApplyOptions {
  /** At most this many resources change at once (default 10). */
  parallelism?: number;
  /**
   * At most this many resources of a kind change at once, beside `parallelism`. By default the kinds whose changes
   * wait for AWS to settle (ECS services, Cloud Map) take at most half the slots, so they never hold them all.
   */
  kindLimits?: Partial<Record<Kind, number>>;
  /** Once aborted, nothing new starts: changes under way finish, the rest are reported not started. */
  signal?: AbortSignal;
  /** Milliseconds, for elapsed times; injectable so that tests need no clock. */
  now?: () => number;
  onStart?(change: ResourceChange): void;
  onResult?(result: ResourceResult, change: ResourceChange): void;
}

/** A resource another stack or no stack owns: apply refuses to touch it, and what depends on it is skipped. */
export class ConflictError extends Error {
  override name = "ConflictError";
}

const SLOW_KINDS: readonly Kind[] = ["services", "namespaces", "discoveryServices"];

function defaultKindLimits(parallelism: number): Partial<Record<Kind, number>> {
  const half = Math.max(1, Math.floor(parallelism / 2));
  return Object.fromEntries(SLOW_KINDS.map((kind) => [kind, half]));
}

/**
 * Carries out a plan over its graph. Each node is rebuilt from the outputs its dependencies have now (ids of
 * what this run created) and diffed again before any call, so a node planned as "no change" makes none.
 */
export async function applyPlan(planned: EnginePlan, ctx: Context, options: ApplyOptions = {}): Promise<ResourceResult[]> {
  const now = options.now ?? (() => performance.now());
  const parallelism = options.parallelism ?? 10;
  const outputs = new Map(planned.outputs);
  const lookup = outputsFrom(outputs);
  const byJob = new Map(planned.entries.map((e) => [e.job, e]));
  const jobsOfRow = new Map<ResourceChange, PlannedResource[]>();
  for (const e of planned.entries) jobsOfRow.set(e.change, [...(jobsOfRow.get(e.change) ?? []), e]);
  // Any failure's message may echo what a call sent or found (AWS quotes the request): these are cut out of every one.
  const sensitive = new Set(planned.plan.resources.flatMap((r) => sensitiveValuesOf(r.diffs)));

  const carryOut = async (entry: PlannedResource): Promise<void> => {
    const { reconciler, node, change } = entry;
    const live = entry.observed;
    if (change.action === "delete" || entry.half === "delete") return reconciler.delete(live!, ctx);
    // A held change makes no call; its row is reported failed (describeOutcome), and what depends on it goes ahead.
    if (change.action === "read" || change.action === "held") return;
    if (change.action === "conflict") throw new ConflictError(`${change.name} ${change.reason ?? "is not this stack's"}`);
    const value = node!.build(lookup);
    for (const secret of reconciler.sensitiveValues?.(value) ?? []) sensitive.add(secret);
    let result: Observed | undefined;
    if (change.action === "create") {
      result = await reconciler.create(value, ctx);
    } else if (entry.half === "create") {
      result = await reconciler.create(reconciler.successor ? reconciler.successor(value, live!).desired : value, ctx);
    } else {
      const { lines, change: typed } = reconciler.diff(value, live!);
      refuseReplacement(change, lines);
      result = lines.length === 0 ? live : await reconciler.update(typed, live!, ctx);
    }
    outputs.set(change.address, reconciler.outputs(result!));
  };

  const started = new Map<ResourceChange, number>();
  const jobs: Job[] = planned.entries.map((entry) => ({
    id: entry.job,
    dependsOn: entry.after,
    group: entry.change.kind,
    run: async () => {
      if (!started.has(entry.change)) {
        started.set(entry.change, now());
        const { action } = entry.change;
        if (action !== "noop" && action !== "read" && action !== "held") options.onStart?.(entry.change);
      }
      await carryOut(entry);
    },
  }));

  const results: ResourceResult[] = [];
  const reported = new Set<ResourceChange>();
  const finished = new Set<string>();
  // One result per plan row: a replacement's is given when its second job is done, or when either fails.
  const report = (job: string, outcome: JobOutcome) => {
    const entry = byJob.get(job)!;
    const { change, reconciler } = entry;
    if (reported.has(change)) return;
    finished.add(job);
    const restToCome = outcome.status === "done" && !jobsOfRow.get(change)!.every((e) => finished.has(e.job));
    if (restToCome) return;
    reported.add(change);
    const ended = describeOutcome(entry, outcome, byJob);
    if (ended.error !== undefined) ended.error = redact(ended.error, sensitive);
    const shown =
      ended.outcome === "done" && change.action !== "delete"
        ? shownOutputs(reconciler.shownOutputs, outputs.get(change.address))
        : undefined;
    const begin = started.get(change);
    const result: ResourceResult = {
      address: change.address,
      action: change.action,
      ...ended,
      elapsedMs: begin === undefined ? 0 : now() - begin,
      ...(shown && { outputs: shown }),
    };
    results.push(result);
    options.onResult?.(result, change);
  };
  await runJobs(jobs, {
    parallelism,
    groupLimits: { ...defaultKindLimits(parallelism), ...options.kindLimits } as Record<string, number>,
    ...(options.signal && { signal: options.signal }),
    onFinish: report,
  });
  return results;
}

/**
 * What became known during the run (a dependency's new id) can make a change planned in place need a replacement:
 * the plan is out of step with the resource, so it is refused before any call, for the next plan to see.
 */
function refuseReplacement(change: ResourceChange, lines: readonly FieldDiff[]): void {
  const forcing = lines.filter((d) => d.forcesReplacement).map((d) => d.path);
  if (forcing.length > 0) throw new Error(`${change.name}: AWS cannot change ${forcing.join(", ")} in place; plan again to replace it`);
}

/** The old half of a create-then-delete replacement: the new resource exists and serves already. */
const oldHalf = (entry: PlannedResource) => entry.half === "delete" && entry.change.createBeforeDelete === true;

function describeOutcome(
  entry: PlannedResource,
  outcome: JobOutcome,
  byJob: ReadonlyMap<string, PlannedResource>,
): Pick<ResourceResult, "outcome" | "error" | "skippedBecause"> {
  const old = oldHalf(entry) ? `the new one was created, but the old one (${entry.observed!.id}) ` : "";
  switch (outcome.status) {
    case "done":
      if (entry.change.action === "held") return { outcome: "failed", error: entry.change.reason ?? "it failed before" };
      return { outcome: "done" };
    case "failed":
      return { outcome: "failed", error: `${old && `${old}could not be deleted: `}${describeFailure(outcome.error)}` };
    case "cancelled":
      return { outcome: "cancelled" };
    case "skipped": {
      const because = byJob.get(outcome.because)!.change.address;
      // The old one stays until a run where nothing blocks it.
      if (old) return { outcome: "failed", error: `${old}was kept because ${because} failed: the next run deletes it` };
      return { outcome: "skipped", skippedBecause: because };
    }
  }
}

function shownOutputs(names: readonly string[] | undefined, values: Record<string, string | string[]> | undefined) {
  if (!names || !values) return undefined;
  const shown = Object.fromEntries(names.flatMap((name) => (typeof values[name] === "string" ? [[name, values[name]]] : [])));
  return Object.keys(shown).length > 0 ? shown : undefined;
}
