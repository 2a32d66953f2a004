import { accountOfArn, callerIdentity, isAwsEndpoint, type CallerIdentity } from "../aws/identity.js";
import { DependencyGraph } from "../graph/graph.js";
import { runJobs, type Job } from "../graph/executor.js";
import { summarise, type Plan, type PlanTarget, type ResourceChange } from "../plan/model.js";
import { CATALOGUE, type AnyReconciler, type Catalogue } from "../reconcilers/index.js";
import { addressFromTags, ID_TAG, STACK_TAG, type Context, type DesiredNode, type Kind, type Observed } from "../reconcilers/contract.js";
import { findTaggedResources } from "../reconcilers/tagged-resources.js";
import type { Spec } from "../schema/spec.js";
import { describeFailure } from "./failure.js";
import { kindGraph, type KindGraph } from "./kind-graph.js";
import { outputsFrom, type KnownOutputs } from "./outputs.js";
import { previewCreate } from "./preview.js";

export { outputsFrom } from "./outputs.js";

/** One job of the plan with what it takes to carry it out; a plan row has one, a replacement two. */
export interface PlannedResource {
  /** The plan row; both halves of a replacement share it. */
  change: ResourceChange;
  reconciler: AnyReconciler;
  /** The spec's node, for everything but deletions. */
  node?: DesiredNode<unknown>;
  /** The live resource: what an update changes, a replacement or a deletion removes. */
  observed?: Observed;
  /** Job id: the address, or `delete:<address>:<id>` for a deletion (the old half of a replacement included). */
  job: string;
  /** Jobs that must finish first. */
  after: string[];
  /**
   * Of a replacement: this job deletes the old resource, or creates the new one. Delete-then-create (a load
   * balancer, whose name must stay unique) runs the delete first; create-then-delete (a kind with a successor hook,
   * a target group or a security group) deletes once the new one exists and what referred to the old one has moved over.
   */
  half?: "delete" | "create";
}

export interface EnginePlan {
  plan: Plan;
  entries: PlannedResource[];
  /** Outputs of the resources that exist, by address (ids, ARNs), for building nodes at apply time. */
  outputs: KnownOutputs;
}

/** The plan cannot be made: a lookup found nothing, or AWS refused a read. Nothing was changed. */
export class PlanError extends Error {
  override name = "PlanError";
}

export interface PlanOptions {
  /** At most this many kinds are observed (or discovered) at once (default 8). */
  readParallelism?: number;
  /**
   * Make the changes a kind holds because they failed before (Reconciler.held: an ECS deployment of content whose
   * deployment failed) instead of planning them `held`. The CLI's `--retry-failed`.
   */
  retryFailed?: boolean;
  /**
   * Name the account and endpoint in the plan (`Plan.target`), from the ARNs the plan read, or else one STS
   * GetCallerIdentity. A failure of that call leaves the account unknown, with the reason; it never fails the plan.
   */
  identify?: boolean;
}

type SpecNode = { reconciler: AnyReconciler; node: DesiredNode<unknown> };

/**
 * Reads the live state of everything the spec names and everything tagged as the stack's, and works out the
 * change each needs. Never writes. `delete` mode plans the removal of everything the stack owns.
 */
