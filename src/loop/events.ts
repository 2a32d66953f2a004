/**
 * What the reconcile loop reports, as data, and its two renderings: one JSON object a line for log
 * collectors, one readable line for people. A line holds what its event carries and nothing else.
 */
import type { LeaseHolder } from "../aws/lease.js";
import type { Action, PlanSummary } from "../plan/model.js";
import { DONE_WORDS, formatDuration } from "../plan/render-run.js";
import { summaryCounts } from "../plan/render-text.js";

/** `lock-held`: another worker holds the stack's lease, so this tick did nothing; `cancelled`: stopped by the signal. */
export type TickResult = "unchanged" | "changed" | "failed" | "lock-held" | "cancelled";

export const TICK_RESULTS: readonly TickResult[] = ["unchanged", "changed", "failed", "lock-held", "cancelled"];

export interface TickFailure {
  /** The resource; absent when the tick failed as a whole (an invalid spec, a bug). */
  address?: string;
  /** Names the resource and the AWS action, with AWS's message. */
  error: string;
}

export interface TickOutcome {
  result: TickResult;
  /** Resources changed this tick. */
  changes: number;
  /** Of those, the changes made while the spec was the same as on the previous tick. */
  driftCorrected: number;
  failures: TickFailure[];
  durationMs: number;
  awsCalls: { service: string; action: string; calls: number }[];
}

/** Who holds the stack's lease: what a lock-held line names of the lease's holder. */
export type LockHolder = Pick<LeaseHolder, "host" | "pid" | "command">;

/**
 * The loop itself emits tick-started, tick-finished, sleeping and stopping, and a failure for a tick that
 * threw; the tick emits the rest (plan, change-applied, drift-corrected, failure, lock-held) as they happen.
 */
export type LoopEvent =
  | { event: "tick-started"; tick: number }
  | { event: "plan"; summary: PlanSummary }
  | { event: "change-applied"; address: string; action: Action; elapsedMs: number }
  | { event: "drift-corrected"; address: string; action: Action }
  | ({ event: "failure" } & TickFailure)
  | { event: "lock-held"; holder: LockHolder; expiresAt: Date }
  | { event: "tick-finished"; tick: number; outcome: TickOutcome }
  | { event: "sleeping"; delayMs: number; nextTickAt: Date }
  /** `reason`: `once` after the one tick of `--once`, otherwise the abort's reason (such as `SIGTERM`). */
  | { event: "stopping"; reason: string };

const totalCalls = (outcome: TickOutcome): number => outcome.awsCalls.reduce((sum, entry) => sum + entry.calls, 0);

/**
 * The fields of a line, named one by one: an event built by spreading a larger object (a lease record, a call
 * count) brings nothing more into the log than its type says. Dates become ISO strings through JSON.
 */
function fields(event: LoopEvent): Record<string, unknown> {
  switch (event.event) {
    case "tick-started":
      return { tick: event.tick };
    case "plan": {
      const { add, change, replace, destroy, conflict, held } = event.summary;
      return { summary: { add, change, replace, destroy, conflict, held } };
    }
    case "change-applied":
      return { address: event.address, action: event.action, elapsedMs: Math.round(event.elapsedMs) };
    case "drift-corrected":
      return { address: event.address, action: event.action };
    case "failure":
      return { address: event.address, error: event.error };
    case "lock-held": {
      const { host, pid, command } = event.holder;
      return { holder: { host, pid, command }, expiresAt: event.expiresAt };
    }
    case "tick-finished": {
      const { outcome } = event;
      return {
        tick: event.tick,
        result: outcome.result,
        durationMs: Math.round(outcome.durationMs),
        changes: outcome.changes,
        driftCorrected: outcome.driftCorrected,
        failures: outcome.failures.length,
        awsCalls: totalCalls(outcome),
      };
    }
    case "sleeping":
      return { delayMs: event.delayMs, nextTickAt: event.nextTickAt };
    case "stopping":
      return { reason: event.reason };
  }
}

/** One JSON object, no newline: `{"time":"…","event":"…",…fields}`. */
export function renderEventJson(event: LoopEvent, at: Date): string {
  return JSON.stringify({ time: at.toISOString(), event: event.event, ...fields(event) });
}

/** A wait as people set it: `45s`, `5m`, `4m30s`, `1h`; under a second, as a duration. */
function formatDelay(ms: number): string {
  if (ms < 1000) return formatDuration(ms);
  const seconds = Math.round(ms / 1000);
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60];
  return [h > 0 ? `${h}h` : "", m > 0 ? `${m}m` : "", s > 0 ? `${s}s` : ""].join("");
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** AWS's messages may span lines; a text line stays one line. */
const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, " ");

function describe(event: LoopEvent): string {
  switch (event.event) {
    case "tick-started":
      return `tick ${event.tick} started`;
    case "plan":
      return `plan: ${summaryCounts(event.summary)}`;
    case "change-applied":
      return `${event.address}: ${DONE_WORDS[event.action]} in ${formatDuration(event.elapsedMs)}`;
    case "drift-corrected":
      return `${event.address}: drift corrected (${event.action})`;
    case "failure":
      return event.address === undefined ? `tick failed: ${oneLine(event.error)}` : `${event.address}: failed: ${oneLine(event.error)}`;
    case "lock-held": {
      const { host, pid, command } = event.holder;
      return `lock held by ${host} pid ${pid} (${oneLine(command)}) until ${event.expiresAt.toISOString()}: nothing done this tick`;
    }
    case "tick-finished": {
      const o = event.outcome;
      const drift = o.driftCorrected > 0 ? ` (${o.driftCorrected} drift corrected)` : "";
      return (
        `tick ${event.tick} ${o.result} in ${formatDuration(o.durationMs)}: ${plural(o.changes, "change")}${drift}, ` +
        `${plural(o.failures.length, "failure")}, ${plural(totalCalls(o), "AWS call")}`
      );
    }
    case "sleeping":
      return `next tick at ${event.nextTickAt.toISOString()} (in ${formatDelay(event.delayMs)})`;
    case "stopping":
      return `stopping: ${oneLine(event.reason)}`;
  }
}

/** One line for people, no newline: the time in ISO form (UTC), then what happened. */
export function renderEventText(event: LoopEvent, at: Date): string {
  return `${at.toISOString()} ${describe(event)}`;
}
