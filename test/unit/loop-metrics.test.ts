import { register as globalRegistry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { TickOutcome } from "../../src/loop/events.js";
import { LoopMetrics, startMetricsServer, type MetricsServer } from "../../src/loop/metrics.js";
import { runLoop } from "../../src/loop/schedule.js";

const INTERVAL = 60_000;
const START = Date.UTC(2025, 2, 4, 5, 0, 0);

const changed: TickOutcome = {
  result: "changed",
  changes: 3,
  driftCorrected: 1,
  failures: [{ address: "services.web", error: "ECS UpdateService on services.web: throttled" }],
  durationMs: 7_500,
  awsCalls: [
    { service: "ECS", action: "DescribeServices", calls: 4 },
    { service: "ECS", action: "UpdateService", calls: 1 },
  ],
};

/** Metrics on a clock the test moves. */
function clocked() {
  let clock = START;
  const metrics = new LoopMetrics({ intervalMs: INTERVAL, now: () => clock });
  return { metrics, advance: (ms: number) => (clock += ms), at: () => clock };
}

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(metrics: LoopMetrics) {
  const server = await startMetricsServer(metrics, { port: 0 });
  servers.push(server);
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
    return { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
  };
  return { server, get };
}

/** The sample lines of one metric in the text format, such as `reconcile_ticks_total{result="changed"} 1`. */
const samples = (body: string, name: string) =>
  body.split("\n").filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));

describe("LoopMetrics over /metrics", () => {
  it("serves the counters a tick adds to, in the registry's content type", async () => {
    const { metrics, at } = clocked();
    metrics.recordTick(changed);
    metrics.recordTick({ ...changed, result: "failed", changes: 0, driftCorrected: 0, durationMs: 400, awsCalls: [] });
    const { get } = await serve(metrics);
    const { status, type, body } = await get("/metrics");

    expect(status).toBe(200);
    expect(type).toBe(metrics.registry.contentType);
    expect(samples(body, "reconcile_ticks_total")).toEqual([
      'reconcile_ticks_total{result="unchanged"} 0',
      'reconcile_ticks_total{result="changed"} 1',
      'reconcile_ticks_total{result="failed"} 1',
      'reconcile_ticks_total{result="lock-held"} 0',
      'reconcile_ticks_total{result="cancelled"} 0',
    ]);
    expect(samples(body, "reconcile_changes_total")).toEqual(["reconcile_changes_total 3"]);
    expect(samples(body, "reconcile_drift_corrected_total")).toEqual(["reconcile_drift_corrected_total 1"]);
    expect(samples(body, "reconcile_failures_total")).toEqual(["reconcile_failures_total 2"]);
    expect(samples(body, "reconcile_aws_calls_total")).toEqual([
      'reconcile_aws_calls_total{service="ECS",action="DescribeServices"} 4',
      'reconcile_aws_calls_total{service="ECS",action="UpdateService"} 1',
    ]);
    expect(samples(body, "reconcile_last_tick_success")).toEqual(["reconcile_last_tick_success 0"]);
    expect(samples(body, "reconcile_last_tick_result")).toContain('reconcile_last_tick_result{result="failed"} 1');
    expect(samples(body, "reconcile_last_tick_result")).toContain('reconcile_last_tick_result{result="changed"} 0');
    expect(samples(body, "reconcile_last_tick_timestamp_seconds")).toEqual([`reconcile_last_tick_timestamp_seconds ${at() / 1000}`]);
    expect(samples(body, "reconcile_tick_duration_seconds_count")).toEqual(["reconcile_tick_duration_seconds_count 2"]);
    expect(samples(body, "reconcile_tick_duration_seconds_sum")).toEqual(["reconcile_tick_duration_seconds_sum 7.9"]);
    expect(body).toContain('reconcile_tick_duration_seconds_bucket{le="0.5"} 1');
    expect(body).toContain('reconcile_tick_duration_seconds_bucket{le="10"} 2');
  });

  it("serves every tick counter at zero before the first tick, and nothing in prom-client's global registry", async () => {
    const { metrics } = clocked();
    const { body } = await (await serve(metrics)).get("/metrics");
    expect(samples(body, "reconcile_ticks_total")).toHaveLength(5);
    expect(samples(body, "reconcile_ticks_total").every((line) => line.endsWith(" 0"))).toBe(true);
    expect(samples(body, "reconcile_changes_total")).toEqual(["reconcile_changes_total 0"]);
    expect(await globalRegistry.metrics()).not.toContain("reconcile_");
  });

  it("puts the labels it is given on every series", async () => {
    const metrics = new LoopMetrics({ intervalMs: INTERVAL, labels: { stack: "web-prod" } });
    metrics.recordTick(changed);
    const { body } = await (await serve(metrics)).get("/metrics");
    expect(body).toContain('reconcile_changes_total{stack="web-prod"} 3');
    expect(body).toContain('reconcile_aws_calls_total{service="ECS",action="UpdateService",stack="web-prod"} 1');
  });

  it("counts a tick that threw, when fed the loop's events", async () => {
    const { metrics } = clocked();
    await runLoop(
      async () => {
        throw new Error("the spec is invalid");
      },
      { intervalMs: INTERVAL, once: true, signal: new AbortController().signal, onEvent: (event) => metrics.observe(event) },
    );
    const { body } = await (await serve(metrics)).get("/metrics");
    expect(body).toContain('reconcile_ticks_total{result="failed"} 1');
    expect(samples(body, "reconcile_failures_total")).toEqual(["reconcile_failures_total 1"]);
  });
});