export async function planStack(
  spec: Spec,
  session: Context,
  mode: "apply" | "delete",
  catalogue: Catalogue = CATALOGUE,
  options: PlanOptions = {},
): Promise<EnginePlan> {
  const ctx: Context = { ...session, planReads: new Map() };
  const kinds = kindGraph(catalogue.reconcilers);
  const nodes = catalogue.reconcilers.flatMap((reconciler) => reconciler.nodes(spec).map((node) => ({ reconciler, node })));
  const uncovered = uncoveredDependencies(kinds, nodes);
  if (uncovered.length > 0) throw new Error(`the kinds' refersTo leave out dependencies: ${uncovered.join("; ")}`);
  const graph = new DependencyGraph();
  for (const { node } of nodes) {
    graph.addNode(node.address);
    for (const dep of node.dependsOn) graph.addDependency(node.address, dep);
  }
  const order = graph.topologicalOrder();

  // Most kinds take their candidates' tags from the one Tagging API query, whose pages come one after the other: asked
  // at once rather than when the first kind that needs it is reached, a few waves in. Its failure is the asker's.
  findTaggedResources(ctx).catch(() => undefined);
  const read = await observeInWaves(spec, ctx, kinds, nodes, options);
  const identity = options.identify ? await identify(ctx, read) : undefined;
  const byAddress = new Map(nodes.map((n) => [n.node.address, n]));
  const doomed = findDoomed(spec, mode, byAddress, read.observed, read.discovered);

  const converge = mode === "apply" ? order.map((address) => read.converge.get(address)!) : [];
  const entries = [...converge.map(creationHalf), ...deletionEntries(doomed, converge, kinds, byAddress)];
  refuseCycles(entries);
  const resources = [...new Set(entries.map((e) => e.change))];
  return {
    plan: {
      stack: spec.stack,
      region: spec.region,
      ...(identity && { target: planTarget(identity) }),
      mode,
      resources,
      summary: summarise(resources),
    },
    entries,
    outputs: read.outputs,
  };
}

/**
 * The account and endpoint the plan is about. The account is in the ARNs the plan has just read (a stack's own
 * resources are its account's): STS GetCallerIdentity is asked only when none names it, as for a stack with
 * nothing yet, and then after the reads (one round trip more, on a first plan only).
 */
async function identify(ctx: Context, read: { observed: ReadonlyMap<string, Observed>; discovered: ReadonlyArray<{ live: Observed }> }) {
  const live = [...read.observed.values(), ...read.discovered.map((d) => d.live)];
  const account = live.map((o) => accountOfArn(o.id)).find((a) => a !== undefined);
  const endpoint = ctx.clients.options.stats?.endpoint;
  return account ? { account, ...(endpoint !== undefined && { endpoint }) } : callerIdentity(ctx.clients);
}

function planTarget(identity: CallerIdentity): PlanTarget {
  return {
    ...(identity.account !== undefined && { account: identity.account }),
    ...(identity.error !== undefined && { accountError: identity.error }),
    ...(identity.endpoint !== undefined && { endpoint: identity.endpoint, awsEndpoint: isAwsEndpoint(identity.endpoint) }),
  };
}

/** Every `dependsOn` whose kind its node's kind does not declare in `refersTo`: the derived graph would miss it. */
export function uncoveredDependencies(kinds: KindGraph, nodes: readonly SpecNode[]): string[] {
  return nodes.flatMap(({ node }) =>
    node.dependsOn
      .filter((dep) => !kinds.refersTo(node.kind).includes(kindOfAddress(dep)))
      .map((dep) => `${node.address} depends on ${dep}, but ${node.kind} does not refer to ${kindOfAddress(dep)}`),
  );
}

const kindOfAddress = (address: string): Kind => address.slice(0, (address + ".").indexOf(".")) as Kind;

/**
 * Reads the live resource of every node and works out its change. Each kind is observed once the kinds it looks
 * up are planned, and planned once it is observed and the kinds it refers to are planned; kinds that wait on
 * nothing undone are read together, so a plan waits for about as many AWS round trips as the kind graph is deep.
 * A kind's discovery of the stack's other resources follows its observation, beside the rest.
 */
