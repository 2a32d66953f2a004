import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { planStack } from "../../src/engine/index.js";
import { KnownAfterApply } from "../../src/plan/model.js";
import { renderPlanText } from "../../src/plan/render-text.js";
import { plainStyle } from "../../src/cli/style.js";
import { CATALOGUE } from "../../src/reconcilers/index.js";
import type { Spec } from "../../src/schema/index.js";
import { reconcile } from "../support/cli.js";
import { applySpec, CREDENTIALS, session, specFile, specFrom, uniqueStack } from "../support/engine.js";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { ecsStackYaml } from "../support/specs.js";
import type { PlanJson } from "../../src/plan/render-json.js";

/**
 * Issue 17 through the engine against moto: the plan names the account and endpoint (from the ARNs it read, or one
 * STS GetCallerIdentity when none names it), and a task definition's next revision by name.
 */

describe("a plan that says where and what", () => {
  const stack = uniqueStack("where");
  let proxy: FaultProxy;
  let changed: Spec;

  beforeAll(async () => {
    // Each call held 30 ms, so that calls sent one after the other show as such in the proxy's log.
    proxy = await startFaultProxy(inject("motoEndpoint"), { latencyMs: 30 });
    const { results } = await applySpec(await specFrom(ecsStackYaml(stack, { image: "public.ecr.aws/nginx/nginx:1.26" })));
    expect(results.filter((r) => r.outcome !== "done")).toEqual([]);
    changed = await specFrom(ecsStackYaml(stack, { image: "public.ecr.aws/nginx/nginx:1.27" }));
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await applySpec(changed, "delete");
  }, 120_000);

  async function plan(options: { identify?: boolean }, endpoint = proxy.endpoint) {
    const s = session(changed, endpoint);
    try {
      const { plan } = await planStack(changed, s.ctx, "apply", CATALOGUE, options);
      return { plan, stats: s.stats.snapshot() };
    } finally {
      s.close();
    }
  }

  it("names moto's account and endpoint in the header, from the ARNs it read: no STS call for a stack that exists", async () => {
    const without = await plan({});
    const { plan: identified, stats } = await plan({ identify: true });

    expect(without.plan.target).toBeUndefined();
    expect(identified.target).toEqual({ account: "123456789012", endpoint: proxy.endpoint, awsEndpoint: false });
    expect(stats.byAction.find((a) => a.action === "GetCallerIdentity")).toBeUndefined();
    expect(stats.calls).toBe(without.stats.calls);
    expect(renderPlanText(identified, plainStyle).split("\n")[0]).toBe(
      `Plan to apply stack ${stack} in account 123456789012, us-east-1, at ${proxy.endpoint} (not AWS):`,
    );
  });

  it("asks STS for the account of a stack with nothing yet, after the reads", async () => {
    const empty = await specFrom(ecsStackYaml(uniqueStack("where0"), { image: "public.ecr.aws/nginx/nginx:1.27" }));
    const s = session(empty, proxy.endpoint);
    try {
      proxy.reset();
      const { plan: identified } = await planStack(empty, s.ctx, "apply", CATALOGUE, { identify: true });
      expect(identified.target).toEqual({ account: "123456789012", endpoint: proxy.endpoint, awsEndpoint: false });
      expect(s.stats.snapshot().byAction.find((a) => a.action === "GetCallerIdentity")).toMatchObject({ service: "sts", calls: 1 });
      const sts = proxy.seen.find((r) => r.action === "GetCallerIdentity")!;
      expect(proxy.seen.filter((r) => r.service !== "sts").every((r) => (r.endedAt ?? Infinity) <= sts.startedAt)).toBe(true);
    } finally {
      s.close();
    }
  });

  it("names the task definition's next revision, on its row and on the service's unknown", async () => {
    const { plan: p } = await plan({});
    const td = p.resources.find((r) => r.address === "taskDefinitions.web")!;
    expect(td).toMatchObject({ action: "update", newVersion: true, newVersionName: `${td.name}:2` });
    const service = p.resources.find((r) => r.address === "services.web")!;
    const line = service.diffs.find((d) => d.path === "taskDefinition")!;
    expect(line.before).toBe(td.id);
    expect(line.after).toBeInstanceOf(KnownAfterApply);
    const text = renderPlanText(p, plainStyle);
    expect(text).toContain(`  ~ taskDefinitions.web (${td.name}) will get new revision ${td.name}:2\n`);
    expect(text).toContain(`      ~ taskDefinition: taskDefinitions.web -> (known after apply: ${td.name}:2)\n`);
  });

  it("is made when STS does not answer, with the account unknown and why", async () => {
    const emptyStack = uniqueStack("where1");
    const empty = await specFrom(ecsStackYaml(emptyStack, { image: "public.ecr.aws/nginx/nginx:1.27" }));
    proxy.reset();
    proxy.inject({ action: "GetCallerIdentity", fault: "unavailable", times: 10 });
    const s = session(empty, proxy.endpoint);
    try {
      const { plan: p } = await planStack(empty, s.ctx, "apply", CATALOGUE, { identify: true });
      expect(p.target?.account).toBeUndefined();
      expect(p.target?.accountError).toMatch(/^sts GetCallerIdentity: /);
      expect(p.target?.endpoint).toBe(proxy.endpoint);
      expect(p.resources.find((r) => r.address === "taskDefinitions.web")?.action).toBe("create");
      const [header, why] = renderPlanText(p, plainStyle).split("\n");
      expect(header).toBe(`Plan to apply stack ${emptyStack} in account unknown, us-east-1, at ${proxy.endpoint} (not AWS):`);
      expect(why).toMatch(/^\(account unknown: sts GetCallerIdentity: /);
    } finally {
      s.close();
    }
  });

  it("the CLI: plan --compact, one line per resource under the header; --json with the account and endpoint", () => {
    const file = specFile(ecsStackYaml(stack, { image: "public.ecr.aws/nginx/nginx:1.27" }));
    const endpoint = inject("motoEndpoint");
    const compact = reconcile(["plan", "-f", file, "--compact", "--endpoint", endpoint], CREDENTIALS);
    expect(compact.stderr).toBe("");
    expect(compact.stdout.split("\n").slice(0, 4)).toEqual([
      `Plan to apply stack ${stack} in account 123456789012, us-east-1, at ${endpoint} (not AWS):`,
      "",
      expect.stringMatching(/^  ~ taskDefinitions\.web \(\S+\) will get new revision \S+:2, 1 field$/),
      expect.stringMatching(/^  ~ services\.web \(\S+\) will be updated in place, 1 field$/),
    ]);
    const json = reconcile(["plan", "-f", file, "--json", "--endpoint", endpoint], CREDENTIALS);
    expect(JSON.parse(json.stdout) as PlanJson).toMatchObject({ account: "123456789012", endpoint, awsEndpoint: false });
  });
});
