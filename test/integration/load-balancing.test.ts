import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetResourcesCommand } from "@aws-sdk/client-resource-groups-tagging-api";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { awsErrorIs, createClients } from "../../src/aws/index.js";
import { applyPlan, planStack } from "../../src/engine/index.js";
import type { Spec } from "../../src/schema/index.js";
import { applySpec, changesOf, planSpec, session, specFrom, uniqueStack } from "../support/engine.js";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { motoClientConfig } from "../support/moto-env.js";
import { recordCalls } from "../support/reconciler-tests.js";
import { ecsYaml, REFERENCE_TARGET_GROUP_AWS } from "../support/specs.js";

const aws = createClients({ ...motoClientConfig(), maxAttempts: 1 });
// A run that stops half-way is made with a proxy that fails chosen calls (moto itself never fails).
let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(inject("motoEndpoint"));
});
afterAll(async () => {
  aws.destroy();
  await proxy.close();
});

interface Knobs {
  port?: number;
  intervalSeconds?: number;
  targetGroupExtra?: string;
  loadBalancerExtra?: string;
  defaultAction?: string;
  rules?: string;
}

/**
 * The reference system's target group, load balancer and listener (examples/microblog.yaml), under names of
 * the test's own. The target group is named explicitly, as `tgCurso107` is, so that replacements exercise the
 * naming scheme for explicit names. The groups are the stack's own rather than the shared `default`.
 */
function lbYaml(stack: string, k: Knobs = {}): string {
  return `
stack: ${stack}
region: us-east-1
tags: { project: lb-test }
network:
  vpc: default
  subnets: { availabilityZones: [us-east-1a, us-east-1b] }
securityGroups:
  web:
    ingress: [{ port: 8080, cidr: 0.0.0.0/0 }]
targetGroups:
  web:
    name: tg${stack.slice(2)}
    targetType: ip
    protocol: HTTP
    protocolVersion: HTTP1
    port: ${k.port ?? 8080}
    healthCheck:
      protocol: HTTP
      port: traffic-port
      path: /
      healthyThreshold: 5
      unhealthyThreshold: 2
      timeoutSeconds: 5
      intervalSeconds: ${k.intervalSeconds ?? 15}
      matcher: 200-299
${k.targetGroupExtra ?? ""}
loadBalancers:
  web:
    name: alb${stack.slice(2)}
    scheme: internet-facing
    ipAddressType: ipv4
    securityGroups: [web]
${k.loadBalancerExtra ?? ""}
    listeners:
      http:
        protocol: HTTP
        port: 8080
        defaultAction: ${k.defaultAction ?? "{ forward: web }"}
${k.rules ?? ""}
`;
}

/** plan + apply, recording the ELBv2 calls in the order they were sent. */
async function applyRecording(spec: Spec, mode: "apply" | "delete" = "apply") {
  const s = session(spec);
  const elb = recordCalls(s.ctx.clients.elbv2);
  try {
    const planned = await planStack(spec, s.ctx, mode);
    elb.reset();
    const results = await applyPlan(planned, s.ctx);
    return { plan: planned.plan, results, stats: s.stats.snapshot(), elbCalls: elb.sent };
  } finally {
    s.close();
  }
}

const writesOf = (stats: { byAction: Array<{ action: string; calls: number; write: boolean }> }) =>
  Object.fromEntries(stats.byAction.filter((c) => c.write).map((c) => [c.action, c.calls]));

async function targetGroupNamed(name: string) {
  try {
    return (await aws.elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] }))).TargetGroups?.[0];
  } catch (error) {
    if (awsErrorIs(error, "TargetGroupNotFound")) return undefined;
    throw error;
  }
}

async function loadBalancerNamed(name: string) {
  try {
    return (await aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers?.[0];
  } catch (error) {
    if (awsErrorIs(error, "LoadBalancerNotFound")) return undefined;
    throw error;
  }
}

async function listenerOf(loadBalancerArn: string) {
  return (await aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }))).Listeners?.[0];
}

async function expectConverged(spec: Spec) {
  const again = await planSpec(spec);
  expect(changesOf(again.plan)).toEqual({});
  expect(again.stats.writes).toBe(0);
}

