import { describe, expect, it } from "vitest";
import { applyPlan, planStack } from "../../src/engine/index.js";
import { UNKNOWN, type KnownAfterApply } from "../../src/plan/model.js";
import { diffField, diffTags } from "../../src/reconcilers/diff-helpers.js";
import type { Catalogue } from "../../src/reconcilers/index.js";
import { ID_TAG, STACK_TAG, type Context, type Kind, type Observed, type Reconciler, type Tags } from "../../src/reconcilers/contract.js";
import type { Spec } from "../../src/schema/index.js";

/**
 * The engine over in-memory kinds: planning and execution logic without AWS. Each fake kind keeps its
 * resources in a map and records the calls it gets.
 */
interface FakeDesired {
  name: string;
  size: number;
  colour: string;
  peerId: string | KnownAfterApply | undefined;
  tags: Tags;
}
interface FakeObserved extends Observed {
  size: number;
  colour: string;
  peerId?: string;
}
interface FakeNode {
  logical: string;
  name?: string;
  size?: number;
  colour?: string;
  /** Logical name of another node of kind "roles" whose id it refers to. */
  peer?: string;
  adopt?: boolean;
  fail?: boolean;
}

const STACK = "unit";
const spec = { stack: STACK, region: "us-east-1", tags: {} } as unknown as Spec;
const ctx = { stack: STACK, region: "us-east-1", clients: {} } as unknown as Context;
const owned = (kind: Kind, logical: string): Tags => ({ [STACK_TAG]: STACK, [ID_TAG]: `${kind}/${logical}` });

/** The change the fake kinds' update gets: the new values and which fields differ. */
interface FakeChange {
  name: string;
  size: number;
  peerId: string | KnownAfterApply | undefined;
  tags: Tags;
  fields: string[];
}

/** Every fake kind but roles may refer to roles (`peer`); none reads a reference to find its resources. */
function fakeKind(kind: Kind, specNodes: FakeNode[], live: FakeObserved[] = [], refersTo: Kind[] = kind === "roles" ? [] : ["roles"]) {
  const store = new Map(live.map((o) => [o.name, o]));
  const calls: string[] = [];
  let next = 1;
  const failing = new Set(specNodes.filter((n) => n.fail).map((n) => n.name ?? n.logical));
  const reconciler: Reconciler<FakeDesired, FakeObserved, FakeChange> = {
    kind,
    refersTo,
    looksUp: [],
    nodes: () =>
      specNodes.map((n) => ({
        kind,
        logical: n.logical,
        address: `${kind}.${n.logical}`,
        name: n.name ?? n.logical,
        dependsOn: n.peer ? [`roles.${n.peer}`] : [],
        adopt: n.adopt ?? false,
        readOnly: false,
        build: (outputs) => ({
          name: n.name ?? n.logical,
          size: n.size ?? 1,
          colour: n.colour ?? "red",
          peerId: n.peer ? outputs.string(`roles.${n.peer}`, "id") : undefined,
          tags: owned(kind, n.logical),
        }),
      })),
    observe: async (desired) => new Map(desired.flatMap((d) => (store.has(d.value.name) ? [[d.address, store.get(d.value.name)!]] : []))),
    discover: async () => [...store.values()].filter((o) => o.tags[STACK_TAG] === STACK),
    diff: (d, o) => {
      const lines = [
        ...diffField("colour", o.colour, d.colour, { forcesReplacement: true }),
        ...diffField("size", o.size, d.size),
        ...diffField("peerId", o.peerId, d.peerId),
        ...diffTags(d.tags, o.tags),
      ];
      return { lines, change: { name: d.name, size: d.size, peerId: d.peerId, tags: d.tags, fields: lines.map((l) => l.path) } };
    },
    create: async (d) => {
      calls.push(`create ${d.name}`);
      if (failing.has(d.name)) throw new Error(`${d.name} refused`);
      if (d.peerId === UNKNOWN) throw new Error("peer unknown at create");
      const o: FakeObserved = {
        name: d.name,
        id: `${kind}-${next++}`,
        tags: d.tags,
        size: d.size,
        colour: d.colour,
        peerId: d.peerId as string | undefined,
      };
      store.set(d.name, o);
      return o;
    },
    update: async (c, o) => {
      calls.push(`update ${c.name} ${c.fields.join(",")}`);
      const updated = { ...o, size: c.size, peerId: c.peerId as string | undefined, tags: c.tags };
      store.set(c.name, updated);
      return updated;
    },
    delete: async (o) => {
      calls.push(`delete ${o.name}`);
      store.delete(o.name);
    },
    outputs: (o) => ({ id: o.id }),
  };
  return { reconciler, store, calls };
}