async function observeInWaves(spec: Spec, ctx: Context, kinds: KindGraph, nodes: readonly SpecNode[], options: PlanOptions) {
  const outputs: KnownOutputs = new Map();
  // The names of new versions, for what refers to them: `(known after apply: shop-web:2)`.
  const hints = new Map<string, string>();
  const lookup = outputsFrom(outputs, hints);
  const observed = new Map<string, Observed>();
  const converge = new Map<string, PlannedResource>();
  const discovered: Array<{ reconciler: AnyReconciler; live: Observed }> = [];
  const found = new Map<Kind, Map<string, Observed>>();

  const jobs = kinds.reconcilers.flatMap((reconciler): Job[] => {
    const { kind } = reconciler;
    const mine = nodes.filter((n) => n.reconciler === reconciler).map((n) => n.node);
    const observe: Job = {
      id: `observe ${kind}`,
      dependsOn: reconciler.looksUp.map((k) => `plan ${k}`),
      run: async () => {
        const desired = mine.map((node) => ({ address: node.address, value: node.build(lookup) }));
        found.set(kind, desired.length === 0 ? new Map() : await reconciler.observe(desired, ctx));
      },
    };
    const plan: Job = {
      id: `plan ${kind}`,
      dependsOn: [observe.id, ...kinds.refersTo(kind).map((k) => `plan ${k}`)],
      run: async () => {
        for (const node of mine) {
          const live = found.get(kind)!.get(node.address);
          if (!live && node.readOnly) throw new PlanError(`${node.address}: ${node.name} not found`);
          if (live) observed.set(node.address, live);
          const entry = convergeEntry(reconciler, node, node.build(lookup), live, spec.stack, options.retryFailed === true);
          converge.set(node.address, entry);
          // What refers to a resource builds on its outputs only while that resource stays: not when it is
          // replaced or gets a new version (its id changes), nor when someone else owns it (it waits for the
          // conflict to go).
          const { action, newVersion, newVersionName } = entry.change;
          const stays = action !== "replace" && action !== "conflict" && !newVersion;
          if (live && stays) outputs.set(node.address, reconciler.outputs(live));
          if (newVersionName !== undefined) hints.set(node.address, newVersionName);
        }
      },
    };
    const discover: Job = {
      id: `discover ${kind}`,
      dependsOn: [observe.id],
      run: async () => {
        const known = new Set([...found.get(kind)!.values()].map((live) => live.id));
        for (const live of await reconciler.discover(ctx, known)) discovered.push({ reconciler, live });
      },
    };
    return [observe, plan, discover];
  });

  const outcomes = await runJobs(jobs, { parallelism: options.readParallelism ?? 8 });
  for (const job of jobs) {
    const outcome = outcomes.get(job.id)!;
    if (outcome.status !== "failed") continue;
    if (outcome.error instanceof PlanError) throw outcome.error;
    throw new PlanError(`${job.id}: ${describeFailure(outcome.error)}`, { cause: outcome.error });
  }
  // Discovery finishes in any order: sort it back into the catalogue's, so that plans are deterministic.
  const rank = new Map(kinds.reconcilers.map((r, i) => [r, i]));
  discovered.sort((a, b) => rank.get(a.reconciler)! - rank.get(b.reconciler)!);
  return { observed, converge, outputs, discovered };
}

/** A live resource of the stack to delete: pruned, an old copy, or (for `delete`) anything it owns. */
interface Doomed {
  reconciler: AnyReconciler;
  live: Observed;
  address: string;
  reason: string | undefined;
}

/** What the stack owns that the spec does not name (pruning, older copies), or, for `delete`, everything it owns. */
function findDoomed(
  spec: Spec,
  mode: "apply" | "delete",
  byAddress: ReadonlyMap<string, SpecNode>,
  observed: ReadonlyMap<string, Observed>,
  discovered: ReadonlyArray<{ reconciler: AnyReconciler; live: Observed }>,
): Doomed[] {
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
  retryFailed: boolean,
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
  const { lines: diffs, change } = reconciler.diff(value, live);
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
  // Held: what the change would be is still shown; nothing is sent, and the row is reported failed.
  const held = retryFailed ? undefined : reconciler.held?.(value, live, change);
  if (held !== undefined) return entry({ action: "held", id: live.id, diffs, reason: held });
  const reason = adopting
    ? "adopted: it gets this stack's ownership tags"
    : owner.kind === "renamed"
      ? `was ${owner.from} in the spec`
      : undefined;
  const newVersion = reconciler.newVersion?.(change) === true;
  const newVersionName = newVersion ? reconciler.newVersionName?.(value, live) : undefined;
  return entry({
    action: "update",
    id: live.id,
    diffs,
    ...(reason && { reason }),
    ...(newVersion && { newVersion: true }),
    ...(newVersionName !== undefined && { newVersionName }),
  });
}

const deletionJob = (address: string, id: string) => `delete:${address}:${id}`;

/**
 * A replacement is two jobs with one plan row: the old resource's deletion, ordered among the other deletions
 * (see deletionEntries), and this, the new one's creation, which in delete-then-create waits for the deletion.
 */
