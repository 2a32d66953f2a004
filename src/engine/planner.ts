import { DependencyGraph } from "../graph/graph.js";
import { summarise, UNKNOWN, type KnownAfterApply, type Plan, type ResourceChange } from "../plan/model.js";
import { CATALOGUE, type AnyReconciler, type Catalogue } from "../reconcilers/index.js";
import { isTagDiff } from "../reconcilers/shared/diff-helpers.js";
import {
  addressFromTags,
  ID_TAG,
  STACK_TAG,
  type Context,
  type DesiredNode,
  type Observed,
  type Outputs,
} from "../reconcilers/shared/types.js";
import type { Spec } from "../schema/spec.js";
import { describeFailure } from "./failure.js";
import { diffOf } from "./kind-calls.js";
import { previewCreate } from "./preview.js";

/** One row of the plan with what it takes to carry it out. */
export interface PlannedResource {
  change: ResourceChange;
  reconciler: AnyReconciler;
  /** The spec's node, for everything but deletions. */
  node?: DesiredNode<unknown>;
  /** The live resource: what an update changes, a replacement or a deletion removes. */
  observed?: Observed;
  /** Job id: the address, or `delete:<address>:<id>` for a deletion. */
  job: string;
  /** Jobs that must finish first. */
  after: string[];
  /**
   * The second half of a create-before-delete replacement: deletes the old resource once the new one exists
   * and the run's other changes are done. It shares its change with the first half and has no plan row.
   */
  retires?: boolean;
}

export interface EnginePlan {
  plan: Plan;
  entries: PlannedResource[];
  /** Outputs of the resources that exist, by address (ids, ARNs), for building nodes at apply time. */
  outputs: Map<string, Record<string, string | string[]>>;
}

/** The plan cannot be made: a lookup found nothing, or AWS refused a read. Nothing was changed. */
export class PlanError extends Error {
  override name = "PlanError";
}

export function outputsFrom(known: ReadonlyMap<string, Record<string, string | string[]>>): Outputs {
  const get = (address: string, output: string): string | string[] | KnownAfterApply => known.get(address)?.[output] ?? UNKNOWN;
  return {
    string(address, output) {
      const value = get(address, output);
      if (Array.isArray(value)) throw new Error(`${address}.${output} is a list, not a string`);
      return value;
    },
    list(address, output) {
      const value = get(address, output);
      if (typeof value === "string") throw new Error(`${address}.${output} is a string, not a list`);
      return value;
    },
  };
}

/**
 * Reads the live state of everything the spec names and everything tagged as the stack's, and works out
 * the change each needs. Never writes. `delete` mode plans the removal of everything the stack owns.
 */
export async function planStack(
  spec: Spec,
  session: Context,
  mode: "apply" | "delete",
  catalogue: Catalogue = CATALOGUE,
): Promise<EnginePlan> {
  const ctx: Context = { ...session, planReads: new Map() };
  const nodes = catalogue.reconcilers.flatMap((reconciler) => reconciler.nodes(spec).map((node) => ({ reconciler, node })));
  const graph = new DependencyGraph();
  for (const { node } of nodes) {
    graph.addNode(node.address);
    for (const dep of node.dependsOn) graph.addDependency(node.address, dep);
  }
  const order = graph.topologicalOrder();

  const { observed, converge, outputs } = await observeSpec(spec, ctx, catalogue.reconcilers, nodes);
  const byAddress = new Map(nodes.map((n) => [n.node.address, n]));
  const doomed = await findDoomed(spec, ctx, mode, catalogue.reconcilers, byAddress, observed);

  const entries = mode === "apply" ? order.map((address) => converge.get(address)!) : [];
  // The old resource of a create-before-delete replacement goes with the deletions, once its users have moved.
  const retiring = entries
    .filter((e) => e.change.createBeforeDelete)
    .map((e) => ({ reconciler: e.reconciler, live: e.observed!, address: e.change.address, retires: e }));
  entries.push(
    ...deletionEntries(
      [...doomed, ...retiring],
      byAddress,
      entries.map((e) => e.job),
    ),
  );
  const resources = entries.filter((e) => !e.retires).map((e) => e.change);
  return { plan: { stack: spec.stack, region: spec.region, mode, resources, summary: summarise(resources) }, entries, outputs };
}

type SpecNode = { reconciler: AnyReconciler; node: DesiredNode<unknown> };

/**
 * Reads the live resource of every node and works out its change, kind by kind in registry order, so that a
 * node's references are observed (or known to be missing, or to be replaced) before it is built.
 */
