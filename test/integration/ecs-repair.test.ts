import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applySpec, changesOf, planSpec, specFrom, uniqueStack, writeCalls } from "../support/engine.js";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { ecsStackYaml } from "../support/specs.js";

/**
 * A run that stops between registering a task definition's new revision and moving the service to it (here:
 * every UpdateService attempt fails, through the fault proxy, since moto never fails) is finished by the
 * next run: the service moves to the revision already registered, and no further revision is made.
 */
const spec = (stack: string, image: string) => specFrom(ecsStackYaml(stack, { image }));

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(inject("motoEndpoint"));
});
afterAll(() => proxy.close());

describe("an ECS change cut short", () => {
  it("is finished by the next run without a second revision", async () => {
    const stack = uniqueStack("ecsfix");
    const first = await spec(stack, "public.ecr.aws/nginx/nginx:1.27");
    await applySpec(first);

    const changed = await spec(stack, "public.ecr.aws/nginx/nginx:1.28");
    proxy.inject({ action: "UpdateService", fault: "unavailable", times: 3 });
    const broken = await applySpec(changed, "apply", proxy.endpoint);
    expect(broken.results.filter((r) => r.action !== "noop" && r.action !== "read").map((r) => [r.address, r.outcome])).toEqual([
      ["taskDefinitions.web", "done"],
      ["services.web", "failed"],
    ]);

    const { plan } = await planSpec(changed);
    expect(changesOf(plan)).toEqual({ "services.web": "update" });
    expect(plan.resources.find((r) => r.address === "services.web")?.diffs).toEqual([
      {
        path: "taskDefinition",
        before: expect.stringMatching(new RegExp(`:task-definition/${stack}-web:1$`)),
        after: expect.stringMatching(new RegExp(`:task-definition/${stack}-web:2$`)),
      },
    ]);
    const repair = await applySpec(changed);
    expect(writeCalls(repair.stats)).toEqual(["ecs UpdateService 1"]);
    expect(changesOf((await planSpec(changed)).plan)).toEqual({});
    await applySpec(changed, "delete");
  });
});
