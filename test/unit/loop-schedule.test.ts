import { describe, expect, it } from "vitest";
import type { LoopEvent, TickOutcome, TickResult } from "../../src/loop/events.js";
import { consecutiveFailuresAfter, nextDelay, runLoop, type LoopOptions, type Tick } from "../../src/loop/schedule.js";

const INTERVAL = 60_000;

const outcome = (result: TickResult, extra: Partial<TickOutcome> = {}): TickOutcome => ({
  result,
  changes: 0,
  driftCorrected: 0,
  failures: [],
  durationMs: 5,
  awsCalls: [],
  ...extra,
});

/** A fake clock and sleep: each sleep is recorded, moves the clock on by its length, and ends at once. */
function harness(overrides: Partial<LoopOptions> = {}) {
  const controller = new AbortController();
  const events: LoopEvent[] = [];
  const sleeps: number[] = [];
  let clock = 1_000_000;
  const options: LoopOptions = {
    intervalMs: INTERVAL,
    signal: controller.signal,
    onEvent: (event) => events.push(event),
    random: () => 0.5,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    ...overrides,
  };
  const names = () => events.map((e) => e.event);
  return { controller, events, sleeps, options, names };
}

/** A tick that answers each call with the next result and aborts the loop after the last one. */
function scripted(results: TickResult[], controller: AbortController): Tick {
  let call = 0;
  return async () => {
    const result = results[call++]!;
    if (call === results.length) controller.abort("SIGTERM");
    return outcome(result);
  };
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe("nextDelay", () => {
  // prettier-ignore
  it.each([
    { failures: 0, random: 0.5, expected: INTERVAL },
    { failures: 0, random: 0, expected: 0.9 * INTERVAL },
    { failures: 1, random: 0.5, expected: 2 * INTERVAL },
    { failures: 2, random: 0.5, expected: 4 * INTERVAL },
    { failures: 3, random: 0.5, expected: 4 * INTERVAL },
    { failures: 50, random: 0.5, expected: 4 * INTERVAL },
    { failures: 2000, random: 0, expected: 3.6 * INTERVAL },
    { failures: -1, random: 0.5, expected: INTERVAL },
  ])("after $failures failures with random $random: $expected ms", ({ failures, random, expected }) => {
    expect(nextDelay(INTERVAL, failures, () => random)).toBe(expected);
  });

  it.each([0, 1, 2, 3, 8])("keeps the jitter within ±10 %% of the base delay after %i failures", (failures) => {
    const base = INTERVAL * Math.min(2 ** failures, 4);
    const delays = Array.from({ length: 2000 }, () => nextDelay(INTERVAL, failures));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0.9 * base);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1.1 * base);
    // Jitter, not a constant: the draws spread over most of the range.
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(0.15 * base);
  });

  // prettier-ignore
  it.each([
    { result: "failed", before: 0, after: 1 },
    { result: "failed", before: 3, after: 4 },
    { result: "lock-held", before: 3, after: 0 },
    { result: "unchanged", before: 2, after: 0 },
    { result: "changed", before: 2, after: 0 },
    { result: "cancelled", before: 2, after: 0 },
  ] as const)("a $result tick after $before failures leaves a streak of $after", ({ result, before, after }) => {
    expect(consecutiveFailuresAfter(result, before)).toBe(after);
  });
});

