import { readFileSync } from "node:fs";
import type { DescribeServicesCommandOutput, Service } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { AwsClients } from "../../src/aws/index.js";
import {
  ServiceNotStableError,
  stabilityOf,
  waitForServiceInactive,
  waitForServiceStable,
  type Stability,
} from "../../src/reconcilers/ecs/stability.js";
import type { Context } from "../../src/reconcilers/contract.js";

/** Dates as the SDK hands them over: the fixtures hold AWS's epoch seconds or the CLI's ISO strings. */
function withDates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withDates);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      (key === "createdAt" || key === "updatedAt") && (typeof v === "number" || typeof v === "string")
        ? new Date(typeof v === "number" ? v * 1000 : v)
        : withDates(v),
    ]),
  );
}

/** The one service of a DescribeServices fixture. */
const fixture = (name: string): Service =>
  (
    withDates(JSON.parse(readFileSync(new URL(`../fixtures/aws/describe-services-${name}.json`, import.meta.url), "utf8"))) as {
      services: Service[];
    }
  ).services[0]!;

const OLD = "ecs-svc/1976744184940610707";
const NEW = "ecs-svc/2222222222222222222";
const BACK = "ecs-svc/3333333333333333333";

const steady = fixture("steady");
const rolledBack = fixture("rolled-back");
/** Once the rollback has drained the failed deployment, ECS drops it from the list; only the service's events still name it. */
const rolledBackAndDropped: Service = { ...rolledBack, deployments: rolledBack.deployments!.filter((d) => d.id !== NEW) };

describe("stabilityOf, on DescribeServices answers", () => {
  it.each<{ why: string; service: Service; deploymentId?: string; expected: Stability }>([
    {
      why: "a steady service from before rollout states (one PRIMARY deployment, no rolloutState, 10/10 running) is stable",
      service: steady,
      expected: { state: "stable" },
    },
    {
      why: "UpdateService's answer to a scale-up: the deployment is COMPLETED but the service runs 1 of its 2",
      service: fixture("scaling-up"),
      expected: { state: "waiting", summary: "deployment COMPLETED, 1/2 running" },
    },
    {
      why: "CreateService's answer: the first deployment, nothing running yet, shown by its status as it has no rollout state",
      service: fixture("first-deployment"),
      expected: { state: "waiting", summary: "deployment PRIMARY, 0/2 running" },
    },
    {
      why: "a rolling update half way shows the new deployment's own counts and what the previous one still runs",
      service: fixture("rolling-update"),
      expected: { state: "waiting", summary: "deployment IN_PROGRESS, 1/2 running, 1 pending, 1 older deployment with 2 running" },
    },
    {
      why: "the same, waiting for the deployment the change started, named by its id",
      service: fixture("rolling-update"),
      deploymentId: NEW,
      expected: { state: "waiting", summary: "deployment IN_PROGRESS, 1/2 running, 1 pending, 1 older deployment with 2 running" },
    },
    {
      why: "a deployment another change replaced (still listed, no failure anywhere) will never complete: failed, not rolled back",
      service: fixture("rolling-update"),
      deploymentId: OLD,
      expected: { state: "failed", reason: `replaced by deployment ${NEW} (MyTaskDefinition:2) before it completed` },
    },
    {
      why: "the circuit breaker without rollback fails the PRIMARY deployment: failed with AWS's reason",
      service: fixture("circuit-breaker-failed"),
      deploymentId: NEW,
      expected: { state: "failed", reason: "ECS deployment circuit breaker: tasks failed to start." },
    },
    {
      why: "the circuit breaker rolled back: our deployment is FAILED and no longer PRIMARY; the reason is its rolloutStateReason",
      service: rolledBack,
      deploymentId: NEW,
      expected: { state: "failed", reason: "rolled back to MyTaskDefinition:1: ECS deployment circuit breaker: tasks failed to start." },
    },
    {
      why: "rolled back, and the failed deployment already dropped from the list: the reason is the newest event naming it",
      service: rolledBackAndDropped,
      deploymentId: NEW,
      expected: {
        state: "failed",
        reason: `rolled back to MyTaskDefinition:1: (service my-http-service) (deployment ${NEW}) deployment failed: tasks failed to start.`,
      },
    },
    {
      why: "without a deployment id, a rollback in progress is just the PRIMARY deployment rolling out",
      service: rolledBack,
      expected: { state: "waiting", summary: "deployment IN_PROGRESS, 1/2 running, 1 pending, 1 older deployment with 0 running" },
    },
    {
      why: "the rollback deployment itself can be waited for by its id",
      service: rolledBackAndDropped,
      deploymentId: BACK,
      expected: { state: "waiting", summary: "deployment IN_PROGRESS, 1/2 running, 1 pending" },
    },
    {
      why: "every task running is not enough while ECS still reports the rollout IN_PROGRESS",
      service: { ...steady, deployments: [{ ...steady.deployments![0]!, rolloutState: "IN_PROGRESS" }] },
      expected: { state: "waiting", summary: "deployment IN_PROGRESS, 10/10 running" },
    },
    {
      why: "a task that stopped on a COMPLETED deployment: waiting until ECS replaces it",
      service: { ...steady, runningCount: 9, pendingCount: 1 },
      expected: { state: "waiting", summary: "deployment PRIMARY, 9/10 running, 1 pending" },
    },
    {
      why: "a service being deleted (DRAINING) will never be stable",
      service: { ...steady, status: "DRAINING" },
      expected: { state: "failed", reason: "the service is DRAINING" },
    },
    {
      why: "an INACTIVE service (deleted) will never be stable",
      service: { ...steady, status: "INACTIVE" },
      expected: { state: "failed", reason: "the service is INACTIVE" },
    },
  ])("$why", ({ service, deploymentId, expected }) => {
    expect(stabilityOf(service, deploymentId)).toEqual(expected);
  });
});

