/**
 * IAM policy documents in one canonical form, so that the forms AWS treats as the same policy compare equal:
 * a single value or a list of one, the order of values and of statements, a missing Version and 2008-10-17
 * (IAM's default; unlike 2012-10-17 it does not substitute policy variables), a Statement object or a list of one, the order of keys, an empty Sid (the console writes `"Sid": ""`).
 *
 * Canonical: every value list (Action, Resource, principals, condition values, …) is an array, sorted and
 * de-duplicated, a list of one included; statements are sorted and de-duplicated; object keys are sorted.
 * Meaning is never changed: Allow/Deny, Action/NotAction, Principal/NotPrincipal stay distinct, and a
 * `"*"` principal stays the string `"*"` (it is not rewritten as `{"AWS": "*"}`).
 */

export type PolicyJson = string | number | boolean | null | PolicyJson[] | { [key: string]: PolicyJson };

export interface CanonicalPolicyDocument {
  Version: string;
  Id?: string;
  Statement: Array<Record<string, PolicyJson>>;
  [key: string]: PolicyJson | undefined;
}

const DEFAULT_VERSION = "2008-10-17";

/** Statement keys whose value is a string or a list of strings, one element meaning the same as the string. */
const VALUE_LIST_KEYS = new Set(["Action", "NotAction", "Resource", "NotResource"]);

/**
 * Parses (a JSON string, URL-encoded or not: IAM returns AssumeRolePolicyDocument and GetRolePolicy documents
 * URL-encoded) and normalises a policy document.
 */
export function normalisePolicyDocument(doc: string | object): CanonicalPolicyDocument {
  const raw = typeof doc === "string" ? parsePolicyText(doc) : doc;
  if (!isObject(raw)) throw new Error("a policy document must be a JSON object");
  const { Version, Statement, ...rest } = raw as Record<string, unknown>;
  const statements = Statement === undefined ? [] : Array.isArray(Statement) ? Statement : [Statement];
  const canonical: CanonicalPolicyDocument = {
    ...(sortKeys(rest) as Record<string, PolicyJson>),
    Version: typeof Version === "string" ? Version : DEFAULT_VERSION,
    Statement: uniqueSorted(statements.map(normaliseStatement)),
  };
  return sortKeys(canonical) as CanonicalPolicyDocument;
}

function parsePolicyText(text: string): unknown {
  const trimmed = text.trim();
  // A JSON document starts with "{"; an URL-encoded one with "%7B".
  return JSON.parse(trimmed.startsWith("{") ? trimmed : decodeURIComponent(trimmed));
}

function normaliseStatement(statement: unknown): Record<string, PolicyJson> {
  if (!isObject(statement)) throw new Error("a policy statement must be a JSON object");
  const out: Record<string, PolicyJson> = {};
  for (const [key, value] of Object.entries(statement)) {
    if (value === undefined || (key === "Sid" && value === "")) continue;
    if (VALUE_LIST_KEYS.has(key)) out[key] = valueList(value);
    else if (key === "Principal" || key === "NotPrincipal") out[key] = normalisePrincipal(value);
    else if (key === "Condition") out[key] = normaliseCondition(value);
    else out[key] = sortKeys(value);
  }
  return sortKeys(out) as Record<string, PolicyJson>;
}

/** `"*"` stays as it is; `{"Service": "x"}` becomes `{"Service": ["x"]}`. */
function normalisePrincipal(principal: unknown): PolicyJson {
  if (!isObject(principal)) return sortKeys(principal);
  return sortKeys(Object.fromEntries(Object.entries(principal).map(([type, ids]) => [type, valueList(ids)])));
}

/** `{"StringEquals": {"aws:SourceAccount": "1"}}`: every condition key's value becomes a sorted list. */
function normaliseCondition(condition: unknown): PolicyJson {
  if (!isObject(condition)) return sortKeys(condition);
  return sortKeys(
    Object.fromEntries(
      Object.entries(condition).map(([operator, keys]) => [
        operator,
        isObject(keys) ? Object.fromEntries(Object.entries(keys).map(([key, values]) => [key, valueList(values)])) : keys,
      ]),
    ),
  );
}

function valueList(value: unknown): PolicyJson[] {
  return uniqueSorted((Array.isArray(value) ? value : [value]).map(sortKeys));
}

/** Sorted by canonical JSON text (code-unit order, not locale order, so every machine agrees), duplicates dropped. */
function uniqueSorted<T extends PolicyJson>(values: readonly T[]): T[] {
  const byText = new Map<string, T>();
  for (const value of values) byText.set(JSON.stringify(value), value);
  return [...byText.keys()].sort(compareText).map((text) => byText.get(text)!);
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortKeys(value: unknown): PolicyJson {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value as PolicyJson;
  const out: Record<string, PolicyJson> = {};
  for (const key of Object.keys(value).sort(compareText)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
