/**
 * The engine's calls into a kind's diff and update, for both shapes while the kinds move to typed changes: a
 * legacy kind's diff gives bare lines, and its update takes the desired value and those lines back.
 */
import type { FieldDiff } from "../plan/model.js";
import type { AnyReconciler } from "../reconcilers/index.js";
import type { Context, Diff, Observed } from "../reconcilers/shared/types.js";

interface LegacyChange {
  legacy: true;
  desired: unknown;
  lines: FieldDiff[];
}

export function diffOf(reconciler: AnyReconciler, desired: unknown, observed: Observed): Diff<unknown> {
  const result: FieldDiff[] | Diff<unknown> = reconciler.diff(desired, observed);
  if (!Array.isArray(result)) return result;
  const change: LegacyChange = { legacy: true, desired, lines: result };
  return { lines: result, change };
}

export function updateWith(reconciler: AnyReconciler, change: unknown, observed: Observed, ctx: Context): Promise<Observed> {
  const legacy = change as Partial<LegacyChange>;
  if (legacy.legacy === true)
    return (reconciler.update as (d: unknown, o: Observed, l: FieldDiff[], c: Context) => Promise<Observed>)(
      legacy.desired,
      observed,
      legacy.lines!,
      ctx,
    );
  return (reconciler.update as (c: unknown, o: Observed, ctx: Context) => Promise<Observed>)(change, observed, ctx);
}
