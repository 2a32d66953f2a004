import { CycleError, DependencyGraph } from "./graph.js";

export interface Job {
  id: string;
  /** Ids of jobs that must finish (successfully) first. */
  dependsOn: readonly string[];
  /** Jobs of one group share the group's limit (RunOptions.groupLimits) beside the overall one. */
  group?: string;
  run(): Promise<void>;
}

export type JobOutcome =
  | { status: "done" }
  | { status: "failed"; error: unknown }
  /** Not run because `because` (a job it depends on, directly or not) failed. */
  | { status: "skipped"; because: string }
  /** Not started because the run was stopped (RunOptions.signal). */
  | { status: "cancelled" };

export interface RunOptions {
  /** At most this many jobs run at once. */
  parallelism: number;
  /** At most this many jobs of a group run at once (slow waits never hold every slot); a group not named has none. */
  groupLimits?: Readonly<Record<string, number>>;
  /** Once aborted, no job starts; those running finish, and every job not started is `cancelled`. */
  signal?: AbortSignal;
  onStart?(id: string): void;
  onFinish?(id: string, outcome: JobOutcome): void;
}

const isLimit = (n: number) => Number.isInteger(n) && n >= 1;

/**
 * Runs jobs as soon as their dependencies are done, at most `parallelism` at a time and at most its limit per
 * group (a ready pool, after aws-cdk's work graph). A failed job's dependents are skipped and attributed to it,
 * not failed on their own; independent branches run to the end. Resolves once every job has an outcome; never
 * rejects for a job's error.
 */
export async function runJobs(jobs: readonly Job[], options: RunOptions): Promise<Map<string, JobOutcome>> {
  if (!isLimit(options.parallelism)) throw new RangeError("parallelism must be a whole number ≥ 1");
  for (const [group, limit] of Object.entries(options.groupLimits ?? {}))
    if (!isLimit(limit)) throw new RangeError(`the limit of ${group} must be a whole number ≥ 1`);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const graph = new DependencyGraph();
  for (const job of jobs) {
    graph.addNode(job.id);
    for (const dep of job.dependsOn) {
      if (!byId.has(dep)) throw new Error(`job ${job.id} depends on unknown job ${dep}`);
      graph.addDependency(job.id, dep);
    }
  }
  const cycle = graph.findCycles()[0];
  if (cycle) throw new CycleError(cycle);

  const dependents = new Map<string, string[]>(jobs.map((j) => [j.id, []]));
  const waitingOn = new Map<string, number>();
  for (const job of jobs) {
    const deps = new Set(job.dependsOn);
    waitingOn.set(job.id, deps.size);
    for (const dep of deps) dependents.get(dep)!.push(job.id);
  }

  const outcomes = new Map<string, JobOutcome>();
  const ready = jobs.filter((j) => waitingOn.get(j.id) === 0).map((j) => j.id);
  const runningIn = new Map<string, number>();
  let running = 0;

  const settle = (id: string, outcome: JobOutcome) => {
    outcomes.set(id, outcome);
    options.onFinish?.(id, outcome);
  };
  const skipDependents = (id: string, because: string) => {
    for (const dependent of dependents.get(id)!) {
      if (outcomes.has(dependent)) continue;
      settle(dependent, { status: "skipped", because });
      skipDependents(dependent, because);
    }
  };
  const hasRoom = (job: Job) => {
    const limit = job.group === undefined ? undefined : options.groupLimits?.[job.group];
    return limit === undefined || (runningIn.get(job.group!) ?? 0) < limit;
  };
  const start = (job: Job, done: () => void) => {
    running++;
    if (job.group !== undefined) runningIn.set(job.group, (runningIn.get(job.group) ?? 0) + 1);
    options.onStart?.(job.id);
    Promise.resolve()
      .then(() => job.run())
      .then(
        () => {
          settle(job.id, { status: "done" });
          for (const dependent of dependents.get(job.id)!) {
            const left = waitingOn.get(dependent)! - 1;
            waitingOn.set(dependent, left);
            if (left === 0 && !outcomes.has(dependent)) ready.push(dependent);
          }
        },
        (error: unknown) => {
          settle(job.id, { status: "failed", error });
          skipDependents(job.id, job.id);
        },
      )
      .finally(() => {
        running--;
        if (job.group !== undefined) runningIn.set(job.group, runningIn.get(job.group)! - 1);
        done();
      });
  };

  await new Promise<void>((resolve) => {
    const pump = () => {
      if (options.signal?.aborted) ready.length = 0;
      for (let i = 0; i < ready.length && running < options.parallelism;) {
        const job = byId.get(ready[i]!)!;
        if (!outcomes.has(job.id) && !hasRoom(job)) {
          i++;
          continue;
        }
        ready.splice(i, 1);
        if (!outcomes.has(job.id)) start(job, pump);
      }
      if (running > 0) return;
      for (const job of jobs) if (!outcomes.has(job.id)) settle(job.id, { status: "cancelled" });
      options.signal?.removeEventListener("abort", pump);
      resolve();
    };
    options.signal?.addEventListener("abort", pump);
    pump();
  });
  return outcomes;
}
