import { DescribeServicesCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { afterAll, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { applyPlan, planStack } from "../../src/engine/index.js";
import type { PlanOptions } from "../../src/engine/planner.js";
import { fromEcsTags } from "../../src/reconcilers/ecs/model.js";
import { contentFingerprint, FAILED_DEPLOYMENT_TAG, failedDeploymentOf } from "../../src/reconcilers/ecs/services/failed-deployment.js";
import type { Spec } from "../../src/schema/index.js";
import { applySpec, session, specFrom, uniqueStack } from "../support/engine.js";
import { MOTO_RUNNING_TASKS } from "../support/global-setup.js";
import { motoClientConfig } from "../support/moto-env.js";
import { ecsStackYaml } from "../support/specs.js";

// Where moto differs from AWS, worked around here only:
// - No deployment ever fails or rolls back, but a wait that runs out of time is a failure the same way: every service
//   reports MOTO_RUNNING_TASKS (2) running, so one whose desiredCount is 1 never becomes stable (2/1 running) until an
//   UpdateService sets its count (moto then runs as many as desired).
// - The circuit breaker's rollback, which would take the service back to the previous revision, never happens: the
//   test sends that UpdateService itself (`rollBack`), so that the next plan finds the live service on the old
//   revision and the spec on the new one, as it would on AWS.

const ecs = createClients({ ...motoClientConfig(), maxAttempts: 2 }).ecs;
afterAll(() => ecs.destroy());

const WAIT = { wait: { timeoutMs: 2_000 } };
const IMAGE_1 = "public.ecr.aws/nginx/nginx:1.27";
const IMAGE_2 = "public.ecr.aws/nginx/nginx:1.28";
const IMAGE_3 = "public.ecr.aws/nginx/nginx:1.29";

/** Plan, then apply, as `reconcile apply --yes [--retry-failed]` does: the plan, the results and the calls made. */
async function run(spec: Spec, ctxExtra: typeof WAIT | Record<string, never>, options: PlanOptions = {}) {
  const s = session(spec);
  try {
    const ctx = { ...s.ctx, ...ctxExtra };
    const planned = await planStack(spec, ctx, "apply", undefined, options);
    const results = await applyPlan(planned, ctx);
    return { plan: planned.plan, results, stats: s.stats.snapshot() };
  } finally {
    s.close();
  }
}

const callsOf = (stats: { byAction: Array<{ action: string; calls: number }> }, action: string) =>
  stats.byAction.find((a) => a.action === action)?.calls ?? 0;

describe("a failed deployment is remembered on the service, not retried every run (moto)", () => {
  const stack = uniqueStack("held");
  const cluster = `${stack}-main`;
  const service = `${stack}-web`;
  const specOf = (image: string, desiredCount = 1) => specFrom(ecsStackYaml(stack, { image, desiredCount }));

  async function describeService() {
    const { services } = await ecs.send(new DescribeServicesCommand({ cluster, services: [service], include: ["TAGS"] }));
    return services![0]!;
  }
  const recordOnService = async () => failedDeploymentOf(fromEcsTags((await describeService()).tags));
  /** What the circuit breaker would have done (moto never does it): back to the revision the service ran before. */
  const rollBack = (taskDefinition: string) => ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition }));

  let revision1 = "";

  it("records a deployment that was not stable in time on the service, with its content's fingerprint, and fails the run", async () => {
    const created = await run(await specOf(IMAGE_1), {});
    expect(created.results.every((r) => r.outcome === "done")).toBe(true);
    revision1 = (await describeService()).taskDefinition!;

    const spec2 = await specOf(IMAGE_2);
    const { results } = await run(spec2, WAIT);

    const web = results.find((r) => r.address === "services.web")!;
    expect(web).toMatchObject({ action: "update", outcome: "failed" });
    expect(web.error).toContain(`service ${service} was not stable after 2 s: `);
    const record = await recordOnService();
    expect(record).toMatchObject({ fingerprint: contentFingerprint(spec2, spec2.services.web!) });
    expect(record!.reason).toMatch(new RegExp(`^service ${service} was not stable after 2 s: deployment .* 2/1 running`));
    expect(Date.now() - Date.parse(record!.at!)).toBeLessThan(60_000);
  }, 60_000);

  it("holds the same content on the next runs: the plan shows why, and apply makes no UpdateService and fails", async () => {
    await rollBack(revision1);
    const spec2 = await specOf(IMAGE_2);
    const { plan, results, stats } = await run(spec2, WAIT);

    const row = plan.resources.find((r) => r.address === "services.web")!;
    expect(row.action).toBe("held");
    expect(row.diffs.map((d) => d.path)).toEqual(["taskDefinition"]);
    expect(row.reason).toContain(
      `the deployment of this content (fingerprint ${contentFingerprint(spec2, spec2.services.web!)}) failed at `,
    );
    expect(row.reason).toContain(`: service ${service} was not stable after 2 s`);
    expect(plan.summary.held).toBe(1);
    expect(plan.resources.filter((r) => r.address !== "services.web").every((r) => r.action === "noop" || r.action === "read")).toBe(true);

    expect(callsOf(stats, "UpdateService")).toBe(0);
    expect(stats.writes).toBe(0);
    expect(results.find((r) => r.address === "services.web")).toMatchObject({ action: "held", outcome: "failed", error: row.reason });
    expect((await describeService()).taskDefinition).toBe(revision1);
    expect(FAILED_DEPLOYMENT_TAG in fromEcsTags((await describeService()).tags)).toBe(true);
  });

  it("with retryFailed, deploys the same content again (here it fails again, and the record is renewed)", async () => {
    const before = await recordOnService();
    const { plan, results, stats } = await run(await specOf(IMAGE_2), WAIT, { retryFailed: true });

    expect(plan.resources.find((r) => r.address === "services.web")!.action).toBe("update");
    expect(callsOf(stats, "UpdateService")).toBe(1);
    expect(results.find((r) => r.address === "services.web")).toMatchObject({ outcome: "failed" });
    const after = await recordOnService();
    expect(after!.fingerprint).toBe(before!.fingerprint);
    expect(Date.parse(after!.at!)).toBeGreaterThanOrEqual(Date.parse(before!.at!));
  }, 60_000);

  it("deploys once the spec's content changes, and clears the record when that deployment is stable", async () => {
    await rollBack(revision1);
    // desiredCount 2: moto's UpdateService then runs as many as desired, so this deployment becomes stable.
    const { plan, results, stats } = await run(await specOf(IMAGE_3, MOTO_RUNNING_TASKS), WAIT);

    expect(plan.resources.find((r) => r.address === "services.web")!.action).toBe("update");
    expect(callsOf(stats, "UpdateService")).toBe(1);
    expect(results.every((r) => r.outcome === "done")).toBe(true);
    expect(await recordOnService()).toBeUndefined();
    expect(callsOf(stats, "UntagResource")).toBe(1);
  }, 60_000);

  it("deletes the stack, record and all", async () => {
    const { results } = await applySpec(await specOf(IMAGE_3, MOTO_RUNNING_TASKS), "delete");
    expect(results.map((r) => r.outcome)).toEqual(results.map(() => "done"));
  });
});
