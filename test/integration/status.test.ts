import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { acquireLease } from "../../src/aws/lease.js";
import { stackStatus } from "../../src/engine/index.js";
import type { StatusJson } from "../../src/plan/render-status.js";
import type { AutoScalingStatus, ServiceStatus, StackStatus } from "../../src/plan/status.js";
import type { Spec } from "../../src/schema/index.js";
import { startReconcile } from "../support/cli.js";
import { applySpec, CREDENTIALS, session, specFile, specFrom, uniqueStack } from "../support/engine.js";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { MOTO_RUNNING_TASKS } from "../support/global-setup.js";
import { motoClientConfig } from "../support/moto-env.js";
import { ecsStackYaml, SCALED_SERVICE_YAML } from "../support/specs.js";

/**
 * `reconcile status` of a small stack against moto: a service behind a target group and a load balancer, with auto
 * scaling. moto answers some of it with nothing, and the tests say where:
 * - service events are always empty, and ECS registers no targets, so DescribeTargetHealth lists none;
 * - DescribeScalingActivities is not implemented (HTTP 500): a proxy in front of moto answers it as AWS does, with
 *   one activity of the service (in the form of the AWS CLI reference's example) and one of another resource id;
 *   without the proxy the status reports the part it could not read and the rest.
 */
const stack = uniqueStack("status");
const SCALING = `${SCALED_SERVICE_YAML}targetGroups:
  web: { port: 8080 }
loadBalancers:
  web:
    securityGroups: [web]
    listeners:
      http: { protocol: HTTP, port: 80, defaultAction: { forward: web } }
`;
const yaml = `${ecsStackYaml(stack, { desiredCount: MOTO_RUNNING_TASKS, targetGroup: true })}${SCALING}`;
const resourceId = `service/${stack}-main/${stack}-web`;

const ACTIVITY = {
  ScalableDimension: "ecs:service:DesiredCount",
  ServiceNamespace: "ecs",
  ActivityId: "e6c5f7d1-dbbb-4a3f-89b2-51f33e766399",
  Description: "Setting desired count to 2.",
  Cause: `monitor alarm ${stack}-web-burst in state ALARM triggered policy ${stack}-burst`,
  StartTime: 1764633600,
  EndTime: 1764633630,
  StatusCode: "Successful",
  StatusMessage: "Successfully set desired count to 2. Change successfully fulfilled by ecs.",
};

const aws = createClients({ ...motoClientConfig(), maxAttempts: 2 });
let spec: Spec;
let proxy: FaultProxy;

beforeAll(async () => {
  spec = await specFrom(yaml);
  proxy = await startFaultProxy(inject("motoEndpoint"), {
    standIns: {
      DescribeScalingActivities: (request) => ({
        ScalingActivities: [
          { ...ACTIVITY, ResourceId: request.ResourceId },
          { ...ACTIVITY, ActivityId: "another", ResourceId: `${String(request.ResourceId)}-other`, StartTime: 1764637200 },
        ],
      }),
    },
  });
  const { results } = await applySpec(spec);
  expect(results.filter((r) => r.outcome !== "done")).toEqual([]);
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  if (spec) await applySpec(spec, "delete");
  aws.destroy();
}, 60_000);

async function statusThrough(endpoint: string, of: Spec = spec): Promise<StackStatus> {
  const s = session(of, endpoint);
  try {
    return await stackStatus(of, s.ctx);
  } finally {
    s.close();
  }
}

const statusOf = <T>(status: StackStatus, address: string) => status.resources.find((r) => r.address === address)?.status as T;