// The poll loop, with a stand-in ECS client answering a scripted sequence of DescribeServices: this tests the loop
// (what it reports, when it stops, what it throws), not AWS.
const inAMinute = new Date(Date.now() + 60_000);
const anHourAgo = new Date(Date.now() - 3_600_000);
const event = (id: string, message: string, createdAt = inAMinute) => ({ id, message, createdAt });

/** A context whose ECS client answers each DescribeServices with the next response (the last one repeating). */
function scripted(responses: Array<Partial<DescribeServicesCommandOutput> | Error>) {
  const lines: string[] = [];
  let calls = 0;
  const send = async () => {
    const next = responses[Math.min(calls++, responses.length - 1)]!;
    if (next instanceof Error) throw next;
    return next;
  };
  const ctx: Context = {
    stack: "test",
    region: "us-east-1",
    clients: { ecs: { send } } as unknown as AwsClients,
    progress: (resource, message) => lines.push(`${resource}: ${message}`),
  };
  return { ctx, lines, calls: () => calls };
}

const answer = (service: Service): Partial<DescribeServicesCommandOutput> => ({ services: [service], failures: [] });
const FAST = { minDelaySeconds: 0.01, maxDelaySeconds: 0.01 };
const WEB = { cluster: "apps", service: "arn:aws:ecs:us-east-1:123456789012:service/apps/web" };

const rolling = fixture("rolling-update");
const olderEvent = event("e0", "(service web) has reached a steady state.", anHourAgo);
const started = event("e1", "(service web) has started 1 tasks: (task a1).");
const registered = event("e2", "(service web) registered 1 targets in (target-group web).");
const stableAgain = event("e3", "(service web) has reached a steady state.");
const halfWay = { ...rolling, events: [started, olderEvent] };
const oneMoreEvent = { ...halfWay, events: [registered, started, olderEvent] };
const oldDraining = {
  ...oneMoreEvent,
  runningCount: 3,
  pendingCount: 0,
  deployments: [
    { ...rolling.deployments![0]!, runningCount: 2, pendingCount: 0 },
    { ...rolling.deployments![1]!, runningCount: 1 },
  ],
};
const done = {
  ...rolling,
  runningCount: 2,
  pendingCount: 0,
  deployments: [{ ...rolling.deployments![0]!, runningCount: 2, pendingCount: 0, rolloutState: "COMPLETED" as const }],
  events: [stableAgain, registered, started, olderEvent],
};

