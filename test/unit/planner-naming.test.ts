import { describe, expect, it } from "vitest";
import { planStack } from "../../src/engine/planner.js";
import { KnownAfterApply } from "../../src/plan/model.js";
import { ID_TAG, STACK_TAG, type Context, type Observed, type Reconciler } from "../../src/reconcilers/contract.js";
import type { AnyReconciler } from "../../src/reconcilers/index.js";
import type { Spec } from "../../src/schema/index.js";

/** The planner over two in-memory kinds: a versioned one that names its next version, and one that refers to it. */

const STACK = "unit";
const spec = { stack: STACK, region: "us-east-1", tags: {} } as unknown as Spec;
const ctx = { stack: STACK, region: "us-east-1", clients: {} } as unknown as Context;

interface Versioned extends Observed {
  revision: number;
  image: string;
}

function catalogue(named: boolean) {
  const live: Versioned = {
    name: "unit-web",
    id: "arn:aws:ecs:us-east-1:1:task-definition/unit-web:3",
    revision: 3,
    image: "nginx:1.26",
    tags: { [STACK_TAG]: STACK, [ID_TAG]: "taskDefinitions/web" },
  };
  const seen: unknown[] = [];
  const versioned: Reconciler<{ image: string }, Versioned, { image: string }> = {
    kind: "taskDefinitions",
    refersTo: [],
    looksUp: [],
    nodes: () => [
      {
        kind: "taskDefinitions",
        logical: "web",
        address: "taskDefinitions.web",
        name: "unit-web",
        dependsOn: [],
        adopt: false,
        readOnly: false,
        build: () => ({ image: "nginx:1.27" }),
      },
    ],
    observe: async (desired) => new Map(desired.map((d) => [d.address, live])),
    discover: async () => [],
    diff: (d, o) => ({ lines: d.image === o.image ? [] : [{ path: "image", before: o.image, after: d.image }], change: d }),
    newVersion: () => true,
    ...(named && { newVersionName: (_d: unknown, o: Observed) => `${o.name}:${(o as Versioned).revision + 1}` }),
    create: async () => live,
    update: async () => live,
    delete: async () => {},
    outputs: (o) => ({ arn: o.id }),
  };
  const referring: Reconciler<{ taskDefinition: unknown }, Observed, unknown> = {
    kind: "services",
    refersTo: ["taskDefinitions"],
    looksUp: [],
    nodes: () => [
      {
        kind: "services",
        logical: "web",
        address: "services.web",
        name: "web",
        dependsOn: ["taskDefinitions.web"],
        adopt: false,
        readOnly: false,
        build: (outputs) => ({ taskDefinition: outputs.string("taskDefinitions.web", "arn") }),
      },
    ],
    observe: async (desired) =>
      new Map(desired.map((d) => [d.address, { name: "web", id: "svc-web", tags: { [STACK_TAG]: STACK, [ID_TAG]: "services/web" } }])),
    discover: async () => [],
    diff: (d) => {
      seen.push(d.taskDefinition);
      return { lines: [{ path: "taskDefinition", before: live.id, after: d.taskDefinition }], change: d };
    },
    create: async (_d) => ({ name: "web", id: "svc-web", tags: {} }),
    update: async (_c, o) => o,
    delete: async () => {},
    outputs: () => ({}),
  };
  return { catalogue: { reconcilers: [versioned, referring] as AnyReconciler[] }, seen };
}

describe("a new version the kind can name", () => {
  it("is named on its row, and what refers to it sees the name on its unknown value", async () => {
    const { catalogue: kinds, seen } = catalogue(true);
    const { plan } = await planStack(spec, ctx, "apply", kinds);
    expect(plan.resources[0]).toMatchObject({
      address: "taskDefinitions.web",
      action: "update",
      newVersion: true,
      newVersionName: "unit-web:4",
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(KnownAfterApply);
    expect(String(seen[0])).toBe("(known after apply: unit-web:4)");
  });

  it("a kind that cannot name it leaves the plain unknown", async () => {
    const { catalogue: kinds, seen } = catalogue(false);
    const { plan } = await planStack(spec, ctx, "apply", kinds);
    expect(plan.resources[0]).not.toHaveProperty("newVersionName");
    expect(String(seen[0])).toBe("(known after apply)");
  });
});