describe("/healthz", () => {
  it("is 200 while the first tick runs, then 503 once it has run for 3 intervals", async () => {
    const { metrics, advance } = clocked();
    const { get } = await serve(metrics);
    metrics.observe({ event: "tick-started", tick: 1 });
    expect(await get("/healthz")).toMatchObject({ status: 200, body: "ok\n" });
    advance(3 * INTERVAL);
    expect(await get("/healthz")).toMatchObject({ status: 503, body: "the first tick has run for 180s, over 3 intervals\n" });
  });

  it("is 200 while ticks end on time, and 503 with the last tick's time once none has ended for 3 intervals", async () => {
    const { metrics, advance, at } = clocked();
    const { get } = await serve(metrics);
    advance(10_000);
    metrics.observe({ event: "tick-finished", tick: 1, outcome: changed });
    const lastEnded = new Date(at()).toISOString();
    metrics.observe({ event: "sleeping", delayMs: INTERVAL, nextTickAt: new Date(at() + INTERVAL) });
    advance(3 * INTERVAL - 1);
    expect((await get("/healthz")).status).toBe(200);
    advance(1);
    expect(await get("/healthz")).toMatchObject({ status: 503, body: `no tick has ended for 180s (the last at ${lastEnded})\n` });

    metrics.observe({ event: "tick-finished", tick: 2, outcome: changed });
    expect((await get("/healthz")).status).toBe(200);
  });

  it("stays 200 through a backed-off sleep longer than 3 intervals", async () => {
    const { metrics, advance, at } = clocked();
    metrics.recordTick({ ...changed, result: "failed" });
    metrics.observe({ event: "sleeping", delayMs: 4.4 * INTERVAL, nextTickAt: new Date(at() + 4.4 * INTERVAL) });
    advance(4.4 * INTERVAL + INTERVAL);
    expect(metrics.health()).toEqual({ healthy: true });
    advance(INTERVAL);
    expect(metrics.health()).toMatchObject({ healthy: false });
  });

  it("is 503 once the loop is stopping", async () => {
    const { metrics } = clocked();
    metrics.recordTick(changed);
    metrics.observe({ event: "stopping", reason: "SIGTERM" });
    const { get } = await serve(metrics);
    expect(await get("/healthz")).toMatchObject({ status: 503, body: "the loop is stopping: SIGTERM\n" });
  });
});

describe("startMetricsServer", () => {
  it("answers 404 for any other path or method", async () => {
    const { server, get } = await serve(clocked().metrics);
    expect((await get("/")).status).toBe(404);
    expect((await get("/metrics/extra")).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: "POST" })).status).toBe(404);
  });

  it("refuses a port already in use", async () => {
    const { server } = await serve(clocked().metrics);
    await expect(startMetricsServer(clocked().metrics, { port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it("stops listening once closed, with a scraper's keep-alive connection left open", async () => {
    const server = await startMetricsServer(clocked().metrics, { port: 0 });
    const url = `http://127.0.0.1:${server.port}/healthz`;
    expect((await fetch(url)).status).toBe(200);
    await server.close();
    await expect(fetch(url)).rejects.toThrow();
  });
});
