import { formatPath, type Diagnostic, type SpecPath } from "./diagnostics.js";
import type { AddedKey } from "./load.js";
import { closestKey, formsAt, knownKeysAt } from "./schema-walk.js";
import { specSchema } from "./spec.js";

/**
 * An overlay that adds an entry to a map keyed by name (`services`, a task's `containers`, a listener's `rules`)
 * that lacks required keys of its own is most likely a misspelt key of the base files, a fragment meant to
 * change an entry there, not a new entry: its errors (a new service lacks `taskDefinition`) would mislead. It gets
 * one error at the overlay's key, saying so, with the base's key closest to it, in place of the entry's own errors;
 * without a close key, beside them. A new entry that is whole (even with a wrong value) is reported as before.
 */
export function explainAddedKeys(diagnostics: readonly Diagnostic[], added: readonly AddedKey[]): Diagnostic[] {
  let out = [...diagnostics];
  for (const key of added) {
    if (!isKeyedByName(key.path.slice(0, -1))) continue;
    const inside = out.filter((d) => d.severity === "error" && d.code !== "unset-variable" && within(d.path, key.path));
    const missing = inside.find((d) => d.code === "missing-key" && d.path.length === key.path.length);
    if (!missing) continue;
    const name = String(key.path[key.path.length - 1]);
    const close = closestKey(
      name,
      key.baseKeys.filter((k) => k !== name),
    );
    const message =
      `\`${name}\` is not in the base files (${key.baseFiles.join(", ")}), and as a new entry of ` +
      `\`${formatPath(key.path.slice(0, -1))}\` it is incomplete (${missing.message})` +
      (close ? `: did you mean \`${close}\`?` : "");
    const explained: Diagnostic = { severity: "error", code: "not-in-base", message, path: key.path, location: key.location };
    out = [explained, ...(close ? out.filter((d) => !inside.includes(d)) : out)];
  }
  return out;
}

/** A record (`z.record`): its keys are names the spec chooses, not fields. */
function isKeyedByName(path: SpecPath): boolean {
  return path.length > 0 && knownKeysAt(specSchema, path).length === 0 && formsAt(specSchema, path).includes("a map");
}

const within = (path: SpecPath, prefix: SpecPath): boolean =>
  path.length >= prefix.length && prefix.every((part, i) => String(path[i]) === String(part));
