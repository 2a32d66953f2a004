import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { applyPlan, openStack, planStack } from "../../src/engine/index.js";
import type { Context } from "../../src/reconcilers/contract.js";
import type { Spec } from "../../src/schema/index.js";
import { validateTexts } from "./specs.js";

/** A stack name no other test uses: every test file shares one moto server. */
export const uniqueStack = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 24);

/** Parses and validates a spec; a test spec with an error is a bug in the test. */
export async function specFrom(yaml: string): Promise<Spec> {
  const result = await validateTexts({ "spec.yaml": yaml });
  if (!result.spec) throw new Error(`invalid test spec:\n${result.diagnostics.map((d) => `${d.path.join(".")}: ${d.message}`).join("\n")}`);
  return result.spec;
}

/** Writes a spec where the CLI can read it. */
export function specFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "reconcile-")), "spec.yaml");
  writeFileSync(file, yaml);
  return file;
}

// Moto never throttles, so retries only ever meet real moto errors: keep waits short so a failing test fails fast.
const FAST_RETRY = { retries: 2, minTimeoutMs: 5, maxTimeoutMs: 20, factor: 2, maxRetryTimeMs: 2_000 };

/** A session against moto, or against another endpoint in front of it (the fault proxy). */
export function session(spec: Spec, endpoint = inject("motoEndpoint")) {
  return openStack(spec, {
    endpoint,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    retry: FAST_RETRY,
  });
}

/**
 * plan then apply, as `reconcile apply --yes` does, returning the plan, the results and the calls made.
 * `waiting` adds what `--wait-timeout` and the progress printer give the CLI's runs; without it, nothing waits
 * for ECS services (`--no-wait`).
 */
export async function applySpec(
  spec: Spec,
  mode: "apply" | "delete" = "apply",
  endpoint?: string,
  waiting: Pick<Context, "wait" | "progress"> = {},
) {
  const s = session(spec, endpoint);
  try {
    const ctx = { ...s.ctx, ...waiting };
    const planned = await planStack(spec, ctx, mode);
    const results = await applyPlan(planned, ctx);
    return { plan: planned.plan, results, stats: s.stats.snapshot() };
  } finally {
    s.close();
  }
}

export async function planSpec(spec: Spec, mode: "apply" | "delete" = "apply", endpoint?: string) {
  const s = session(spec, endpoint);
  try {
    const { plan } = await planStack(spec, s.ctx, mode);
    return { plan, stats: s.stats.snapshot() };
  } finally {
    s.close();
  }
}

/** Actions of a plan by address, leaving out what needs nothing. */
export const changesOf = (plan: { resources: Array<{ address: string; action: string }> }) =>
  Object.fromEntries(plan.resources.filter((r) => r.action !== "noop" && r.action !== "read").map((r) => [r.address, r.action]));

export const CREDENTIALS = { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" };

/** The write calls of a run, as `service Action count`, in the stats' order. */
export const writeCalls = (stats: { byAction: Array<{ service: string; action: string; calls: number; write: boolean }> }) =>
  stats.byAction.filter((a) => a.write).map((a) => `${a.service} ${a.action} ${a.calls}`);