async function observeSpec(spec: Spec, ctx: Context, reconcilers: readonly AnyReconciler[], nodes: readonly SpecNode[]) {
  const outputs = new Map<string, Record<string, string | string[]>>();
  const observed = new Map<string, Observed>();
  const converge = new Map<string, PlannedResource>();
  const kinds = new DependencyGraph();
  for (const r of reconcilers) {
    kinds.addNode(r.kind);
    for (const kind of r.refersTo) kinds.addDependency(r.kind, kind);
  }
  const order = kinds.topologicalOrder();
  for (const reconciler of [...reconcilers].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))) {
    const mine = nodes.filter((n) => n.reconciler === reconciler).map((n) => n.node);
    if (mine.length === 0) continue;
    const lookup = outputsFrom(outputs);
    const desired = mine.map((node) => ({ address: node.address, value: node.build(lookup) }));
    const found = await readOrFail(`observe ${reconciler.kind}`, () => reconciler.observe(desired, ctx));
    for (const [i, node] of mine.entries()) {
      const live = found.get(node.address);
      if (!live && node.readOnly) throw new PlanError(`${node.address}: ${node.name} not found`);
      if (live) observed.set(node.address, live);
      const entry = convergeEntry(reconciler, node, desired[i]!.value, live, spec.stack);
      converge.set(node.address, entry);
      // What refers to a resource builds on its outputs only while that resource stays: not when it is
      // replaced or gets a new version (its id changes), nor when someone else owns it (it waits for the
      // conflict to go).
      const { action, newVersion } = entry.change;
      const stays = action !== "replace" && action !== "conflict" && !newVersion;
      if (live && stays) outputs.set(node.address, reconciler.outputs(live));
    }
  }
  return { observed, converge, outputs };
}

/** What the stack owns that the spec does not name (pruning, older copies), or, for `delete`, everything it owns. */
async function findDoomed(
  spec: Spec,
  ctx: Context,
  mode: "apply" | "delete",
  reconcilers: readonly AnyReconciler[],
  byAddress: ReadonlyMap<string, SpecNode>,
  observed: ReadonlyMap<string, Observed>,
): Promise<Doomed[]> {
  const discovered = (
    await Promise.all(
      reconcilers.map(async (reconciler) => {
        const known = new Set(
          [...observed].filter(([address]) => byAddress.get(address)!.reconciler === reconciler).map(([, live]) => live.id),
        );
        const found = await readOrFail(`discover ${reconciler.kind}`, () => reconciler.discover(ctx, known));
        return found.map((live) => ({ reconciler, live }));
      }),
    )
  ).flat();

  const claimed = new Set(
    mode === "apply" ? [...observed].map(([address, live]) => `${byAddress.get(address)!.reconciler.kind} ${live.id}`) : [],
  );
  const doomed: Doomed[] = [];
  const consider = (reconciler: AnyReconciler, live: Observed, address: string, reason: string | undefined) => {
    const key = `${reconciler.kind} ${live.id}`;
    if (claimed.has(key) || reconciler.isEmpty?.(live)) return;
    claimed.add(key);
    doomed.push({ reconciler, live, address, reason });
  };
  if (mode === "delete") {
    for (const [address, live] of observed) {
      const { reconciler, node } = byAddress.get(address)!;
      // Only what carries the stack's tag: `adopt` takes a resource over on apply, never deletes one not yet taken.
      if (!node.readOnly && live.tags[STACK_TAG] === spec.stack) consider(reconciler, live, address, undefined);
    }
  }
  for (const { reconciler, live } of discovered) {
    const address = addressFromTags(live.tags) ?? `${reconciler.kind}.${live.name}`;
    const current = byAddress.get(address)?.node.name;
    const reason =
      mode === "delete"
        ? undefined
        : current === undefined
          ? "no longer in the spec"
          : current === live.name
            ? `an older copy of ${address} (${live.id})`
            : `an older copy of ${address}: the spec now names it ${current}`;
    consider(reconciler, live, address, reason);
  }
  return doomed;
}

/** A live resource of the stack to delete: pruned, an old copy, replaced, or (for `delete`) anything it owns. */
type Doomed = {
  reconciler: AnyReconciler;
  live: Observed;
  address: string;
} & ({ reason: string | undefined } | { retires: PlannedResource });

type Ownership = { kind: "ours" } | { kind: "renamed"; from: string } | { kind: "foreign"; reason: string };

/** Whose a live resource is, by its ownership tags. */
export function ownership(live: Observed, node: DesiredNode<unknown>, stack: string): Ownership {
  const owner = live.tags[STACK_TAG];
  const id = `${node.kind}/${node.logical}`;
  if (owner === stack) return live.tags[ID_TAG] === id ? { kind: "ours" } : { kind: "renamed", from: live.tags[ID_TAG] ?? "(no id)" };
  if (owner !== undefined)
    return { kind: "foreign", reason: `belongs to stack "${owner}" (tag ${STACK_TAG}=${owner}); it is left untouched` };
  if (node.adopt) return { kind: "ours" };
  return {
    kind: "foreign",
    reason: `exists without this stack's tag ${STACK_TAG}=${stack}; it is left untouched (set \`adopt: true\` on it in the spec to manage it)`,
  };
}

