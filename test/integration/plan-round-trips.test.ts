import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMoto } from "../../scripts/moto.mjs";
import type { Spec } from "../../src/schema/index.js";
import { applySpec, planSpec, specFrom } from "../support/engine.js";
import { sequentialRoundTrips, startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { MOTO_RUNNING_TASKS } from "../support/global-setup.js";

/**
 * How long a plan waits on AWS, counted as a real run would wait: the proxy holds each call 50 ms (about a real AWS
 * call; moto answers in about a millisecond), so the order of calls in its log is the order a run against AWS
 * would wait for them in. The stack is applied to a moto server of its own: in the suite's shared one, the other
 * test files' roles, services and namespaces make the account's listings longer (more pages) as they run, and the
 * figures would depend on what else ran first.
 */
const EXAMPLE = readFileSync(fileURLToPath(new URL("../../examples/microblog.yaml", import.meta.url)), "utf8");

describe("the AWS round trips of a plan", () => {
  let moto: { endpoint: string; stop(): Promise<void> };
  let proxy: FaultProxy;
  let spec: Spec;

  beforeAll(async () => {
    moto = await startMoto({ ecsServiceRunning: MOTO_RUNNING_TASKS });
    proxy = await startFaultProxy(moto.endpoint, { latencyMs: 50 });
    spec = await specFrom(EXAMPLE);
    const { results } = await applySpec(spec, "apply", moto.endpoint, { wait: { timeoutMs: 60_000 } });
    expect(results.filter((r) => r.outcome !== "done")).toEqual([]);
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await moto?.stop();
  });

  it("a no-op plan of examples/microblog.yaml waits for at most 8 round trips one after the other, with no more calls than before", async () => {
    proxy.reset();
    const { plan, stats } = await planSpec(spec, "apply", proxy.endpoint);
    expect(plan.resources.filter((r) => r.action !== "noop" && r.action !== "read")).toEqual([]);
    const roundTrips = sequentialRoundTrips(proxy.seen);
    console.log(`no-op plan of examples/microblog.yaml: ${stats.calls} calls, ${roundTrips} sequential round trips`);
    expect(stats.writes).toBe(0);
    // Before the observation waves: 37 calls in 29 sequential round trips.
    // 37 until issue 15: auto scaling's ownership comes from its services' DescribeServices (+1) and its discover lists
    // every ECS scalable target (+1), where both rested on the Tagging API alone.
    expect(stats.calls).toBeLessThanOrEqual(39);
    expect(roundTrips).toBeLessThanOrEqual(8);
  });
});
