import { isPlainObject } from "./source-map.js";

/**
 * Merges a later spec file over an earlier one: maps merge key by key, recursively; a list or a scalar
 * in the later file replaces the earlier value whole; `null` in the later file removes the key.
 */
export function deepMerge(base: unknown, overlay: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(overlay)) return overlay;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) delete merged[key];
    else merged[key] = key in base ? deepMerge(base[key], value) : value;
  }
  return merged;
}