describe("runLoop", () => {
  it("runs the first tick at once, then sleeps the interval between ticks", async () => {
    const h = harness();
    const sleepsWhenTicked: number[] = [];
    const tick: Tick = async () => {
      sleepsWhenTicked.push(h.sleeps.length);
      if (sleepsWhenTicked.length === 3) h.controller.abort("SIGTERM");
      return outcome("unchanged");
    };
    const result = await runLoop(tick, h.options);
    expect(result).toEqual({ ticks: 3, last: outcome("unchanged") });
    expect(sleepsWhenTicked).toEqual([0, 1, 2]);
    expect(h.sleeps).toEqual([INTERVAL, INTERVAL]);
    // prettier-ignore
    expect(h.names()).toEqual([
      "tick-started", "tick-finished", "sleeping",
      "tick-started", "tick-finished", "sleeping",
      "tick-started", "tick-finished", "stopping",
    ]);
    expect(h.events.at(-1)).toEqual({ event: "stopping", reason: "SIGTERM" });
  });

  it("never overlaps ticks: the sleep starts only once the tick has ended", async () => {
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const h = harness({
      sleep: async () => {
        log.push("sleep");
      },
    });
    const tick: Tick = async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push("tick");
      await new Promise((resolve) => setTimeout(resolve, 2));
      log.push("tick ended");
      running--;
      if (log.filter((l) => l === "tick").length === 3) h.controller.abort();
      return outcome("changed");
    };
    await runLoop(tick, h.options);
    expect(maxRunning).toBe(1);
    expect(log).toEqual(["tick", "tick ended", "sleep", "tick", "tick ended", "sleep", "tick", "tick ended"]);
  });

  it("reports each tick's number and outcome, and when the next one is due", async () => {
    const h = harness();
    await runLoop(scripted(["changed", "unchanged"], h.controller), h.options);
    expect(h.events.slice(0, 3)).toEqual([
      { event: "tick-started", tick: 1 },
      { event: "tick-finished", tick: 1, outcome: outcome("changed") },
      { event: "sleeping", delayMs: INTERVAL, nextTickAt: new Date(1_000_000 + INTERVAL) },
    ]);
    expect(h.events[4]).toEqual({ event: "tick-finished", tick: 2, outcome: outcome("unchanged") });
  });

  it("with once, runs one tick and stops without sleeping", async () => {
    const h = harness({ once: true });
    const result = await runLoop(async () => outcome("changed", { changes: 2 }), h.options);
    expect(result).toEqual({ ticks: 1, last: outcome("changed", { changes: 2 }) });
    expect(h.sleeps).toEqual([]);
    expect(h.names()).toEqual(["tick-started", "tick-finished", "stopping"]);
    expect(h.events.at(-1)).toEqual({ event: "stopping", reason: "once" });
  });

  it("returns at once when aborted during a sleep, even a sleep that would never end", async () => {
    const h = harness({ sleep: () => new Promise<void>(() => {}) });
    let ticks = 0;
    const loop = runLoop(async () => (ticks++, outcome("unchanged")), h.options);
    expect(await settled(loop)).toBe(false);
    expect(h.names().at(-1)).toBe("sleeping");
    h.controller.abort("SIGINT");
    expect(await loop).toEqual({ ticks: 1, last: outcome("unchanged") });
    expect(ticks).toBe(1);
    expect(h.events.at(-1)).toEqual({ event: "stopping", reason: "SIGINT" });
  });

  it("when aborted during a tick, passes the signal to it and returns only once it has ended", async () => {
    const h = harness();
    let finishTick!: (o: TickOutcome) => void;
    let seen: AbortSignal | undefined;
    const loop = runLoop((signal) => {
      seen = signal;
      return new Promise<TickOutcome>((resolve) => (finishTick = resolve));
    }, h.options);
    await settled(loop);
    h.controller.abort("SIGTERM");
    expect(seen?.aborted).toBe(true);
    expect(await settled(loop)).toBe(false);
    expect(h.names()).toEqual(["tick-started"]);

    finishTick(outcome("cancelled"));
    expect(await loop).toEqual({ ticks: 1, last: outcome("cancelled") });
    expect(h.sleeps).toEqual([]);
    expect(h.names()).toEqual(["tick-started", "tick-finished", "stopping"]);
  });

  it("does not tick when the signal is already aborted", async () => {
    const h = harness();
    h.controller.abort();
    let ticks = 0;
    expect(await runLoop(async () => (ticks++, outcome("unchanged")), h.options)).toEqual({ ticks: 0 });
    expect(ticks).toBe(0);
    expect(h.events).toEqual([{ event: "stopping", reason: "aborted" }]);
  });

  it("turns a tick that throws into a reported failed tick, backs off, and goes on", async () => {
    const h = harness();
    let call = 0;
    const tick: Tick = async () => {
      call++;
      if (call === 1) throw new TypeError("Cannot read properties of undefined (reading 'stack')");
      if (call === 2) throw "a string";
      h.controller.abort();
      return outcome("unchanged");
    };
    const result = await runLoop(tick, h.options);
    expect(result.ticks).toBe(3);
    expect(result.last?.result).toBe("unchanged");
    const failures = h.events.filter((e) => e.event === "failure");
    expect(failures).toEqual([
      { event: "failure", error: "TypeError: Cannot read properties of undefined (reading 'stack')" },
      { event: "failure", error: "a string" },
    ]);
    const first = h.events.find((e) => e.event === "tick-finished");
    expect(first).toMatchObject({
      tick: 1,
      outcome: { result: "failed", changes: 0, failures: [{ error: "TypeError: Cannot read properties of undefined (reading 'stack')" }] },
    });
    expect(h.sleeps).toEqual([2 * INTERVAL, 4 * INTERVAL]);
  });

  it("measures a thrown tick's duration on its clock", async () => {
    let clock = 0;
    const h = harness({ now: () => clock, once: true });
    await runLoop(async () => {
      clock += 1234;
      throw new Error("the spec is invalid");
    }, h.options);
    expect(h.names()).toEqual(["tick-started", "failure", "tick-finished", "stopping"]);
    expect(h.events[2]).toEqual({
      event: "tick-finished",
      tick: 1,
      outcome: {
        result: "failed",
        changes: 0,
        driftCorrected: 0,
        failures: [{ error: "the spec is invalid" }],
        durationMs: 1234,
        awsCalls: [],
      },
    });
  });

  it("backs off after consecutive failures, up to 4 intervals, but not for a held lock", async () => {
    const h = harness();
    await runLoop(scripted(["failed", "failed", "failed", "lock-held", "failed", "unchanged", "changed"], h.controller), h.options);
    expect(h.sleeps.map((ms) => ms / INTERVAL)).toEqual([2, 4, 4, 1, 2, 1]);
  });

  it("jitters each sleep with the random source it is given", async () => {
    const draws = [0, 0.999_999, 0.25];
    const h = harness({ random: () => draws.shift()! });
    await runLoop(scripted(["unchanged", "unchanged", "failed", "unchanged"], h.controller), h.options);
    expect(h.sleeps).toEqual([0.9 * INTERVAL, 1.1 * INTERVAL, 2 * 0.95 * INTERVAL]);
  });

  it("sleeps for real by default", async () => {
    const controller = new AbortController();
    let ticks = 0;
    const started = performance.now();
    const tick: Tick = async () => {
      if (++ticks === 3) controller.abort("SIGTERM");
      return outcome("unchanged");
    };
    expect((await runLoop(tick, { intervalMs: 20, signal: controller.signal, onEvent: () => {} })).ticks).toBe(3);
    // Two sleeps of 18 to 22 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });

  it("returns promptly when aborted during a default sleep of an hour", async () => {
    const controller = new AbortController();
    const loop = runLoop(async () => outcome("unchanged"), { intervalMs: 3_600_000, signal: controller.signal, onEvent: () => {} });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const aborted = performance.now();
    controller.abort("SIGTERM");
    expect(await loop).toEqual({ ticks: 1, last: outcome("unchanged") });
    expect(performance.now() - aborted).toBeLessThan(100);
  });
});