describe("waitForServiceStable's poll loop (a stand-in ECS client)", () => {
  it("reports each summary change once and each new event once, oldest first, and returns the stable service", async () => {
    const { ctx, lines, calls } = scripted([answer(halfWay), answer(oneMoreEvent), answer(oldDraining), answer(oldDraining), answer(done)]);

    const service = await waitForServiceStable(ctx, { ...WEB, deploymentId: NEW }, { timeoutMs: 10_000 }, FAST);

    expect(service).toBe(done);
    expect(calls()).toBe(5);
    expect(lines).toEqual([
      `web: ${started.message}`,
      "web: deployment IN_PROGRESS, 1/2 running, 1 pending, 1 older deployment with 2 running",
      `web: ${registered.message}`,
      "web: deployment IN_PROGRESS, 2/2 running, 1 older deployment with 1 running",
      `web: ${stableAgain.message}`,
      "web: stable, 2/2 running",
    ]);
  });

  it("returns at once, with one line, when the service is already stable", async () => {
    const { ctx, lines, calls } = scripted([answer(steady)]);
    await waitForServiceStable(ctx, WEB, { timeoutMs: 10_000 }, FAST);
    expect(calls()).toBe(1);
    expect(lines).toEqual(["web: stable, 10/10 running"]);
  });

  it("throws with AWS's reason when the circuit breaker fails the deployment, after reporting the failure's event", async () => {
    const failedAtAws = fixture("circuit-breaker-failed");
    // The fixture's events are from 2024, before this wait began: dated now, they are news to report.
    const failed = { ...failedAtAws, events: failedAtAws.events!.map((e) => ({ ...e, createdAt: inAMinute })) };
    const { ctx, lines } = scripted([answer(halfWay), answer(failed)]);

    const error = await waitForServiceStable(ctx, { ...WEB, deploymentId: NEW }, { timeoutMs: 10_000 }, FAST).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ServiceNotStableError);
    expect((error as Error).message).toBe(`service web: deployment ${NEW} failed: ECS deployment circuit breaker: tasks failed to start.`);
    expect(lines.at(-1)).toBe(`web: (service my-http-service) (deployment ${NEW}) deployment failed: tasks failed to start.`);
  });

  it("throws 'rolled back' when the circuit breaker took the service back to the previous task definition", async () => {
    const { ctx } = scripted([answer(halfWay), answer(rolledBackAndDropped)]);
    await expect(waitForServiceStable(ctx, { ...WEB, deploymentId: NEW }, { timeoutMs: 10_000 }, FAST)).rejects.toThrow(
      `service web: deployment ${NEW} failed: rolled back to MyTaskDefinition:1: (service my-http-service) (deployment ${NEW}) deployment failed`,
    );
  });

  it.each([
    {
      why: "the service was deleted meanwhile (DescribeServices answers MISSING)",
      response: { services: [], failures: [{ reason: "MISSING" }] },
      message: "service web failed: the service is MISSING",
    },
    {
      why: "the cluster was deleted meanwhile",
      response: Object.assign(new Error("Cluster not found."), { name: "ClusterNotFoundException" }),
      message: "service web failed: cluster apps not found",
    },
  ])("stops waiting when $why", async ({ response, message }) => {
    const { ctx } = scripted([answer(halfWay), response]);
    await expect(waitForServiceStable(ctx, WEB, { timeoutMs: 10_000 }, FAST)).rejects.toThrow(new ServiceNotStableError(message));
  });

  it("throws the last summary and the newest event when the time runs out", async () => {
    const { ctx, calls } = scripted([answer(oneMoreEvent)]);
    const started = Date.now();

    const error = await waitForServiceStable(ctx, WEB, { timeoutMs: 300 }, { minDelaySeconds: 0.05, maxDelaySeconds: 0.05 }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ServiceNotStableError);
    expect((error as Error).message).toBe(
      "service web was not stable after 0.3 s: deployment IN_PROGRESS, 1/2 running, 1 pending, 1 older deployment with 2 running; " +
        `the newest event: ${registered.message}`,
    );
    expect(calls()).toBeGreaterThan(2);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("polls within a timeout shorter than the default first delay (the waiter requires maxWaitTime > minDelay)", async () => {
    const { ctx, calls } = scripted([answer(halfWay), answer(done)]);
    await waitForServiceStable(ctx, WEB, { timeoutMs: 400 }, { maxDelaySeconds: 0.1 });
    expect(calls()).toBe(2);
  });
});

describe("waitForServiceInactive (a stand-in ECS client under the SDK's waiter)", () => {
  // Deleted services are polled together, so each answer must name the service it is about.
  const named = { ...steady, serviceName: "web", serviceArn: WEB.service };
  const draining = { ...named, status: "DRAINING" };
  const inactive = { ...named, status: "INACTIVE" };
  const missing = { services: [], failures: [{ arn: WEB.service, reason: "MISSING" }] };

  it.each([
    { why: "DRAINING, then INACTIVE", responses: [answer(draining), answer(inactive)] },
    { why: "already gone (MISSING), which the SDK's waiter calls a failure", responses: [missing] },
    { why: "gone after DRAINING", responses: [answer(draining), missing] },
  ])("returns when the service is $why", async ({ responses }) => {
    const { ctx } = scripted(responses);
    await expect(waitForServiceInactive(ctx, WEB, 5_000, FAST)).resolves.toBeUndefined();
  });

  it("throws a clear error naming the status when the time runs out", async () => {
    const { ctx } = scripted([answer(draining)]);
    await expect(waitForServiceInactive(ctx, WEB, 300, FAST)).rejects.toThrow(/^service web was not inactive after 0.3 s: it is DRAINING$/);
  });
});
