/**
 * The loop's Prometheus metrics and health, served over HTTP: GET /metrics and GET /healthz. The registry is
 * the loop's own, never prom-client's global one, so two loops in one process (tests) do not mix.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { TICK_RESULTS, type LoopEvent, type TickOutcome } from "./events.js";

/** From a second (a no-op plan) to the long ECS deployments of an apply. */
const DURATION_BUCKETS_SECONDS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200];

/** A tick is overdue once this many intervals have passed since it was due. */
const GRACE_INTERVALS = 2;
/** The first tick may run this long before the loop counts as stuck. */
const FIRST_TICK_INTERVALS = 3;

export type Health = { healthy: true } | { healthy: false; reason: string };

export interface LoopMetricsOptions {
  intervalMs: number;
  /** Labels on every series, such as `{ stack: "web-prod" }`. */
  labels?: Record<string, string>;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export class LoopMetrics {
  readonly registry = new Registry();
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #startedAt: number;
  #stoppedBecause?: string;
  #lastEndedAt?: number;
  #nextTickAt?: number;

  readonly #lastTickTimestamp: Gauge;
  readonly #lastTickSuccess: Gauge;
  readonly #lastTickResult: Gauge<"result">;
  readonly #ticks: Counter<"result">;
  readonly #changes: Counter;
  readonly #driftCorrected: Counter;
  readonly #failures: Counter;
  readonly #tickDuration: Histogram;
  readonly #awsCalls: Counter<"service" | "action">;

  constructor({ intervalMs, labels = {}, now = Date.now }: LoopMetricsOptions) {
    this.#intervalMs = intervalMs;
    this.#now = now;
    this.#startedAt = now();
    this.registry.setDefaultLabels(labels);
    const registers = [this.registry];
    this.#lastTickTimestamp = new Gauge({
      name: "reconcile_last_tick_timestamp_seconds",
      help: "When the last tick ended, in seconds since the epoch",
      registers,
    });
    this.#lastTickSuccess = new Gauge({
      name: "reconcile_last_tick_success",
      help: "1 if the last tick did not fail (lock-held and cancelled ticks are not failures), 0 if it failed",
      registers,
    });
    this.#lastTickResult = new Gauge({
      name: "reconcile_last_tick_result",
      help: "1 for the result of the last tick, 0 for the others",
      labelNames: ["result"],
      registers,
    });
    this.#ticks = new Counter({ name: "reconcile_ticks_total", help: "Ticks ended, by result", labelNames: ["result"], registers });
    this.#changes = new Counter({ name: "reconcile_changes_total", help: "Resources changed", registers });
    this.#driftCorrected = new Counter({
      name: "reconcile_drift_corrected_total",
      help: "Resources changed while the spec was the same as on the previous tick",
      registers,
    });
    this.#failures = new Counter({
      name: "reconcile_failures_total",
      help: "Failures: of a resource's change, or of a tick as a whole",
      registers,
    });
    this.#tickDuration = new Histogram({
      name: "reconcile_tick_duration_seconds",
      help: "How long each tick took",
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.#awsCalls = new Counter({
      name: "reconcile_aws_calls_total",
      help: "AWS calls made by ticks, by service and action",
      labelNames: ["service", "action"],
      registers,
    });
    // Every result from the first scrape on, so that rate() and alerts see a series before its first increase.
    for (const result of TICK_RESULTS) this.#ticks.inc({ result }, 0);
    for (const counter of [this.#changes, this.#driftCorrected, this.#failures]) counter.inc(0);
  }

  /**
   * Feed it every event of the loop (`onEvent`): it records each finished tick, a tick that threw included, and
   * follows the loop's sleeps and its stop for `health`.
   */
  observe(event: LoopEvent): void {
    switch (event.event) {
      case "tick-finished":
        this.recordTick(event.outcome);
        break;
      case "sleeping":
        this.#nextTickAt = event.nextTickAt.getTime();
        break;
      case "stopping":
        this.#stoppedBecause = event.reason;
        break;
      default:
        break;
    }
  }

  recordTick(outcome: TickOutcome): void {
    const endedAt = this.#now();
    this.#lastEndedAt = endedAt;
    this.#nextTickAt = undefined;

    this.#lastTickTimestamp.set(endedAt / 1000);
    this.#lastTickSuccess.set(outcome.result === "failed" ? 0 : 1);
    for (const result of TICK_RESULTS) this.#lastTickResult.set({ result }, result === outcome.result ? 1 : 0);
    this.#ticks.inc({ result: outcome.result });
    this.#changes.inc(outcome.changes);
    this.#driftCorrected.inc(outcome.driftCorrected);
    this.#failures.inc(outcome.failures.length);
    this.#tickDuration.observe(outcome.durationMs / 1000);
    for (const { service, action, calls } of outcome.awsCalls) this.#awsCalls.inc({ service, action }, calls);
  }

  /**
   * Healthy while the loop runs and keeps ticking: the next tick is due no more than 2 intervals ago (with no
   * backoff, the last tick ended within about 3 intervals), or, before any tick has ended, the loop started
   * less than 3 intervals ago. A backed-off wait is due when it ends, so backing off alone is not unhealthy.
   * The loop counts as started when its metrics are made, just before it.
   */
  health(): Health {
    if (this.#stoppedBecause !== undefined) return { healthy: false, reason: `the loop is stopping: ${this.#stoppedBecause}` };
    const now = this.#now();
    if (this.#lastEndedAt === undefined) {
      const running = now - this.#startedAt;
      return running < FIRST_TICK_INTERVALS * this.#intervalMs
        ? { healthy: true }
        : { healthy: false, reason: `the first tick has run for ${seconds(running)}, over ${FIRST_TICK_INTERVALS} intervals` };
    }
    const dueAt = this.#nextTickAt ?? this.#lastEndedAt + this.#intervalMs;
    if (now - dueAt < GRACE_INTERVALS * this.#intervalMs) return { healthy: true };
    const since = new Date(this.#lastEndedAt).toISOString();
    return { healthy: false, reason: `no tick has ended for ${seconds(now - this.#lastEndedAt)} (the last at ${since})` };
  }
}

export const createMetrics = (options: LoopMetricsOptions): LoopMetrics => new LoopMetrics(options);

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

export interface MetricsServer {
  /** The port listened on: the one asked for, or the one the system chose for port 0. */
  port: number;
  close(): Promise<void>;
}

/** GET /metrics (the Prometheus text format) and GET /healthz (200 `ok`, or 503 and why); 404 for anything else. */
export async function startMetricsServer(
  metrics: LoopMetrics,
  { port, host = "127.0.0.1" }: { port: number; host?: string },
): Promise<MetricsServer> {
  const server = createServer((request, response) => void respond(metrics, request, response));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      // Since Node 19, close also ends the idle keep-alive connections scrapers leave open.
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

async function respond(metrics: LoopMetrics, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  const known = request.method === "GET" || request.method === "HEAD";
  if (known && path === "/metrics") {
    try {
      const body = await metrics.registry.metrics();
      send(response, 200, body, metrics.registry.contentType);
    } catch (error) {
      send(response, 500, `collecting the metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  } else if (known && path === "/healthz") {
    const health = metrics.health();
    send(response, health.healthy ? 200 : 503, health.healthy ? "ok\n" : `${health.reason}\n`);
  } else {
    send(response, 404, "not found: try /metrics or /healthz\n");
  }
}

function send(response: ServerResponse, status: number, body: string, contentType = "text/plain; charset=utf-8"): void {
  response.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  response.end(body);
}