const catalogue = (kinds: Array<{ reconciler: Reconciler<FakeDesired, FakeObserved, FakeChange> }>): Catalogue => ({
  reconcilers: kinds.map((k) => k.reconciler) as Catalogue["reconcilers"],
});

const live = (kind: Kind, logical: string, extra: Partial<FakeObserved> = {}): FakeObserved => ({
  name: logical,
  id: `${kind}-live-${logical}`,
  tags: owned(kind, logical),
  size: 1,
  colour: "red",
  ...extra,
});

describe("planning", () => {
  // prettier-ignore
  it.each([
    { reason: "absent: created", node: { logical: "a" }, found: [], action: "create" },
    { reason: "same as the spec: nothing", node: { logical: "a" }, found: [live("logGroups", "a")], action: "noop" },
    { reason: "a mutable field differs: updated", node: { logical: "a", size: 2 }, found: [live("logGroups", "a")], action: "update" },
    { reason: "an immutable field differs: replaced", node: { logical: "a", colour: "blue" }, found: [live("logGroups", "a")], action: "replace" },
    { reason: "untagged under the name: conflict", node: { logical: "a" }, found: [live("logGroups", "a", { tags: {} })], action: "conflict" },
    { reason: "another stack's: conflict even when adopting", node: { logical: "a", adopt: true }, found: [live("logGroups", "a", { tags: { [STACK_TAG]: "other" } })], action: "conflict" },
    { reason: "untagged and adopted: updated to carry the tags", node: { logical: "a", adopt: true }, found: [live("logGroups", "a", { tags: {} })], action: "update" },
    { reason: "adopting would need a replacement: conflict, never deleted", node: { logical: "a", adopt: true, colour: "blue" }, found: [live("logGroups", "a", { tags: {} })], action: "conflict" },
    { reason: "the logical name changed, the name did not: retagged in place", node: { logical: "b", name: "a" }, found: [live("logGroups", "a")], action: "update" },
  ])("$reason", async ({ node, found, action }) => {
    const kind = fakeKind("logGroups", [node], found);
    const { plan } = await planStack(spec, ctx, "apply", catalogue([kind]));
    expect(plan.resources.map((r) => [r.address, r.action])).toEqual([[`logGroups.${node.logical}`, action]]);
  });

  it("plans the deletion of what the stack owns but the spec no longer names, and not of others' resources", async () => {
    const kind = fakeKind(
      "logGroups",
      [{ logical: "kept" }],
      [live("logGroups", "kept"), live("logGroups", "gone"), live("logGroups", "theirs", { tags: { [STACK_TAG]: "other" } })],
    );
    const { plan } = await planStack(spec, ctx, "apply", catalogue([kind]));
    expect(plan.resources.map((r) => [r.address, r.action, r.reason])).toEqual([
      ["logGroups.kept", "noop", undefined],
      ["logGroups.gone", "delete", "no longer in the spec"],
    ]);
    expect(plan.summary).toEqual({ add: 0, change: 0, replace: 0, destroy: 1, conflict: 0, held: 0 });
  });

  it("replaces a renamed resource by creating the new one, then deleting the old copy", async () => {
    const kind = fakeKind("logGroups", [{ logical: "a", name: "new-name" }], [{ ...live("logGroups", "a"), name: "old-name" }]);
    const planned = await planStack(spec, ctx, "apply", catalogue([kind]));
    expect(planned.plan.resources.map((r) => [r.name, r.action])).toEqual([
      ["new-name", "create"],
      ["old-name", "delete"],
    ]);
    await applyPlan(planned, ctx, { now: () => 0 });
    expect(kind.calls).toEqual(["create new-name", "delete old-name"]);
  });

  it("shows a value that depends on a resource still to be created as known after apply", async () => {
    const roles = fakeKind("roles", [{ logical: "r" }]);
    const groups = fakeKind("logGroups", [{ logical: "g", peer: "r" }]);
    const { plan } = await planStack(spec, ctx, "apply", catalogue([roles, groups]));
    expect(plan.resources.find((r) => r.address === "logGroups.g")?.diffs).toContainEqual({ path: "peerId", after: UNKNOWN });
  });

  it("shows what refers to a resource being replaced as changing too: the new one's id is known only after apply", async () => {
    const roles = fakeKind("roles", [{ logical: "r", colour: "blue" }], [live("roles", "r")]);
    const groups = fakeKind("logGroups", [{ logical: "g", peer: "r" }], [live("logGroups", "g", { peerId: "roles-live-r" })]);
    const planned = await planStack(spec, ctx, "apply", catalogue([roles, groups]));
    expect(planned.plan.resources.map((r) => [r.address, r.action])).toEqual([
      ["roles.r", "replace"],
      ["logGroups.g", "update"],
    ]);
    expect(planned.plan.resources[1]?.diffs).toEqual([{ path: "peerId", before: "roles-live-r", after: UNKNOWN }]);
    await applyPlan(planned, ctx, { now: () => 0 });
    expect(groups.store.get("g")?.peerId).toBe(roles.store.get("r")?.id);
    expect(roles.calls).toEqual(["delete r", "create r"]);
  });

  it("orders deletions by the kinds' reversed references: what may refer to a kind goes before it", async () => {
    const roles = fakeKind("roles", [], [live("roles", "r")]);
    const groups = fakeKind("logGroups", [], [live("logGroups", "g")]);
    const { plan } = await planStack(spec, ctx, "delete", catalogue([roles, groups]));
    expect(plan.resources.map((r) => r.address)).toEqual(["logGroups.g", "roles.r"]);
  });

  it("refuses a kind whose nodes depend on a kind it does not declare in refersTo", async () => {
    const roles = fakeKind("roles", [{ logical: "r" }]);
    const groups = fakeKind("logGroups", [{ logical: "g", peer: "r" }], [], []);
    await expect(planStack(spec, ctx, "apply", catalogue([roles, groups]))).rejects.toThrow(
      "logGroups.g depends on roles.r, but logGroups does not refer to roles",
    );
  });

  it("observes a kind that looks nothing up beside the kinds it refers to, and plans it after them", async () => {
    const events: string[] = [];
    let releaseRoles!: () => void;
    const roles = fakeKind("roles", [{ logical: "r" }], [live("roles", "r")]);
    const groups = fakeKind("logGroups", [{ logical: "g", peer: "r" }], [live("logGroups", "g", { peerId: "roles-live-r" })]);
    const observeRoles = roles.reconciler.observe;
    roles.reconciler.observe = async (desired, c) => {
      events.push("observe roles");
      await new Promise<void>((resolve) => (releaseRoles = resolve));
      return observeRoles(desired, c);
    };
    const observeGroups = groups.reconciler.observe;
    groups.reconciler.observe = async (desired, c) => {
      events.push(`observe logGroups, peer ${String(desired[0]!.value.peerId)}`);
      releaseRoles();
      return observeGroups(desired, c);
    };
    const { plan } = await planStack(spec, ctx, "apply", catalogue([roles, groups]));
    // The group is read while the role's read is still under way (its peer not known yet), yet planned with it.
    expect(events).toEqual(["observe roles", "observe logGroups, peer (known after apply)"]);
    expect(plan.resources.map((r) => [r.address, r.action])).toEqual([
      ["roles.r", "noop"],
      ["logGroups.g", "noop"],
    ]);
  });

  it("waits for the kinds it looks up before observing a kind", async () => {
    const events: string[] = [];
    const roles = fakeKind("roles", [{ logical: "r" }], [live("roles", "r")]);
    const groups = fakeKind("logGroups", [{ logical: "g", peer: "r" }], [live("logGroups", "g", { peerId: "roles-live-r" })]);
    Object.assign(groups.reconciler, { looksUp: ["roles"] });
    const observeGroups = groups.reconciler.observe;
    groups.reconciler.observe = async (desired, c) => {
      events.push(`observe logGroups, peer ${String(desired[0]!.value.peerId)}`);
      return observeGroups(desired, c);
    };
    await planStack(spec, ctx, "apply", catalogue([roles, groups]));
    expect(events).toEqual(["observe logGroups, peer roles-live-r"]);
  });
});