function convergeEntry(
  reconciler: AnyReconciler,
  node: DesiredNode<unknown>,
  value: unknown,
  live: Observed | undefined,
  stack: string,
): PlannedResource {
  const base = { address: node.address, kind: node.kind, logical: node.logical, name: node.name };
  const entry = (change: Omit<ResourceChange, keyof typeof base>): PlannedResource => ({
    change: { ...base, ...change },
    reconciler,
    node,
    ...(live && { observed: live }),
    job: node.address,
    after: node.dependsOn,
  });

  if (node.readOnly) return entry({ action: "read", diffs: [], ...(live && { id: live.id }) });
  if (!live) {
    // The name is on the resource's own line already.
    const diffs = previewCreate(reconciler, value).filter((d) => !(d.path === "name" && d.after === node.name));
    return entry({ action: "create", diffs });
  }

  const owner = ownership(live, node, stack);
  if (owner.kind === "foreign") return entry({ action: "conflict", id: live.id, diffs: [], reason: owner.reason });
  const diffs = diffOf(reconciler, value, live).lines;
  const forcing = diffs.filter((d) => d.forcesReplacement).map((d) => d.path);
  const adopting = live.tags[STACK_TAG] === undefined;
  if (forcing.length > 0 && adopting) {
    return entry({
      action: "conflict",
      id: live.id,
      diffs,
      reason: `adopting it would replace it (forced by ${forcing.join(", ")}): a resource the stack does not own yet is never deleted`,
    });
  }
  if (forcing.length > 0) {
    const successor = reconciler.successor?.(value, live);
    // The new resource's name, when it must differ from the old one's while both exist.
    const renamed = successor && successor.name !== live.name && !diffs.some((d) => d.path === "name");
    return entry({
      action: "replace",
      id: live.id,
      diffs: renamed ? [{ path: "name", before: live.name, after: successor.name }, ...diffs] : diffs,
      replaceFields: forcing,
      reason: "AWS cannot change these fields in place",
      ...(successor && { createBeforeDelete: true }),
    });
  }
  if (diffs.length === 0) return entry({ action: "noop", id: live.id, diffs });
  const reason = adopting
    ? "adopted: it gets this stack's ownership tags"
    : owner.kind === "renamed"
      ? `was ${owner.from} in the spec`
      : undefined;
  const newVersion = reconciler.versioned === true && diffs.some((d) => !isTagDiff(d));
  return entry({ action: "update", id: live.id, diffs, ...(reason && { reason }), ...(newVersion && { newVersion: true }) });
}

/**
 * Deletions wait for every other change (a pruned resource may still be in use until its users are updated)
 * and run in reverse dependency order among themselves.
 */
function deletionEntries(
  doomed: readonly Doomed[],
  byAddress: ReadonlyMap<string, { node: DesiredNode<unknown> }>,
  convergeJobs: readonly string[],
): PlannedResource[] {
  const jobOf = (d: (typeof doomed)[number]) => `delete:${d.address}:${d.live.id}`;
  const entries = doomed.map((d): PlannedResource => {
    const after = new Set(convergeJobs);
    for (const other of doomed) {
      if (other === d) continue;
      const kindFirst = other.reconciler.refersTo.includes(d.reconciler.kind);
      const refersToMe = byAddress.get(other.address)?.node.dependsOn.includes(d.address) ?? false;
      if (kindFirst || refersToMe) after.add(jobOf(other));
    }
    if ("retires" in d) return { ...d.retires, job: jobOf(d), after: [...after], retires: true };
    const [kind, logical] = splitAddress(d.address);
    const change: ResourceChange = {
      address: d.address,
      kind,
      logical,
      name: d.live.name,
      id: d.live.id,
      action: "delete",
      diffs: [],
      reason: d.reason,
    };
    return { change, reconciler: d.reconciler, observed: d.live, job: jobOf(d), after: [...after] };
  });
  // Display order: what must go first, first.
  const graph = new DependencyGraph();
  for (const e of entries) {
    graph.addNode(e.job);
    for (const dep of e.after) if (dep.startsWith("delete:")) graph.addDependency(e.job, dep);
  }
  const rank = new Map(graph.topologicalOrder().map((job, i) => [job, i]));
  return entries.sort((a, b) => rank.get(a.job)! - rank.get(b.job)!);
}

function splitAddress(address: string): [string, string] {
  const dot = address.indexOf(".");
  return dot < 0 ? [address, address] : [address.slice(0, dot), address.slice(dot + 1)];
}

async function readOrFail<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new PlanError(`${what}: ${describeFailure(error)}`, { cause: error });
  }
}
