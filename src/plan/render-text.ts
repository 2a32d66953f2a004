import { isDeepStrictEqual } from "node:util";
import type { Style } from "../cli/style.js";
import { hasChanges, KnownAfterApply, type Action, type FieldDiff, type Plan, type PlanSummary, type ResourceChange } from "./model.js";
import { SENSITIVE_MARKER } from "./redact.js";

/**
 * The plan as people read it, in the style of infrastructure tools: a header, one line per resource with
 * its field changes indented under it, and a summary line. Colour comes only from `style`. No trailing newline.
 */
export function renderPlanText(plan: Plan, style: Style, options: { showUnchanged?: boolean } = {}): string {
  const shown = plan.resources.filter((r) => options.showUnchanged || (r.action !== "noop" && r.action !== "read"));
  const lines = [`Plan to ${plan.mode} stack ${style.bold(plan.stack)} in ${plan.region}:`, ""];
  for (const change of shown) lines.push(resourceLine(change, style), ...fieldLines(change, style));
  if (shown.length > 0) lines.push("");
  lines.push(summaryLine(plan, style));
  return lines.join("\n");
}

/** The symbol column is three wide so that `-/+` and ` <=` line up with `  +`; `+/-` is a replacement that creates first. */
export function actionSymbol(action: Action, style: Style, createBeforeDelete = false): string {
  if (action === "replace" && createBeforeDelete) return `${style.green("+")}/${style.red("-")}`;
  switch (action) {
    case "create":
      return `  ${style.green("+")}`;
    case "update":
      return `  ${style.yellow("~")}`;
    case "replace":
      return `${style.red("-")}/${style.green("+")}`;
    case "delete":
      return `  ${style.red("-")}`;
    case "conflict":
      return `  ${style.red("!")}`;
    case "held":
      return `  ${style.red("✗")}`;
    case "read":
      return ` ${style.dim("<=")}`;
    case "noop":
      return "   ";
  }
}

/**
 * `(name)`, or `(name, id)` once AWS's id is known and says something short the name does not (`sg-0e5…`). ARNs are
 * left to the JSON: they repeat the name, or (a listener's) are too long to help on one line.
 */
export function identity(change: ResourceChange): string {
  const telling = change.id && !change.id.startsWith("arn:") && !change.id.includes(change.name);
  return telling ? `(${change.name}, ${change.id})` : `(${change.name})`;
}

function resourceLine(change: ResourceChange, style: Style): string {
  const reason = change.reason ? `: ${change.reason}` : "";
  return `${actionSymbol(change.action, style, change.createBeforeDelete)} ${style.bold(change.address)} ${identity(change)} ${actionWords(change, style)}${reason}`;
}

function actionWords(change: ResourceChange, style: Style): string {
  switch (change.action) {
    case "create":
      return "will be created";
    case "update":
      return change.newVersion ? "will get a new revision" : "will be updated in place";
    case "replace": {
      const forcedBy = change.replaceFields ?? change.diffs.filter((d) => d.forcesReplacement).map((d) => d.path);
      const how = change.createBeforeDelete ? " (create before delete)" : "";
      return `will be replaced${how}${forcedBy.length > 0 ? `, forced by ${forcedBy.join(", ")}` : ""}`;
    }
    case "delete":
      return "will be destroyed";
    case "conflict":
      return style.red("conflict");
    case "held":
      return style.red("not deployed again");
    case "noop":
      return style.dim("up to date");
    case "read":
      return style.dim("read");
  }
}

const FIELD_INDENT = "      ";

function fieldLines(change: ResourceChange, style: Style): string[] {
  return change.diffs.flatMap((diff) => {
    const forces = diff.forcesReplacement || change.replaceFields?.includes(diff.path) ? ` ${style.red("# forces replacement")}` : "";
    return leafChanges(diff).map((leaf) => `${FIELD_INDENT}${leafLine(leaf, diff.sensitive === true, style)}${forces}`);
  });
}

/** One printed field change: `+` a value that appears, `-` one that goes, `~` one that changes. */
interface Leaf {
  sign: "+" | "-" | "~";
  path: string;
  before?: unknown;
  after?: unknown;
}

