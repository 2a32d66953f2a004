import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { applySpec, changesOf, planSpec, specFrom, uniqueStack } from "../support/engine.js";

// moto never throttles or fails: the faults come from a proxy between the SDK and moto (test/support/fault-proxy.ts).
let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(inject("motoEndpoint"));
});
afterAll(() => proxy.close());

const spec = (stack: string) =>
  specFrom(`
stack: ${stack}
region: us-east-1
network: { vpc: default, subnets: { availabilityZones: [us-east-1a] } }
securityGroups:
  alb: { ingress: [{ port: 80, cidr: 0.0.0.0/0 }] }
  tasks: { ingress: [{ port: 8080, securityGroup: alb }] }
roles:
  exec: { trustedServices: [ecs-tasks.amazonaws.com] }
logGroups:
  app: { retentionDays: 7 }
`);

describe("engine under AWS faults", () => {
  it("retries throttling and converges, the retries counted", async () => {
    const s = await spec(uniqueStack("thr"));
    proxy.inject({ action: "CreateRole", fault: "throttle", times: 2 });
    proxy.inject({ action: "CreateLogGroup", fault: "drop" });
    const run = await applySpec(s, "apply", proxy.endpoint);
    expect(run.results.every((r) => r.outcome === "done")).toBe(true);
    const count = (action: string) => run.stats.byAction.find((c) => c.action === action);
    expect(count("CreateRole")).toMatchObject({ calls: 1, attempts: 3 });
    expect(count("CreateLogGroup")).toMatchObject({ calls: 1, attempts: 2 });
    expect(changesOf((await planSpec(s)).plan)).toEqual({});
    await applySpec(s, "delete");
  });

  it("skips what depends on a failed resource, finishes the rest, and the next run repairs it", async () => {
    const s = await spec(uniqueStack("fail"));
    // Six 503s: as many as the two groups' CreateSecurityGroup calls can make attempts (3 each), so both fail for good.
    proxy.inject({ action: "CreateSecurityGroup", fault: "unavailable", times: 6 });
    const broken = await applySpec(s, "apply", proxy.endpoint);
    const outcome = Object.fromEntries(broken.results.map((r) => [r.address, r.outcome]));
    expect(outcome).toEqual({
      network: "done",
      "securityGroups.alb": "failed",
      "securityGroups.tasks": "failed",
      "roles.exec": "done",
      "logGroups.app": "done",
      "securityGroupRules.alb": "skipped",
      "securityGroupRules.tasks": "skipped",
    });
    const byAddress = new Map(broken.results.map((r) => [r.address, r]));
    expect(byAddress.get("securityGroups.alb")?.error).toMatch(/^ec2 CreateSecurityGroup: .*HTTP 503/);
    expect(byAddress.get("securityGroupRules.alb")?.skippedBecause).toBe("securityGroups.alb");
    expect(["securityGroups.alb", "securityGroups.tasks"]).toContain(byAddress.get("securityGroupRules.tasks")?.skippedBecause);

    const repaired = await applySpec(s);
    expect(changesOf(repaired.plan)).toEqual({
      "securityGroups.alb": "create",
      "securityGroups.tasks": "create",
      "securityGroupRules.alb": "create",
      "securityGroupRules.tasks": "create",
    });
    expect(repaired.results.every((r) => r.outcome === "done")).toBe(true);
    expect(changesOf((await planSpec(s)).plan)).toEqual({});
    await applySpec(s, "delete");
  });
});
