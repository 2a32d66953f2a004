import { describeLease, type LeaseInfo } from "../aws/lease.js";
import type { Observed, Context } from "../reconcilers/contract.js";
import { CATALOGUE, type AnyReconciler, type Catalogue } from "../reconcilers/index.js";
import type { Spec } from "../schema/spec.js";
import type { LockStatus, ResourceStatus, ResourceStatusEntry, StackStatus } from "../plan/status.js";
import { describeFailure } from "./failure.js";
import { planStack, type PlannedResource } from "./planner.js";

/**
 * How the stack is doing, read only: the plan `apply` would carry out (do the live resources match the spec?),
 * each kind's status of the spec's live resources (all kinds side by side, once the plan has found them), and who
 * holds the stack's lease, read beside the plan. A kind's status or the lease that cannot be read is reported
 * among `unavailable`, the rest still is; a plan that cannot be made throws PlanError, as `plan` does.
 */
export async function stackStatus(spec: Spec, ctx: Context, catalogue: Catalogue = CATALOGUE): Promise<StackStatus> {
  const checkedAt = new Date().toISOString();
  const unavailable: StackStatus["unavailable"] = [];
  const lease = describeLease(ctx.clients, spec.stack).catch((error: unknown) => {
    unavailable.push({ what: "the stack's lease", error: describeFailure(error) });
    return undefined;
  });
  const { plan, entries } = await planStack(spec, ctx, "apply", catalogue);

  const live = entries.filter(isLiveSpecResource);
  const statuses = new Map<string, ResourceStatus>();
  await Promise.all(
    [...byReconciler(live)].map(async ([reconciler, observed]) => {
      try {
        for (const [id, status] of await reconciler.status!(observed, ctx)) statuses.set(`${reconciler.kind} ${id}`, status);
      } catch (error) {
        unavailable.push({ what: reconciler.kind, error: describeFailure(error) });
      }
    }),
  );
  const resources = live.flatMap(({ change, reconciler, observed }): ResourceStatusEntry[] => {
    const status = statuses.get(`${reconciler.kind} ${observed!.id}`);
    return status ? [{ address: change.address, kind: change.kind, name: observed!.name, id: observed!.id, status }] : [];
  });

  const changes = plan.resources
    .filter((r) => r.action !== "noop" && r.action !== "read")
    .map((r) => ({ address: r.address, action: r.action, ...(r.reason !== undefined && { reason: r.reason }) }));
  const lock = lockStatusOf(await lease);
  return {
    stack: spec.stack,
    region: spec.region,
    checkedAt,
    drift: { inSync: changes.length === 0, summary: plan.summary, changes },
    ...(lock && { lock }),
    resources,
    // Kinds finish in any order: the catalogue's, so that the report is the same from one run to the next.
    unavailable: unavailable.sort((a, b) => rankOf(catalogue, a.what) - rankOf(catalogue, b.what)),
  };
}

/**
 * A resource of the spec that exists, is the stack's (or is being adopted), and whose kind reports a status: not a
 * conflict (someone else's), a lookup, or the old half of a replacement, which is the same resource again.
 */
function isLiveSpecResource(entry: PlannedResource): boolean {
  const { action } = entry.change;
  return (
    entry.node !== undefined &&
    entry.observed !== undefined &&
    entry.half !== "delete" &&
    action !== "conflict" &&
    action !== "read" &&
    entry.reconciler.status !== undefined
  );
}

function byReconciler(entries: readonly PlannedResource[]): Map<AnyReconciler, Observed[]> {
  const grouped = new Map<AnyReconciler, Observed[]>();
  for (const { reconciler, observed } of entries) {
    const list = grouped.get(reconciler) ?? [];
    list.push(observed!);
    grouped.set(reconciler, list);
  }
  return grouped;
}

const rankOf = (catalogue: Catalogue, what: string): number => {
  const index = catalogue.reconcilers.findIndex((r) => r.kind === what);
  return index < 0 ? catalogue.reconcilers.length : index;
};

function lockStatusOf(lease: LeaseInfo | undefined): LockStatus | undefined {
  if (!lease) return undefined;
  return { holder: { ...lease.holder }, expiresAt: lease.expiresAt.toISOString(), expired: lease.expired };
}