describe("replacing a kind that deletes the old resource before creating the new one", () => {
  it("runs the deletion and the creation as two jobs: what refers to it and is replaced too goes first, and comes back after", async () => {
    const roles = fakeKind("roles", [{ logical: "r", colour: "blue" }], [live("roles", "r")]);
    const groups = fakeKind(
      "logGroups",
      [{ logical: "g", peer: "r", colour: "blue" }],
      [live("logGroups", "g", { peerId: "roles-live-r" })],
    );
    const calls: string[] = [];
    for (const kind of [roles, groups]) {
      const { create, delete: remove } = kind.reconciler;
      kind.reconciler.create = (d, c) => (calls.push(`create ${kind.reconciler.kind}.${d.name}`), create(d, c));
      kind.reconciler.delete = (o, c) => (calls.push(`delete ${kind.reconciler.kind}.${o.name}`), remove(o, c));
    }
    const planned = await planStack(spec, ctx, "apply", catalogue([roles, groups]));
    expect(planned.plan.resources.map((r) => [r.address, r.action])).toEqual([
      ["roles.r", "replace"],
      ["logGroups.g", "replace"],
    ]);
    const results = await applyPlan(planned, ctx, { now: () => 0, parallelism: 1 });
    expect(calls).toEqual(["delete logGroups.g", "delete roles.r", "create roles.r", "create logGroups.g"]);
    expect(results.map((r) => [r.address, r.action, r.outcome])).toEqual([
      ["roles.r", "replace", "done"],
      ["logGroups.g", "replace", "done"],
    ]);
    expect(groups.store.get("g")?.peerId).toBe(roles.store.get("r")?.id);
  });

  it("reports a failed deletion once, and creates nothing in its place", async () => {
    const roles = fakeKind("roles", [{ logical: "r", colour: "blue" }], [live("roles", "r")]);
    roles.reconciler.delete = async () => {
      throw new Error("still in use");
    };
    const results = await applyPlan(await planStack(spec, ctx, "apply", catalogue([roles])), ctx, { now: () => 0 });
    expect(results.map((r) => [r.address, r.outcome, r.error])).toEqual([["roles.r", "failed", "still in use"]]);
    expect(roles.calls).toEqual([]);
  });
});

