import type { core } from "zod";
import type { Diagnostic, SpecPath } from "./diagnostics.js";
import { closestKey, formsAt, knownKeysAt } from "./schema-walk.js";
import { isPlainObject, type SourceMap } from "./source-map.js";
import { specSchema } from "./spec.js";

type Issue = core.$ZodIssue;

/** Turns zod's issues into diagnostics that say, in a user's words, what is wrong and where. */
export function issuesToDiagnostics(issues: readonly Issue[], value: unknown, sourceMap: SourceMap): Diagnostic[] {
  return issues.flatMap((issue) => convert(issue, [], value, sourceMap));
}

function convert(issue: Issue, base: SpecPath, root: unknown, sourceMap: SourceMap): Diagnostic[] {
  const path = [...base, ...(issue.path as (string | number)[])];
  const error = (code: string, message: string, at: SpecPath = path, preferKey = false): Diagnostic => ({
    severity: "error",
    code,
    message,
    path: at,
    location: sourceMap.locate(at, { preferKey }),
  });

  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => error("unknown-key", `unknown key \`${key}\`${suggestion(key, path)}`, [...path, key], true));
    case "invalid_union": {
      const matching = issue.errors.filter((branch) => structuralMismatches(branch, path, root) === 0);
      if (matching.length === 1) return matching[0]!.flatMap((inner) => convert(inner, path, root, sourceMap));
      return [error("invalid-value", `expected ${describeAlternatives(path)}, got ${describeValue(valueAt(root, path))}`)];
    }
    case "invalid_type": {
      const actual = valueAt(root, path);
      if (actual === undefined) {
        return [error("missing-key", `missing required key \`${String(path[path.length - 1])}\``, path.slice(0, -1))];
      }
      return [error("wrong-type", `expected ${typeName(issue.expected)}, got ${describeValue(actual)}`)];
    }
    case "invalid_key":
    case "invalid_element":
      return issue.issues.map((inner) => error("invalid-value", cleanMessage(inner.message)));
    case "invalid_value":
      return [
        error(
          "invalid-value",
          `expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}, got ${describeValue(valueAt(root, path))}`,
        ),
      ];
    default:
      return [error("invalid-value", cleanMessage(issue.message))];
  }
}

function suggestion(key: string, path: SpecPath): string {
  const known = knownKeysAt(specSchema, path);
  const close = closestKey(key, known);
  if (close) return `: did you mean \`${close}\`?`;
  return known.length > 0 ? ` (allowed here: ${known.join(", ")})` : "";
}

/** How badly a union branch misses the shape of the value: 0 means the shape fits and only details are wrong. */
function structuralMismatches(branch: readonly Issue[], unionPath: SpecPath, root: unknown): number {
  let count = 0;
  for (const issue of branch) {
    const path = [...unionPath, ...(issue.path as (string | number)[])];
    const atUnion = issue.path.length === 0;
    if (issue.code === "unrecognized_keys") count += issue.keys.length;
    else if (issue.code === "invalid_type" && (atUnion || valueAt(root, path) === undefined)) count++;
    else if (issue.code === "invalid_value" && atUnion) count++;
    else if (issue.code === "invalid_union" && atUnion && issue.errors.every((b) => structuralMismatches(b, path, root) > 0)) count++;
  }
  return count;
}

/** What the union at `path` accepts: `"default", { id: … } or { tags: … }`. */
function describeAlternatives(path: SpecPath): string {
  const forms = formsAt(specSchema, path);
  return forms.length <= 1 ? (forms[0] ?? "another value") : `${forms.slice(0, -1).join(", ")} or ${forms[forms.length - 1]}`;
}

function valueAt(root: unknown, path: SpecPath): unknown {
  let node = root;
  for (const part of path) {
    if (Array.isArray(node) && typeof part === "number") node = node[part];
    else if (isPlainObject(node)) node = node[String(part)];
    else return undefined;
  }
  return node;
}

function typeName(expected: string): string {
  switch (expected) {
    case "object":
    case "map":
      return "a map";
    case "record":
      return "a map keyed by name (`name: …`)";
    case "array":
      return "a list";
    case "string":
      return "a string";
    case "number":
    case "int":
      return "a number";
    case "boolean":
      return "true or false";
    default:
      return expected;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    return keys.length === 0 ? "an empty map" : `a map with ${keys.map((k) => `\`${k}\``).join(", ")}`;
  }
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function cleanMessage(message: string): string {
  return message.replace(/^Invalid input: /, "").replace(/^Too (small|big): /, "");
}