function creationHalf(entry: PlannedResource): PlannedResource {
  if (entry.change.action !== "replace") return entry;
  if (entry.change.createBeforeDelete === true) return { ...entry, half: "create" };
  return { ...entry, half: "create", after: [...entry.after, deletionJob(entry.change.address, entry.observed!.id)] };
}

/**
 * Deletions, the old halves of replacements among them, in reverse dependency order: a resource goes only once
 * every deletion of what may refer to it is done (reversed `refersTo` edges, as the spec may no longer say which
 * refers to which). A pruned resource, and the old half of a create-then-delete replacement, also waits for every
 * other change that does not itself wait for a deletion: until its users are updated it may still be in use.
 */
function deletionEntries(
  doomed: readonly Doomed[],
  converge: readonly PlannedResource[],
  kinds: KindGraph,
  byAddress: ReadonlyMap<string, SpecNode>,
): PlannedResource[] {
  const replaced = converge.filter((e) => e.change.action === "replace");
  const deletions: Array<{ kind: Kind; address: string; entry: PlannedResource; waitsForChanges: boolean }> = [
    ...doomed.map((d) => {
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
      const entry: PlannedResource = {
        change,
        reconciler: d.reconciler,
        observed: d.live,
        job: deletionJob(d.address, d.live.id),
        after: [],
      };
      return { kind: d.reconciler.kind, address: d.address, entry, waitsForChanges: true };
    }),
    ...replaced.map((e) => {
      const entry: PlannedResource = { ...e, half: "delete", job: deletionJob(e.change.address, e.observed!.id), after: [] };
      const createFirst = e.change.createBeforeDelete === true;
      if (createFirst) entry.after.push(e.job);
      return { kind: e.reconciler.kind, address: e.change.address, entry, waitsForChanges: createFirst };
    }),
  ];

  for (const d of deletions) {
    for (const other of deletions) {
      if (other === d) continue;
      const kindFirst = kinds.refersTo(other.kind).includes(d.kind);
      const refersToMe = byAddress.get(other.address)?.node.dependsOn.includes(d.address) ?? false;
      if (kindFirst || refersToMe) d.entry.after.push(other.entry.job);
    }
  }
  // Changes that wait for a deletion (the new halves of delete-then-create replacements, and what builds on them).
  const afterDeletion = new Set<string>();
  for (const e of converge) {
    const own = e.change.action === "replace" && e.change.createBeforeDelete !== true;
    if (own || e.after.some((job) => afterDeletion.has(job))) afterDeletion.add(e.job);
  }
  const free = converge.map((e) => e.job).filter((job) => !afterDeletion.has(job));
  for (const d of deletions) d.entry.after = [...new Set([...d.entry.after, ...(d.waitsForChanges ? free : [])])];

  const pruned = deletions.filter((d) => d.entry.change.action === "delete").map((d) => d.entry);
  const halves = deletions.filter((d) => d.entry.change.action !== "delete").map((d) => d.entry);
  // Display order of the pruned: what must go first, first.
  const prunedJobs = new Set(pruned.map((e) => e.job));
  const graph = new DependencyGraph();
  for (const e of pruned) {
    graph.addNode(e.job);
    for (const dep of e.after) if (prunedJobs.has(dep)) graph.addDependency(e.job, dep);
  }
  const rank = new Map(graph.topologicalOrder().map((job, i) => [job, i]));
  return [...halves, ...pruned.sort((a, b) => rank.get(a.job)! - rank.get(b.job)!)];
}

/** The changes cannot be ordered (a bug in a kind's declarations, not in the spec): refuse before any call. */
function refuseCycles(entries: readonly PlannedResource[]): void {
  const graph = new DependencyGraph();
  for (const e of entries) {
    graph.addNode(e.job);
    for (const dep of e.after) graph.addDependency(e.job, dep);
  }
  const cycle = graph.findCycles()[0];
  if (cycle) throw new PlanError(`the changes cannot be ordered, they wait on each other: ${cycle.join(" -> ")}`);
}

function splitAddress(address: string): [string, string] {
  const dot = address.indexOf(".");
  return dot < 0 ? [address, address] : [address.slice(0, dot), address.slice(dot + 1)];
}
