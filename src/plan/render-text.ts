import { isDeepStrictEqual } from "node:util";
import type { Style } from "../cli/style.js";
import { hasChanges, KnownAfterApply, type Action, type FieldDiff, type Plan, type PlanSummary, type ResourceChange } from "./model.js";
import { SENSITIVE_MARKER } from "./redact.js";

export interface PlanTextOptions {
  /** Also list the resources that need nothing (`noop`, `read`). */
  showUnchanged?: boolean;
  /** One line per resource, with how many field lines it has instead of the lines (`--compact`). */
  compact?: boolean;
}

/**
 * The plan as people read it, in the style of infrastructure tools: a header (which account, region and endpoint),
 * the tag changes every resource shares, one line per resource with its own field changes indented under it, and a
 * summary line. The spec's own resources are named by address where a line shows their id or ARN. Colour comes only
 * from `style`. No trailing newline.
 */
export function renderPlanText(plan: Plan, style: Style, options: PlanTextOptions = {}): string {
  const shown = plan.resources.filter((r) => options.showUnchanged || (r.action !== "noop" && r.action !== "read"));
  const names = addressesById(plan.resources);
  const rows = shown.map((change) => ({ change, lines: fieldLines(change, names, style) }));
  const lines = [...headerLines(plan, style), ""];
  if (options.compact) lines.push(...rows.map(({ change, lines: fields }) => resourceLine(change, style, fields.length)));
  else lines.push(...bodyLines(rows, style));
  if (shown.length > 0) lines.push("");
  lines.push(summaryLine(plan, style));
  return lines.join("\n");
}

/**
 * `Plan to apply stack shop in account 123456789012, us-east-1, at http://127.0.0.1:5000 (not AWS):`. The account
 * and endpoint are there when the plan asked STS (PlanOptions.identify); the endpoint only when it is not AWS's.
 */
function headerLines(plan: Plan, style: Style): string[] {
  const start = `Plan to ${plan.mode} stack ${style.bold(plan.stack)} in`;
  const target = plan.target;
  if (!target) return [`${start} ${plan.region}:`];
  const account = `account ${target.account ?? style.red("unknown")}`;
  const endpoint = target.endpoint && !target.awsEndpoint ? `, at ${target.endpoint} ${style.yellow("(not AWS)")}` : "";
  const header = `${start} ${account}, ${plan.region}${endpoint}:`;
  return target.accountError ? [header, style.dim(`(account unknown: ${target.accountError})`)] : [header];
}

/** A resource's printed field line, and whether it is one of its tags (`tags.team`, `tags["a b"]`). */
interface PrintedLine {
  text: string;
  tag: boolean;
}

type Row = { change: ResourceChange; lines: PrintedLine[] };

const EVERY_RESOURCE = "every resource: ";
const OWN_TAGS = "# not every resource's tags";

/**
 * The resources with their field lines, the tag lines most of them share taken out and shown once on top: a
 * stack-wide tag gives one line, not one per resource. A resource without one of those shared lines says so and
 * keeps all its tag lines; resources updated for nothing but the shared tags are listed together.
 */
function bodyLines(rows: readonly Row[], style: Style): string[] {
  const shared = sharedTagLines(rows);
  if (shared.size === 0) return rows.flatMap(({ change, lines }) => [resourceLine(change, style), ...lines.map(indented)]);
  const sharing = (row: Row) => [...shared].every((text) => row.lines.some((line) => line.text === text));
  const onlyShared = (row: Row) =>
    sharing(row) &&
    row.lines.every((line) => shared.has(line.text)) &&
    row.change.action === "update" &&
    !row.change.newVersion &&
    !row.change.reason;
  const pad = " ".repeat(EVERY_RESOURCE.length + 2);
  const out = [...shared].map((text, i) => (i === 0 ? `  ${EVERY_RESOURCE}${text}` : `${pad}${text}`));
  out.push("");
  const alone = rows.filter(onlyShared);
  if (alone.length > 0) {
    out.push(
      `${actionSymbol("update", style)} ${alone.length === 1 ? "1 resource" : `${alone.length} resources`} will be updated in place for these tags alone:`,
    );
    out.push(...wrapList(alone.map((row) => style.bold(row.change.address))).map(indented));
  }
  for (const row of rows) {
    if (onlyShared(row)) continue;
    out.push(resourceLine(row.change, style));
    if (sharing(row) || row.lines.length === 0) out.push(...row.lines.filter((line) => !shared.has(line.text)).map(indented));
    else out.push(indented({ text: style.dim(OWN_TAGS), tag: false }), ...row.lines.map(indented));
  }
  return out;
}

/**
 * The tag lines (the same change of the same tag) that more than half of the resources shown with field lines have, at
 * least two: what a stack-wide `tags:` entry gives every resource. Deletions and conflicts have no lines to share.
 */