describe("stackStatus against moto", () => {
  it("reports each live resource, the drift and the lease holder, with reads only", async () => {
    const lease = await acquireLease(aws, stack, {
      host: "ci-runner-7",
      pid: 4242,
      startedAt: "2026-12-01T22:39:00.000Z",
      command: "reconcile apply",
    });
    proxy.reset();
    let status: StackStatus;
    try {
      status = await statusThrough(proxy.endpoint);
    } finally {
      await lease.release();
    }
    expect(proxy.seen.filter((r) => !/^(Describe|List|Get)/.test(r.action))).toEqual([]);
    const calls = (action: string) => proxy.seen.filter((r) => r.action === action).length;
    // Batched: one DescribeTargetHealth per group, one DescribeScalingActivities per service, one GetItem for the lease.
    expect([calls("DescribeTargetHealth"), calls("DescribeScalingActivities"), calls("GetItem")]).toEqual([1, 1, 1]);

    expect(status).toMatchObject({ stack, region: "us-east-1", unavailable: [] });
    expect(status.drift).toEqual({ inSync: true, summary: expect.objectContaining({ add: 0, change: 0 }), changes: [] });
    expect(status.lock).toEqual({
      holder: { host: "ci-runner-7", pid: 4242, startedAt: "2026-12-01T22:39:00.000Z", command: "reconcile apply" },
      expiresAt: lease.info.expiresAt.toISOString(),
      expired: false,
    });
    expect(status.resources.map((r) => [r.address, r.status.kind])).toEqual([
      ["targetGroups.web", "targetGroup"],
      ["loadBalancers.web", "loadBalancer"],
      ["services.web", "service"],
      ["autoScaling.web", "autoScaling"],
    ]);

    const service = statusOf<ServiceStatus>(status, "services.web");
    // moto: every service reports MOTO_RUNNING_TASKS running, and no events.
    expect(service).toMatchObject({ cluster: `${stack}-main`, status: "ACTIVE", desired: 2, running: 2, pending: 0, events: [] });
    expect(service.deployments).toEqual([
      expect.objectContaining({ status: "PRIMARY", rolloutState: "COMPLETED", taskDefinition: `${stack}-web:1`, running: 2, desired: 2 }),
    ]);
    // moto: ECS registers no targets.
    expect(statusOf(status, "targetGroups.web")).toEqual({ kind: "targetGroup", targets: [] });

    const lb = (await aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [`${stack}-web`] }))).LoadBalancers![0]!;
    expect(statusOf(status, "loadBalancers.web")).toEqual({
      kind: "loadBalancer",
      dnsName: lb.DNSName,
      state: expect.stringMatching(/^(provisioning|active)$/),
      scheme: "internet-facing",
    });

    const scaling = statusOf<AutoScalingStatus>(status, "autoScaling.web");
    expect(scaling).toMatchObject({ minCapacity: 1, maxCapacity: 3 });
    // Only the activity of this service's resource id, from the proxy's stand-in answer.
    expect(scaling.activities).toEqual([
      {
        at: "2025-12-02T00:00:00.000Z",
        status: "Successful",
        description: "Setting desired count to 2.",
        cause: ACTIVITY.Cause,
        message: ACTIVITY.StatusMessage,
      },
    ]);
    // The two alarms AWS (and moto) makes for the target tracking policy, and the step policy's own, each with its state.
    expect(scaling.alarms.map((a) => a.policy)).toEqual([`${stack}-burst`, `${stack}-cpu`, `${stack}-cpu`]);
    expect(scaling.alarms[0]!.name).toBe(`${stack}-web-burst`);
    expect(scaling.alarms.slice(1).map((a) => a.name)).toEqual([
      expect.stringMatching(new RegExp(`^TargetTracking-${resourceId}-AlarmHigh-`)),
      expect.stringMatching(new RegExp(`^TargetTracking-${resourceId}-AlarmLow-`)),
    ]);
    for (const alarm of scaling.alarms) expect(alarm.state).toMatch(/^(OK|ALARM|INSUFFICIENT_DATA)$/);
  });

  it("says what differs from the spec", async () => {
    const changed = await specFrom(yaml.replace("web: { port: 8080 }", "web: { port: 8080, healthCheck: { path: /health } }"));
    const status = await statusThrough(proxy.endpoint, changed);
    expect(status.drift).toEqual({
      inSync: false,
      summary: expect.objectContaining({ change: 1 }),
      changes: [{ address: "targetGroups.web", action: "update" }],
    });
    expect(status.lock).toBeUndefined();
  });

  it("reports a part it cannot read and the rest (moto has no DescribeScalingActivities)", async () => {
    const status = await statusThrough(inject("motoEndpoint"));
    expect(status.unavailable).toEqual([{ what: "autoScaling", error: expect.stringContaining("DescribeScalingActivities") }]);
    expect(status.resources.map((r) => r.address)).toEqual(["targetGroups.web", "loadBalancers.web", "services.web"]);
  });
});

describe("reconcile status", () => {
  const cli = async (...args: string[]) => startReconcile([...args, "--endpoint", proxy.endpoint], CREDENTIALS).exited;

  it("prints the status as text and as JSON, exit 0", async () => {
    const file = specFile(yaml);
    const [text, json] = await Promise.all([cli("status", "-f", file), cli("status", "-f", file, "--json", "--stats")]);

    expect([text.code, text.stderr]).toEqual([0, ""]);
    const lines = text.stdout.split("\n");
    expect(lines.slice(1, 3)).toEqual(["  lock: free", "  spec: in sync: the live resources match the spec"]);
    expect(lines).toContain(`targetGroups.web (${stack}-web): no targets registered`);
    expect(lines).toContain(`services.web (${stack}-web) in ${stack}-main: ACTIVE, 2 desired, 2 running, 0 pending`);
    expect(lines).toContain(`autoScaling.web (${resourceId}): between 1 and 3 tasks`);
    expect(lines.some((l) => /^ {4}2025-12-02T00:00:00Z Successful: Setting desired count to 2\./.test(l))).toBe(true);

    expect([json.code, json.stderr]).toEqual([0, ""]);
    const parsed = JSON.parse(json.stdout) as StatusJson;
    expect(parsed).toMatchObject({ formatVersion: 1, stack, drift: { inSync: true }, unavailable: [] });
    expect(parsed.resources.map((r) => r.address)).toEqual(["targetGroups.web", "loadBalancers.web", "services.web", "autoScaling.web"]);
    // Read only: not one write among the calls the status took.
    expect(parsed.stats).toMatchObject({ writes: 0, calls: expect.any(Number) });
    expect(parsed.stats!.byAction).toContainEqual(expect.objectContaining({ action: "DescribeTargetHealth", calls: 1, write: false }));
  });

  it("exits 1 when the stack cannot be read", async () => {
    const failed = await startReconcile(["status", "-f", specFile(yaml), "--endpoint", "http://127.0.0.1:9"], CREDENTIALS).exited;
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`reconcile: cannot read the status of stack ${stack}:`);
  });
});
