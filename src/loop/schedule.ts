/**
 * When the loop ticks: at once, then on the interval with jitter (so that workers started together drift
 * apart), backing off after failed ticks. A tick never overlaps the previous one: the next is scheduled
 * only once the previous has ended.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { LoopEvent, TickOutcome, TickResult } from "./events.js";

/** Each delay is the base delay ±10 %. */
export const JITTER = 0.1;
/** Backoff doubles the interval per consecutive failure, up to this many intervals. */
export const MAX_BACKOFF_FACTOR = 4;

/**
 * The wait before the next tick: the interval, or after consecutive failures interval × 2^failures capped at
 * 4 intervals, then jittered ±10 % (so a backed-off wait lies in [3.6, 4.4] intervals). `random` returns [0, 1).
 */
export function nextDelay(intervalMs: number, consecutiveFailures: number, random: () => number = Math.random): number {
  const factor = Math.min(2 ** Math.max(0, consecutiveFailures), MAX_BACKOFF_FACTOR);
  const jitter = 1 + (random() * 2 - 1) * JITTER;
  return Math.round(intervalMs * factor * jitter);
}

/**
 * The failure streak after a tick: a failed tick extends it, any other ends it. A `lock-held` tick is not a
 * failure (another worker is reconciling the stack), so the tick after it is at the normal interval.
 */
export const consecutiveFailuresAfter = (result: TickResult, before: number): number => (result === "failed" ? before + 1 : 0);

export type Tick = (signal: AbortSignal) => Promise<TickOutcome>;

export interface LoopOptions {
  intervalMs: number;
  /** Run one tick, then stop (`--once`). */
  once?: boolean;
  /** Aborting stops the loop: at once during a sleep; during a tick, once the tick (which is given it) has ended. */
  signal: AbortSignal;
  onEvent(event: LoopEvent): void;
  /** Waits `ms`, or less if `signal` aborts; the loop returns on abort whether or not it does. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export interface LoopResult {
  ticks: number;
  last?: TickOutcome;
}

/**
 * Ticks until `signal` aborts (or once, with `once`). A tick that throws (a bug, an invalid spec) is
 * reported as a failure and counted as a failed tick; the loop goes on.
 */
export async function runLoop(tick: Tick, options: LoopOptions): Promise<LoopResult> {
  const { intervalMs, signal, onEvent, sleep = sleepUnlessAborted, random = Math.random, now = Date.now } = options;
  let ticks = 0;
  let last: TickOutcome | undefined;
  let failures = 0;
  while (!signal.aborted) {
    ticks++;
    onEvent({ event: "tick-started", tick: ticks });
    last = await runTick(tick, signal, now, onEvent);
    onEvent({ event: "tick-finished", tick: ticks, outcome: last });
    if (signal.aborted) break;
    if (options.once) {
      onEvent({ event: "stopping", reason: "once" });
      return { ticks, last };
    }
    failures = consecutiveFailuresAfter(last.result, failures);
    const delayMs = nextDelay(intervalMs, failures, random);
    onEvent({ event: "sleeping", delayMs, nextTickAt: new Date(now() + delayMs) });
    await untilAborted(sleep(delayMs, signal), signal);
  }
  onEvent({ event: "stopping", reason: abortReason(signal) });
  return { ticks, last };
}

async function runTick(tick: Tick, signal: AbortSignal, now: () => number, onEvent: (event: LoopEvent) => void): Promise<TickOutcome> {
  const startedAt = now();
  try {
    return await tick(signal);
  } catch (error) {
    const failure = { error: describeError(error) };
    onEvent({ event: "failure", ...failure });
    return { result: "failed", changes: 0, driftCorrected: 0, failures: [failure], durationMs: now() - startedAt, awsCalls: [] };
  }
}

/** `TypeError: x is undefined` for a bug; a plain Error's message alone. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name === "Error" ? error.message : `${error.name}: ${error.message}`;
}

/** A string given to `abort()` (the CLI gives the signal's name, `SIGTERM`), otherwise `aborted`. */
const abortReason = (signal: AbortSignal): string => (typeof signal.reason === "string" ? signal.reason : "aborted");

/** Settles when `wait` does or `signal` aborts, whichever is first. */
function untilAborted(wait: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve();
    signal.addEventListener("abort", onAbort, { once: true });
    wait.then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Node's timers fire at once beyond 2^31 − 1 ms (about 24.8 days), so a longer wait is taken in pieces. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  try {
    for (let left = ms; left > 0 && !signal.aborted; left -= LONGEST_TIMER_MS) {
      await delay(Math.min(left, LONGEST_TIMER_MS), undefined, { signal });
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