describe("applying", () => {
  it("refuses, before any call, an in-place change that has come to need a replacement since it was planned", async () => {
    const roles = fakeKind("roles", [{ logical: "r", size: 2 }], [live("roles", "r")]);
    const planned = await planStack(spec, ctx, "apply", catalogue([roles]));
    expect(planned.plan.resources.map((r) => r.action)).toEqual(["update"]);
    // As if what the run learnt since planning now gave a value AWS cannot change in place.
    (planned.entries[0]!.observed as FakeObserved).colour = "green";
    const results = await applyPlan(planned, ctx, { now: () => 0 });
    expect(results.map((r) => [r.outcome, r.error])).toEqual([
      ["failed", "r: AWS cannot change colour in place; plan again to replace it"],
    ]);
    expect(roles.calls).toEqual([]);
  });

  it("once stopped, starts nothing new and reports the rest as not started", async () => {
    const stop = new AbortController();
    const roles = fakeKind("roles", [{ logical: "a" }, { logical: "b" }]);
    const create = roles.reconciler.create;
    roles.reconciler.create = async (d, c) => {
      stop.abort();
      return create(d, c);
    };
    const results = await applyPlan(await planStack(spec, ctx, "apply", catalogue([roles])), ctx, {
      now: () => 0,
      parallelism: 1,
      signal: stop.signal,
    });
    expect(results.map((r) => [r.address, r.outcome])).toEqual([
      ["roles.a", "done"],
      ["roles.b", "cancelled"],
    ]);
    expect(roles.calls).toEqual(["create a"]);
  });

  it("fills in what became known during the run, and makes no call for what needs none", async () => {
    const roles = fakeKind("roles", [{ logical: "r" }, { logical: "same" }], [live("roles", "same")]);
    const groups = fakeKind("logGroups", [{ logical: "g", peer: "r" }]);
    const planned = await planStack(spec, ctx, "apply", catalogue([roles, groups]));
    const results = await applyPlan(planned, ctx, { now: () => 0 });
    expect(results.every((r) => r.outcome === "done")).toBe(true);
    expect(roles.calls).toEqual(["create r"]);
    expect(groups.store.get("g")?.peerId).toBe(roles.store.get("r")?.id);
  });

  it("skips the dependents of a failure, naming it, while independent resources finish", async () => {
    const roles = fakeKind("roles", [{ logical: "r", fail: true }, { logical: "ok" }]);
    const groups = fakeKind("logGroups", [{ logical: "g", peer: "r" }, { logical: "free" }]);
    const planned = await planStack(spec, ctx, "apply", catalogue([roles, groups]));
    const results = await applyPlan(planned, ctx, { now: () => 0 });
    expect(Object.fromEntries(results.map((r) => [r.address, [r.outcome, r.skippedBecause ?? r.error]]))).toEqual({
      "roles.r": ["failed", "r refused"],
      "roles.ok": ["done", undefined],
      "logGroups.g": ["skipped", "roles.r"],
      "logGroups.free": ["done", undefined],
    });
  });

  it("refuses to touch a conflicting resource and skips what depends on it", async () => {
    const roles = fakeKind("roles", [{ logical: "r" }], [live("roles", "r", { tags: {} })]);
    const groups = fakeKind("logGroups", [{ logical: "g", peer: "r" }]);
    const results = await applyPlan(await planStack(spec, ctx, "apply", catalogue([roles, groups])), ctx, { now: () => 0 });
    expect(results.map((r) => [r.address, r.outcome])).toEqual([
      ["roles.r", "failed"],
      ["logGroups.g", "skipped"],
    ]);
    expect([...roles.calls, ...groups.calls]).toEqual([]);
  });

  it("prunes only after every other change succeeded", async () => {
    const groups = fakeKind("logGroups", [{ logical: "new", fail: true }], [live("logGroups", "old")]);
    const results = await applyPlan(await planStack(spec, ctx, "apply", catalogue([groups])), ctx, { now: () => 0 });
    expect(results.map((r) => [r.address, r.outcome])).toEqual([
      ["logGroups.new", "failed"],
      ["logGroups.old", "skipped"],
    ]);
    expect(groups.store.has("old")).toBe(true);
  });
});