function sharedTagLines(rows: readonly Row[]): Set<string> {
  const counts = new Map<string, number>();
  const withLines = rows.filter((row) => row.lines.length > 0);
  for (const row of withLines)
    for (const text of new Set(row.lines.filter((l) => l.tag).map((l) => l.text))) counts.set(text, (counts.get(text) ?? 0) + 1);
  return new Set([...counts].filter(([, n]) => n >= 2 && n > withLines.length / 2).map(([text]) => text));
}

const LIST_WIDTH = 100;

/** `a, b, c` over as many lines as it takes to stay within LIST_WIDTH columns (colour codes not counted). */
function wrapList(items: readonly string[]): PrintedLine[] {
  const lines: string[] = [];
  for (const [i, item] of items.entries()) {
    const text = i < items.length - 1 ? `${item},` : item;
    const last = lines.at(-1);
    if (last !== undefined && visibleLength(`${FIELD_INDENT}${last} ${text}`) <= LIST_WIDTH) lines[lines.length - 1] = `${last} ${text}`;
    else lines.push(text);
  }
  return lines.map((text) => ({ text, tag: false }));
}

const visibleLength = (text: string) => text.replace(/\u001b\[\d+m/g, "").length;

/**
 * The spec's own resources by the ids and ARNs AWS gave them, for showing addresses (`securityGroups.api`) where a
 * line would show `sg-0e5…`: the first row of an id names it (a security group before its rules' row, which shares
 * its id). An id that is the name itself (a log group's) is readable as it is.
 */
function addressesById(resources: readonly ResourceChange[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const r of resources) if (r.id && r.id !== r.name && !names.has(r.id)) names.set(r.id, r.address);
  return names;
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

/** With `fieldCount` (compact): how many field lines the resource has, after the action. */
function resourceLine(change: ResourceChange, style: Style, fieldCount?: number): string {
  const count = fieldCount ? `, ${fieldCount} ${fieldCount === 1 ? "field" : "fields"}` : "";
  const reason = change.reason ? `: ${change.reason}` : "";
  return `${actionSymbol(change.action, style, change.createBeforeDelete)} ${style.bold(change.address)} ${identity(change)} ${actionWords(change, style)}${count}${reason}`;
}

function actionWords(change: ResourceChange, style: Style): string {
  switch (change.action) {
    case "create":
      return "will be created";
    case "update":
      if (!change.newVersion) return "will be updated in place";
      return change.newVersionName ? `will get new revision ${change.newVersionName}` : "will get a new revision";
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

const indented = (line: PrintedLine) => `${FIELD_INDENT}${line.text}`;

const TAG_PATH = /^tags(\.|\[)/;

function fieldLines(change: ResourceChange, names: ReadonlyMap<string, string>, style: Style): PrintedLine[] {
  return change.diffs.flatMap((diff) => {
    const forces = diff.forcesReplacement || change.replaceFields?.includes(diff.path) ? ` ${style.red("# forces replacement")}` : "";
    return leafChanges(diff).map((leaf) => ({
      text: `${leafLine(leaf, diff.sensitive === true, names, style)}${forces}`,
      tag: TAG_PATH.test(leaf.path),
    }));
  });
}

/** One printed field change: `+` a value that appears, `-` one that goes, `~` one that changes. */
interface Leaf {
  sign: "+" | "-" | "~";
  path: string;
  before?: unknown;
  after?: unknown;
}

function leafLine(leaf: Leaf, sensitive: boolean, names: ReadonlyMap<string, string>, style: Style): string {
  const show = (value: unknown) => (sensitive ? SENSITIVE_MARKER : formatValue(value, names));
  const path = style.dim(withAddresses(leaf.path, names));
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

/**
 * Strings JSON-quoted, numbers and booleans bare, unknowns as `(known after apply)` (with what they will be, when
 * known), objects as compact JSON; the id or ARN of one of the spec's resources as its bare address.
 */
function formatValue(value: unknown, names: ReadonlyMap<string, string>): string {
  if (value instanceof KnownAfterApply) return value.toString();
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return names.get(value) ?? JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => formatValue(v, names)).join(", ")}]`;
  if (isPlainObject(value)) {
    const members = Object.entries(value).filter(([, member]) => member !== undefined);
    return `{${members.map(([key, member]) => `${JSON.stringify(key)}: ${formatValue(member, names)}`).join(", ")}}`;
  }
  return String(value);
}

/** Characters that continue an id or ARN: `sg-1` is not a part of `sg-12`, nor `…:web:1` of `…:web:10`. */
const ID_CHAR = "[\\w./:-]";

/** A path with the ids of the spec's resources in it as addresses: `ingress[tcp/6379 from securityGroups.api]`. */
function withAddresses(path: string, names: ReadonlyMap<string, string>): string {
  const ids = [...names.keys()].filter((id) => path.includes(id));
  if (ids.length === 0) return path;
  const alternatives = ids.sort((a, b) => b.length - a.length).map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<!${ID_CHAR})(?:${alternatives.join("|")})(?!${ID_CHAR})`, "g");
  return path.replace(pattern, (id) => names.get(id)!);
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
