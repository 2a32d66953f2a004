import { describe, expect, it } from "vitest";
import { runJobs, type Job, type JobOutcome } from "../../src/graph/executor.js";
import { CycleError } from "../../src/graph/graph.js";

/** Jobs that record the order they start in and the most that ever ran at once; `fail` lists the ids that throw. */
function harness(spec: Record<string, string[] | undefined>, fail: string[] = []) {
  const started: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const jobs: Job[] = Object.entries(spec).map(([id, dependsOn = []]) => ({
    id,
    dependsOn,
    run: async () => {
      started.push(id);
      running++;
      maxRunning = Math.max(maxRunning, running);
      // Yield twice so that concurrently ready jobs really overlap.
      await Promise.resolve();
      await Promise.resolve();
      running--;
      if (fail.includes(id)) throw new Error(`${id} broke`);
    },
  }));
  return { jobs, started, maxRunning: () => maxRunning };
}

const statuses = (outcomes: Map<string, JobOutcome>) =>
  Object.fromEntries([...outcomes].map(([id, o]) => [id, o.status === "skipped" ? `skipped:${o.because}` : o.status]));

describe("runJobs", () => {
  // prettier-ignore
  it.each([
    { reason: "independent jobs all run", spec: { a: [], b: [], c: [] }, fail: [], expected: { a: "done", b: "done", c: "done" } },
    { reason: "a chain runs in order", spec: { a: [], b: ["a"], c: ["b"] }, fail: [], expected: { a: "done", b: "done", c: "done" } },
    { reason: "a failure skips its dependents, attributed to it", spec: { a: [], b: ["a"], c: ["b"] }, fail: ["a"], expected: { a: "failed", b: "skipped:a", c: "skipped:a" } },
    { reason: "an independent branch finishes despite a failure", spec: { a: [], b: ["a"], x: [], y: ["x"] }, fail: ["a"], expected: { a: "failed", b: "skipped:a", x: "done", y: "done" } },
    { reason: "a job waiting on a failed and a good job is skipped", spec: { a: [], b: [], c: ["a", "b"] }, fail: ["b"], expected: { a: "done", b: "failed", c: "skipped:b" } },
    { reason: "a skipped job is not reported failed when its own dependency fails later", spec: { a: [], b: ["a"], c: ["b"] }, fail: ["b"], expected: { a: "done", b: "failed", c: "skipped:b" } },
  ])("$reason", async ({ spec, fail, expected }) => {
    const { jobs } = harness(spec, fail);
    expect(statuses(await runJobs(jobs, { parallelism: 10 }))).toEqual(expected);
  });

  it("starts dependencies before dependents", async () => {
    const { jobs, started } = harness({ c: ["b"], b: ["a"], a: [] });
    await runJobs(jobs, { parallelism: 10 });
    expect(started).toEqual(["a", "b", "c"]);
  });

  // prettier-ignore
  it.each([
    { parallelism: 1, expected: 1 },
    { parallelism: 3, expected: 3 },
    { parallelism: 10, expected: 6 },
  ])("never runs more than parallelism $parallelism at once", async ({ parallelism, expected }) => {
    const { jobs, maxRunning } = harness({ a: [], b: [], c: [], d: [], e: [], f: [] });
    await runJobs(jobs, { parallelism });
    expect(maxRunning()).toBe(expected);
  });

  it("reports each outcome once, through onFinish, with the error of a failure", async () => {
    const { jobs } = harness({ a: [], b: ["a"] }, ["a"]);
    const finished: Array<[string, string]> = [];
    const outcomes = await runJobs(jobs, { parallelism: 2, onFinish: (id, o) => finished.push([id, o.status]) });
    expect(finished).toEqual([
      ["a", "failed"],
      ["b", "skipped"],
    ]);
    const a = outcomes.get("a");
    expect(a?.status === "failed" && (a.error as Error).message).toBe("a broke");
  });

  it("counts a job that throws synchronously as failed", async () => {
    const jobs: Job[] = [
      {
        id: "a",
        dependsOn: [],
        run: () => {
          throw new Error("sync");
        },
      },
    ];
    expect(statuses(await runJobs(jobs, { parallelism: 1 }))).toEqual({ a: "failed" });
  });

  it("refuses a cycle, naming every job on it, before running anything", async () => {
    const { jobs, started } = harness({ a: ["c"], b: ["a"], c: ["b"] });
    await expect(runJobs(jobs, { parallelism: 2 })).rejects.toThrow(CycleError);
    await expect(runJobs(jobs, { parallelism: 2 })).rejects.toThrow(/a -> c -> b -> a/);
    expect(started).toEqual([]);
  });

  it("refuses a dependency on a job that does not exist", async () => {
    const { jobs } = harness({ a: ["ghost"] });
    await expect(runJobs(jobs, { parallelism: 1 })).rejects.toThrow("job a depends on unknown job ghost");
  });
});

describe("runJobs limits and stopping", () => {
  /** Jobs that each wait for a release the test gives, so that what runs at once can be seen. */
  function gated(ids: string[], groupOf: (id: string) => string | undefined = () => undefined) {
    const running = new Set<string>();
    const release = new Map<string, () => void>();
    const started: string[] = [];
    const jobs: Job[] = ids.map((id) => ({
      id,
      dependsOn: [],
      ...(groupOf(id) !== undefined && { group: groupOf(id) }),
      run: () =>
        new Promise<void>((resolve) => {
          started.push(id);
          running.add(id);
          release.set(id, () => {
            running.delete(id);
            resolve();
          });
        }),
    }));
    const settle = async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    return { jobs, running, started, release: (id: string) => release.get(id)!(), settle };
  }

  it("keeps a group within its limit while other jobs take the free slots", async () => {
    const g = gated(["svc1", "svc2", "svc3", "tg1", "tg2"], (id) => (id.startsWith("svc") ? "services" : undefined));
    const run = runJobs(g.jobs, { parallelism: 3, groupLimits: { services: 1 } });
    await g.settle();
    // One service at most: the other two slots go to the target groups, which are ready later in the list.
    expect([...g.running]).toEqual(["svc1", "tg1", "tg2"]);
    g.release("tg1");
    await g.settle();
    expect([...g.running]).toEqual(["svc1", "tg2"]);
    g.release("svc1");
    await g.settle();
    expect([...g.running]).toEqual(["tg2", "svc2"]);
    g.release("tg2");
    g.release("svc2");
    await g.settle();
    g.release("svc3");
    expect([...(await run).values()].every((o) => o.status === "done")).toBe(true);
  });

  it("once stopped, starts nothing new: running jobs finish, the rest are cancelled", async () => {
    const g = gated(["a", "b", "c"]);
    const stop = new AbortController();
    const finished: string[] = [];
    const run = runJobs(g.jobs, { parallelism: 1, signal: stop.signal, onFinish: (id) => finished.push(id) });
    await g.settle();
    stop.abort();
    await g.settle();
    expect(g.started).toEqual(["a"]);
    g.release("a");
    const outcomes = await run;
    expect(Object.fromEntries([...outcomes].map(([id, o]) => [id, o.status]))).toEqual({ a: "done", b: "cancelled", c: "cancelled" });
    expect(finished).toEqual(["a", "b", "c"]);
  });

  it("refuses a group limit that is not a whole number of at least 1", async () => {
    await expect(runJobs([], { parallelism: 2, groupLimits: { services: 0 } })).rejects.toThrow("the limit of services");
  });
});