describe("replacing a kind that creates the new resource before deleting the old one", () => {
  /** A kind whose names must be unique, like target groups: the successor takes a second name while both exist. */
  function withSuccessor(kind: ReturnType<typeof fakeKind>) {
    kind.reconciler.successor = (desired, observed) => {
      const name = observed.name === desired.name ? `${desired.name}-2` : desired.name;
      return { desired: { ...desired, name }, name };
    };
    return kind;
  }

  it("plans one replacement row, creates the successor, moves what refers to it, then deletes the old one", async () => {
    const roles = withSuccessor(fakeKind("roles", [{ logical: "r", colour: "blue" }], [live("roles", "r")]));
    const groups = fakeKind("logGroups", [{ logical: "g", peer: "r" }], [live("logGroups", "g", { peerId: "roles-live-r" })]);
    const planned = await planStack(spec, ctx, "apply", catalogue([roles, groups]));
    expect(planned.plan.resources.map((r) => [r.address, r.action, r.createBeforeDelete])).toEqual([
      ["roles.r", "replace", true],
      ["logGroups.g", "update", undefined],
    ]);
    expect(planned.plan.resources[0]?.diffs[0]).toEqual({ path: "name", before: "r", after: "r-2" });
    expect(planned.plan.summary).toMatchObject({ replace: 1, change: 1, destroy: 0 });

    const order: string[] = [];
    const results = await applyPlan(planned, ctx, { now: () => 0, onResult: (r) => order.push(`${r.address} ${r.outcome}`) });
    expect(roles.calls).toEqual(["create r-2", "delete r"]);
    expect(groups.store.get("g")?.peerId).toBe(roles.store.get("r-2")?.id);
    // One result per plan row; the replacement's comes once the old resource is gone, after its users moved.
    expect(order).toEqual(["logGroups.g done", "roles.r done"]);
    expect(results.map((r) => r.action)).toEqual(["update", "replace"]);
  });

  it("keeps the old resource when a user could not move, and says the next run deletes it", async () => {
    const roles = withSuccessor(fakeKind("roles", [{ logical: "r", colour: "blue" }], [live("roles", "r")]));
    const groups = fakeKind("logGroups", [{ logical: "g", peer: "r", name: "g", fail: true }]);
    const results = await applyPlan(await planStack(spec, ctx, "apply", catalogue([roles, groups])), ctx, { now: () => 0 });
    expect(Object.fromEntries(results.map((r) => [r.address, [r.outcome, r.error]]))).toEqual({
      "logGroups.g": ["failed", "g refused"],
      "roles.r": [
        "failed",
        "the new one was created, but the old one (roles-live-r) was kept because logGroups.g failed: the next run deletes it",
      ],
    });
    expect(roles.calls).toEqual(["create r-2"]);
  });

  it("reports a failed create once, and never deletes the old resource", async () => {
    const roles = withSuccessor(fakeKind("roles", [{ logical: "r", colour: "blue" }], [live("roles", "r")]));
    roles.reconciler.create = async () => {
      throw new Error("no room for a second one");
    };
    const results = await applyPlan(await planStack(spec, ctx, "apply", catalogue([roles])), ctx, { now: () => 0 });
    expect(results.map((r) => [r.address, r.outcome, r.error])).toEqual([["roles.r", "failed", "no room for a second one"]]);
    expect(roles.calls).toEqual([]);
  });
});

