import { KnownAfterApply, type FieldDiff } from "../plan/model.js";
import type { AnyReconciler } from "../reconcilers/registry.js";

/** The field lines of a resource to be created: the reconciler's own preview, else its desired value, leaf by leaf. */
export function previewCreate(reconciler: AnyReconciler, value: unknown): FieldDiff[] {
  return reconciler.preview ? reconciler.preview(value) : flatten(value, "");
}

function flatten(value: unknown, path: string): FieldDiff[] {
  // null is how a desired value says "none" (no KMS key, no retention limit): nothing to show for a new resource.
  if (value === undefined || value === null) return [];
  if (typeof value !== "object" || value instanceof KnownAfterApply) return path ? [{ path, after: value }] : [];
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object")) return [{ path, after: value }];
    return value.flatMap((v, i) => flatten(v, `${path}[${i}]`));
  }
  return Object.entries(value).flatMap(([key, v]) => flatten(v, path ? `${path}.${key}` : key));
}
