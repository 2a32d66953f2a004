import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { kindGraph } from "../../src/engine/kind-graph.js";
import { uncoveredDependencies } from "../../src/engine/planner.js";
import { CATALOGUE } from "../../src/reconcilers/index.js";
import type { Kind } from "../../src/reconcilers/contract.js";
import { validateTexts } from "../support/specs.js";

/** The catalogue's kind graph, derived from each kind's refersTo: the one source of observation and deletion order. */
const kinds = kindGraph(CATALOGUE.reconcilers);

describe("the kind graph", () => {
  it.each(["examples/microblog.yaml", "examples/microblog-shared-db.yaml"])(
    "covers every dependency of every node of %s: a kind refers to the kind of each address its nodes depend on",
    async (file) => {
      const { spec } = await validateTexts({ "spec.yaml": readFileSync(file, "utf8") });
      const nodes = CATALOGUE.reconcilers.flatMap((reconciler) => reconciler.nodes(spec!).map((node) => ({ reconciler, node })));
      expect(nodes.length).toBeGreaterThan(10);
      expect(uncoveredDependencies(kinds, nodes)).toEqual([]);
    },
  );

  it("orders every kind after the kinds it refers to", () => {
    const order = kinds.reconcilers.map((r) => r.kind);
    expect(new Set(order).size).toBe(14);
    for (const r of kinds.reconcilers) for (const k of r.refersTo) expect(order.indexOf(k)).toBeLessThan(order.indexOf(r.kind));
  });

  it("declares lookups only among references", () => {
    for (const r of CATALOGUE.reconcilers) expect(r.refersTo).toEqual(expect.arrayContaining([...r.looksUp]));
  });

  // What AWS refuses to delete while something still uses it: each pair must be a reversed edge of the graph.
  // prettier-ignore
  it.each([
    ["securityGroups", "securityGroupRules", "a group another group's rule names as its peer"],
    ["securityGroups", "loadBalancers", "a group a load balancer's network interfaces use"],
    ["securityGroups", "services", "a group the tasks' network interfaces use"],
    ["targetGroups", "listeners", "a target group a listener or rule forwards to"],
    ["targetGroups", "services", "a target group a service registers its tasks in"],
    ["loadBalancers", "listeners", "a load balancer whose listeners would go with it"],
    ["listeners", "services", "a listener forwarding to a service's target group (the service was created after it)"],
    ["clusters", "services", "a cluster that still has services"],
    ["taskDefinitions", "services", "a task definition a service runs"],
    ["services", "autoScaling", "a service whose scaling could still raise its count"],
    ["discoveryServices", "services", "a discovery service a service's tasks are registered in"],
    ["namespaces", "discoveryServices", "a namespace that still has discovery services"],
  ] as Array<[Kind, Kind, string]>)("deletes %s after %s: %s", (used, user) => {
    expect(kinds.refersTo(user)).toContain(used);
  });

  it("refuses a kind that looks up a kind it does not refer to, and a cycle", () => {
    const [a, b] = CATALOGUE.reconcilers;
    expect(() => kindGraph([{ ...a!, refersTo: [], looksUp: [b!.kind] }, b!])).toThrow(
      `${a!.kind} looks up ${b!.kind} without referring to it`,
    );
    expect(() =>
      kindGraph([
        { ...a!, refersTo: [b!.kind], looksUp: [] },
        { ...b!, refersTo: [a!.kind], looksUp: [] },
      ]),
    ).toThrow("dependency cycle");
  });
});
