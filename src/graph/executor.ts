import { CycleError, DependencyGraph } from "./graph.js";

export interface Job {
  id: string;
  /** Ids of jobs that must finish (successfully) first. */
  dependsOn: readonly string[];
  run(): Promise<void>;
}

export type JobOutcome =
  | { status: "done" }
  | { status: "failed"; error: unknown }
  /** Not run because `because` (a job it depends on, directly or not) failed. */
  | { status: "skipped"; because: string };

export interface RunOptions {
  /** At most this many jobs run at once. */
  parallelism: number;
  onStart?(id: string): void;
  onFinish?(id: string, outcome: JobOutcome): void;
}

/**
 * Runs jobs as soon as their dependencies are done, at most `parallelism` at a time (a ready pool, after
 * aws-cdk's work graph). A failed job's dependents are skipped and attributed to it, not failed on their own;
 * independent branches run to the end. Resolves once every job has an outcome; never rejects for a job's error.
 */
export async function runJobs(jobs: readonly Job[], options: RunOptions): Promise<Map<string, JobOutcome>> {
  if (!Number.isInteger(options.parallelism) || options.parallelism < 1) throw new RangeError("parallelism must be a whole number ≥ 1");
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

  await new Promise<void>((resolve) => {
    const pump = () => {
      while (running < options.parallelism && ready.length > 0) {
        const id = ready.shift()!;
        if (outcomes.has(id)) continue;
        running++;
        options.onStart?.(id);
        const job = byId.get(id)!;
        Promise.resolve()
          .then(() => job.run())
          .then(
            () => {
              settle(id, { status: "done" });
              for (const dependent of dependents.get(id)!) {
                const left = waitingOn.get(dependent)! - 1;
                waitingOn.set(dependent, left);
                if (left === 0 && !outcomes.has(dependent)) ready.push(dependent);
              }
            },
            (error: unknown) => {
              settle(id, { status: "failed", error });
              skipDependents(id, id);
            },
          )
          .finally(() => {
            running--;
            pump();
          });
      }
      if (running === 0 && ready.length === 0) resolve();
    };
    pump();
  });
  return outcomes;
}
