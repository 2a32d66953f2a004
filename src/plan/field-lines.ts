import { KnownAfterApply, type FieldDiff } from "./model.js";

/** A value shown leaf by leaf, one line per field, as a resource to be created is. */
export function fieldLines(value: unknown, path = ""): FieldDiff[] {
  // null is how a desired value says "none" (no KMS key, no retention limit): nothing to show for a new resource.
  if (value === undefined || value === null) return [];
  if (typeof value !== "object" || value instanceof KnownAfterApply) return path ? [{ path, after: value }] : [];
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object")) return [{ path, after: value }];
    return value.flatMap((v, i) => fieldLines(v, `${path}[${i}]`));
  }
  return Object.entries(value).flatMap(([key, v]) => fieldLines(v, path ? `${path}.${key}` : key));
}
