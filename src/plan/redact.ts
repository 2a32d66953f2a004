import type { FieldDiff } from "./model.js";

export const SENSITIVE_MARKER = "(sensitive)";

/** Every text leaf of a value (numbers and booleans as they are written), at any depth. */
function textLeaves(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value === "number" || typeof value === "boolean") return [String(value)];
  if (Array.isArray(value)) return value.flatMap(textLeaves);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(textLeaves);
  return [];
}

/** The values on either side of the sensitive field lines: what no message about the resource may echo. */
export function sensitiveValuesOf(diffs: readonly FieldDiff[]): string[] {
  return diffs.filter((d) => d.sensitive).flatMap((d) => [...textLeaves(d.before), ...textLeaves(d.after)]);
}

/**
 * `text` with every occurrence of the values, as they are and as JSON would escape them inside a string (an AWS
 * message may quote the request), replaced by `(sensitive)`. Longer values go first, so that a value containing
 * another is cut out whole.
 */
export function redact(text: string, values: Iterable<string>): string {
  const forms = new Set<string>();
  for (const value of values) {
    if (value === "") continue;
    forms.add(value);
    forms.add(JSON.stringify(value).slice(1, -1));
  }
  return [...forms].sort((a, b) => b.length - a.length).reduce((cleaned, form) => cleaned.split(form).join(SENSITIVE_MARKER), text);
}