describe("a versioned kind (every update is a new version with a new id, as a task definition's revision)", () => {
  const versioned = (kind: ReturnType<typeof fakeKind>) => {
    kind.reconciler.newVersion = (change) => change.fields.some((field) => !field.startsWith("tags."));
    return kind;
  };

  it("plans what refers to it to change with it, since its id will be new", async () => {
    const roles = versioned(fakeKind("roles", [{ logical: "r", size: 2 }], [live("roles", "r")]));
    const groups = fakeKind("logGroups", [{ logical: "g", peer: "r" }], [live("logGroups", "g", { peerId: "roles-live-r" })]);
    const { plan } = await planStack(spec, ctx, "apply", catalogue([roles, groups]));
    expect(plan.resources.map((r) => [r.address, r.action, r.newVersion])).toEqual([
      ["roles.r", "update", true],
      ["logGroups.g", "update", undefined],
    ]);
    expect(plan.resources[1]?.diffs).toEqual([{ path: "peerId", before: "roles-live-r", after: UNKNOWN }]);
  });

  it("a change of tags alone keeps its id: what refers to it stays as it is", async () => {
    const tagged = live("roles", "r", { tags: { ...owned("roles", "r"), team: "old" } });
    const roles = versioned(fakeKind("roles", [{ logical: "r" }], [tagged]));
    const groups = fakeKind("logGroups", [{ logical: "g", peer: "r" }], [live("logGroups", "g", { peerId: "roles-live-r" })]);
    const { plan } = await planStack(spec, ctx, "apply", catalogue([roles, groups]));
    expect(plan.resources.map((r) => [r.address, r.action, r.newVersion])).toEqual([
      ["roles.r", "update", undefined],
      ["logGroups.g", "noop", undefined],
    ]);
  });
});
