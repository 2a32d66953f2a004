import { fieldLines } from "../plan/field-lines.js";
import type { FieldDiff } from "../plan/model.js";
import type { AnyReconciler } from "../reconcilers/index.js";

/** The field lines of a resource to be created: the reconciler's own preview, else its desired value, leaf by leaf. */
export function previewCreate(reconciler: AnyReconciler, value: unknown): FieldDiff[] {
  return reconciler.preview ? reconciler.preview(value) : fieldLines(value);
}