function leafLine(leaf: Leaf, sensitive: boolean, style: Style): string {
  const show = (value: unknown) => (sensitive ? SENSITIVE_MARKER : formatValue(value));
  const path = style.dim(leaf.path);
  if (leaf.sign === "+") return `${style.green("+")} ${path} = ${show(leaf.after)}`;
  if (leaf.sign === "-") return `${style.red("-")} ${path} = ${show(leaf.before)}`;
  return `${style.yellow("~")} ${path}: ${show(leaf.before)} -> ${show(leaf.after)}`;
}

/**
 * A diff as printed lines. When both sides are objects (or both arrays), the changed leaves are listed one
 * by one, so that a policy document shows the one statement that changed rather than two walls of JSON.
 * A sensitive diff is never expanded: its shape could give its content away.
 */
function leafChanges(diff: FieldDiff): Leaf[] {
  const { path, before, after } = diff;
  if (before === undefined && after === undefined) return [{ sign: "~", path }];
  if (diff.sensitive) {
    if (before === undefined) return [{ sign: "+", path, after }];
    if (after === undefined) return [{ sign: "-", path, before }];
  }
  if (before === undefined) return wholly("+", path, after);
  if (after === undefined) return wholly("-", path, before);
  if (!diff.sensitive) {
    const leaves = expand(path, before, after);
    // A diff the reconciler reported is printed even if its two sides look alike here.
    if (leaves.length > 0) return leaves;
  }
  return [{ sign: "~", path, before, after }];
}

function expand(path: string, before: unknown, after: unknown): Leaf[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    const leaves: Leaf[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const at = `${path}[${i}]`;
      // An element that comes or goes stays on one line: it has no name of its own to list its members under.
      if (i < before.length && i < after.length) leaves.push(...expand(at, before[i], after[i]));
      else if (i < after.length) leaves.push({ sign: "+", path: at, after: after[i] });
      else leaves.push({ sign: "-", path: at, before: before[i] });
    }
    return leaves;
  }
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => {
      const had = before[key] !== undefined;
      const has = after[key] !== undefined;
      return expandMember(joinKey(path, key), had, before[key], has, after[key]);
    });
  }
  return isDeepStrictEqual(before, after) ? [] : [{ sign: "~", path, before, after }];
}

function expandMember(path: string, had: boolean, before: unknown, has: boolean, after: unknown): Leaf[] {
  if (had && has) return expand(path, before, after);
  if (has) return wholly("+", path, after);
  if (had) return wholly("-", path, before);
  return [];
}

/** A named value that appears or goes as a whole: an object one line per member (a listener rule reads field by field), anything else on one line. */
function wholly(sign: "+" | "-", path: string, value: unknown): Leaf[] {
  if (!isPlainObject(value) || Object.keys(value).length === 0)
    return [sign === "+" ? { sign, path, after: value } : { sign, path, before: value }];
  return Object.entries(value).flatMap(([key, member]) => (member === undefined ? [] : wholly(sign, joinKey(path, key), member)));
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function joinKey(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Strings JSON-quoted, numbers and booleans bare, unknowns as `(known after apply)`, objects as compact JSON. */
function formatValue(value: unknown): string {
  if (value instanceof KnownAfterApply) return value.toString();
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  if (isPlainObject(value)) {
    const members = Object.entries(value).filter(([, member]) => member !== undefined);
    return `{${members.map(([key, member]) => `${JSON.stringify(key)}: ${formatValue(member)}`).join(", ")}}`;
  }
  return String(value);
}

function summaryLine(plan: Plan, style: Style): string {
  if (!hasChanges(plan)) {
    return plan.mode === "delete"
      ? `Nothing to delete: stack ${style.bold(plan.stack)} owns no resources in ${plan.region}.`
      : `${style.bold("No changes.")} The live resources match the spec.`;
  }
  return `${style.bold("Plan:")} ${summaryCounts(plan.summary)}.`;
}

/** `1 to add, 2 to change, 0 to replace, 0 to destroy`, then conflicts and held rows when there are any. */
export function summaryCounts(s: PlanSummary): string {
  const counts = [`${s.add} to add`, `${s.change} to change`, `${s.replace} to replace`, `${s.destroy} to destroy`];
  if (s.conflict > 0) counts.push(`${s.conflict} ${s.conflict === 1 ? "conflict" : "conflicts"}`);
  if (s.held > 0) counts.push(`${s.held} held after a failed deployment`);
  return counts.join(", ");
}