describe("load balancing against moto", () => {
  it("creates the reference target group, load balancer and listener with the reference values, prints the DNS name, and converges", async () => {
    const stack = uniqueStack("lb");
    const spec = await specFrom(lbYaml(stack));

    const first = await applyRecording(spec);
    expect(first.results.filter((r) => r.outcome !== "done")).toEqual([]);
    expect(changesOf(first.plan)).toMatchObject({
      "targetGroups.web": "create",
      "loadBalancers.web": "create",
      "listeners.web.http": "create",
    });

    const tg = await targetGroupNamed(`tg${stack.slice(2)}`);
    expect(tg).toMatchObject(REFERENCE_TARGET_GROUP_AWS);
    const lb = await loadBalancerNamed(`alb${stack.slice(2)}`);
    expect(lb).toMatchObject({ Type: "application", Scheme: "internet-facing", IpAddressType: "ipv4" });
    expect(lb?.AvailabilityZones?.map((z) => z.ZoneName).sort()).toEqual(["us-east-1a", "us-east-1b"]);
    const listener = await listenerOf(lb!.LoadBalancerArn!);
    expect(listener).toMatchObject({ Protocol: "HTTP", Port: 8080 });
    expect(listener?.DefaultActions?.[0]).toMatchObject({ Type: "forward", TargetGroupArn: tg!.TargetGroupArn });

    const lbResult = first.results.find((r) => r.address === "loadBalancers.web");
    expect(lbResult?.outputs).toEqual({ dnsName: lb!.DNSName });

    await expectConverged(spec);
    // Target groups (observe and discover), load balancers and listeners all look for the stack's resources by tag: one query serves them all.
    expect((await planSpec(spec)).stats.byAction.find((c) => c.action === "GetResources")).toMatchObject({ calls: 1 });
    await applyRecording(spec, "delete");
  });

  it("changes each mutable field with exactly the one call it needs", async () => {
    const stack = uniqueStack("lbm");
    await applyRecording(await specFrom(lbYaml(stack)));

    const steps: Array<{ why: string; knobs: Knobs; writes: Record<string, number> }> = [
      { why: "a health-check field", knobs: { intervalSeconds: 30 }, writes: { ModifyTargetGroup: 1 } },
      {
        why: "a target group attribute",
        knobs: { intervalSeconds: 30, targetGroupExtra: "    deregistrationDelaySeconds: 30" },
        writes: { ModifyTargetGroupAttributes: 1 },
      },
      {
        why: "a load balancer attribute",
        knobs: {
          intervalSeconds: 30,
          targetGroupExtra: "    deregistrationDelaySeconds: 30",
          loadBalancerExtra: "    idleTimeoutSeconds: 120",
        },
        writes: { ModifyLoadBalancerAttributes: 1 },
      },
      {
        why: "the load balancer's subnets",
        knobs: {
          intervalSeconds: 30,
          targetGroupExtra: "    deregistrationDelaySeconds: 30",
          loadBalancerExtra: "    idleTimeoutSeconds: 120\n    subnets: { availabilityZones: [us-east-1a, us-east-1b, us-east-1c] }",
        },
        writes: { SetSubnets: 1 },
      },
      {
        why: "the listener's default action",
        knobs: {
          intervalSeconds: 30,
          targetGroupExtra: "    deregistrationDelaySeconds: 30",
          loadBalancerExtra: "    idleTimeoutSeconds: 120\n    subnets: { availabilityZones: [us-east-1a, us-east-1b, us-east-1c] }",
          defaultAction: "{ fixedResponse: { statusCode: '503', contentType: text/plain, messageBody: down for maintenance } }",
          rules:
            "        rules:\n          app:\n            priority: 10\n            conditions: { pathPatterns: ['/*'] }\n            action: { forward: web }",
        },
        writes: { ModifyListener: 1, CreateRule: 1 },
      },
    ];
    for (const step of steps) {
      const spec = await specFrom(lbYaml(stack, step.knobs));
      const run = await applyRecording(spec);
      expect(
        run.results.filter((r) => r.outcome !== "done"),
        step.why,
      ).toEqual([]);
      expect(writesOf(run.stats), step.why).toEqual(step.writes);
      await expectConverged(spec);
    }
    await applyRecording(await specFrom(lbYaml(stack)), "delete");
  });

  it("replaces a target group on a port change without ever leaving the listener pointing at nothing, and keeps the explicit name when it can", async () => {
    const stack = uniqueStack("lbr");
    const explicit = `tg${stack.slice(2)}`;
    await applyRecording(await specFrom(lbYaml(stack)));
    const original = await targetGroupNamed(explicit);

    const moved = await specFrom(lbYaml(stack, { port: 8081 }));
    const run = await applyRecording(moved);
    const replacement = run.plan.resources.find((r) => r.address === "targetGroups.web");
    expect(replacement).toMatchObject({ action: "replace", createBeforeDelete: true, replaceFields: ["port"] });
    expect(run.results.filter((r) => r.outcome !== "done")).toEqual([]);

    // The new group is created first, the listener moves to it, and only then is the old one deleted: at
    // once, with no "in use" answer to wait out.
    const writes = run.elbCalls.filter((c) => !/^Describe/.test(c.action));
    expect(writes.map((c) => c.action)).toEqual(["CreateTargetGroup", "ModifyListener", "DeleteTargetGroup"]);
    const successorName = writes[0]!.input.Name as string;
    expect(successorName).not.toBe(explicit);
    const successor = await targetGroupNamed(successorName);
    expect(JSON.stringify(writes[1]!.input.DefaultActions)).toContain(successor!.TargetGroupArn!);
    expect(writes[2]!.input.TargetGroupArn).toBe(original!.TargetGroupArn);
    expect(run.stats.byAction.find((c) => c.action === "DeleteTargetGroup")).toMatchObject({ calls: 1, attempts: 1 });
    expect(successor?.Port).toBe(8081);
    expect(await targetGroupNamed(explicit)).toBeUndefined();
    await expectConverged(moved);

    // The next generation takes the explicit name back.
    const back = await specFrom(lbYaml(stack, { port: 8082 }));
    await applyRecording(back);
    expect((await targetGroupNamed(explicit))?.Port).toBe(8082);
    expect(await targetGroupNamed(successorName)).toBeUndefined();
    await expectConverged(back);
    await applyRecording(back, "delete");
  });

  it("moves an ECS service to a replaced target group before the old group is deleted", async () => {
    const stack = uniqueStack("lbs");
    const withService = (port: number) => lbYaml(stack, { port }) + ecsYaml({ targetGroup: true });
    const first = await specFrom(withService(8080));
    await applySpec(first);
    const original = await targetGroupNamed(`tg${stack.slice(2)}`);

    const moved = await specFrom(withService(8081));
    const s = session(moved);
    const calls = recordCalls(s.ctx.clients.elbv2);
    recordCalls(s.ctx.clients.ecs, calls.sent);
    try {
      const planned = await planStack(moved, s.ctx, "apply");
      expect(changesOf(planned.plan)).toEqual({ "targetGroups.web": "replace", "listeners.web.http": "update", "services.web": "update" });
      calls.reset();
      const results = await applyPlan(planned, s.ctx);
      expect(results.filter((r) => r.outcome !== "done")).toEqual([]);
    } finally {
      s.close();
    }
    // The old group goes last, once neither the listener nor the service uses it.
    expect(calls.writes()).toEqual(["CreateTargetGroup", "ModifyListener", "UpdateService", "DeleteTargetGroup"]);
    const successor = calls.sent[0]!.input.Name as string;
    const update = calls.sent.find((c) => c.action === "UpdateService")!.input;
    expect(update.loadBalancers).toEqual([
      { targetGroupArn: (await targetGroupNamed(successor))!.TargetGroupArn, containerName: "app", containerPort: 8080 },
    ]);
    expect(calls.sent.find((c) => c.action === "DeleteTargetGroup")!.input.TargetGroupArn).toBe(original!.TargetGroupArn);
    await expectConverged(moved);
    await applySpec(moved, "delete");
  });

  it("repairs, on the next run, a target group replacement that stopped before the listener moved", async () => {
    const stack = uniqueStack("lbc");
    const explicit = `tg${stack.slice(2)}`;
    await applyRecording(await specFrom(lbYaml(stack)));
    const original = await targetGroupNamed(explicit);

    // Every attempt at moving the listener fails (3 attempts with the tests' retry policy).
    const moved = await specFrom(lbYaml(stack, { port: 8081 }));
    proxy.inject({ action: "ModifyListener", fault: "unavailable", times: 3 });
    const broken = await applySpec(moved, "apply", proxy.endpoint);
    const byAddress = new Map(broken.results.map((r) => [r.address, r]));
    expect(byAddress.get("listeners.web.http")?.outcome).toBe("failed");
    expect(byAddress.get("targetGroups.web")).toMatchObject({
      outcome: "failed",
      error: expect.stringMatching(/new one was created, but the old one .* was kept because listeners\.web\.http failed/),
    });
    // The old group still serves the listener: nothing points at nothing.
    expect(await targetGroupNamed(explicit)).toMatchObject({ TargetGroupArn: original!.TargetGroupArn });

    const repair = await applyRecording(moved);
    expect(repair.plan.resources.filter((r) => r.action !== "noop" && r.action !== "read").map((r) => [r.address, r.action])).toEqual([
      ["listeners.web.http", "update"],
      ["targetGroups.web", "delete"],
    ]);
    expect(repair.results.filter((r) => r.outcome !== "done")).toEqual([]);
    expect(await targetGroupNamed(explicit)).toBeUndefined();
    await expectConverged(moved);
    await applyRecording(moved, "delete");
  });

  it("replaces a load balancer whose scheme changes, deleting it first, and makes its listener again on the new one", async () => {
    const stack = uniqueStack("lbs");
    await applyRecording(await specFrom(lbYaml(stack)));
    const before = await loadBalancerNamed(`alb${stack.slice(2)}`);

    const internal = await specFrom(
      lbYaml(stack, { loadBalancerExtra: "    scheme: internal" }).replace("    scheme: internet-facing\n", ""),
    );
    const run = await applyRecording(internal);
    // The listener on the new load balancer is a new one; the old one is an older copy, gone with its load balancer.
    expect(run.plan.resources.filter((r) => r.action !== "noop" && r.action !== "read").map((r) => [r.address, r.action])).toEqual([
      ["loadBalancers.web", "replace"],
      ["listeners.web.http", "create"],
      ["listeners.web.http", "delete"],
    ]);
    expect(run.results.filter((r) => r.outcome !== "done")).toEqual([]);
    const after = await loadBalancerNamed(`alb${stack.slice(2)}`);
    expect(after).toMatchObject({ Scheme: "internal" });
    expect(after?.LoadBalancerArn).not.toBe(before?.LoadBalancerArn);
    expect(await listenerOf(after!.LoadBalancerArn!)).toMatchObject({ Port: 8080, Protocol: "HTTP" });
    await expectConverged(internal);
    await applyRecording(internal, "delete");
  });

  it("deletes the stack's listener, load balancer, target group and groups, leaving nothing tagged as the stack's", async () => {
    const stack = uniqueStack("lbd");
    const spec = await specFrom(
      lbYaml(stack, {
        rules:
          "        rules:\n          api:\n            priority: 5\n            conditions: { pathPatterns: ['/api/*'] }\n            action: { forward: web }",
      }),
    );
    await applyRecording(spec);
    const lb = await loadBalancerNamed(`alb${stack.slice(2)}`);

    const gone = await applyRecording(spec, "delete");
    expect(gone.results.filter((r) => r.outcome !== "done")).toEqual([]);
    const order = gone.plan.resources.map((r) => r.address);
    expect(order.indexOf("listeners.web.http")).toBeLessThan(order.indexOf("targetGroups.web"));
    expect(order.indexOf("listeners.web.http")).toBeLessThan(order.indexOf("loadBalancers.web"));
    expect(order.indexOf("loadBalancers.web")).toBeLessThan(order.indexOf("securityGroups.web"));

    expect(await loadBalancerNamed(lb!.LoadBalancerName!)).toBeUndefined();
    expect(await targetGroupNamed(`tg${stack.slice(2)}`)).toBeUndefined();
    const tagged = await aws.tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: "reconcile:stack", Values: [stack] }] }));
    expect(tagged.ResourceTagMappingList ?? []).toEqual([]);

    const again = await applyRecording(spec, "delete");
    expect(again.plan.resources.filter((r) => r.action === "delete")).toEqual([]);
  });
});
