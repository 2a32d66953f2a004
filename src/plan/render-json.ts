import {
  hasChanges,
  KnownAfterApply,
  type Action,
  type CallStatsSnapshot,
  type FieldDiff,
  type Plan,
  type PlanSummary,
  type ResourceChange,
  type ResourceResult,
} from "./model.js";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The JSON form of a plan (`plan --json`, and of a run with `results` and `stats`). Stable: a field keeps
 * its name and meaning within a `formatVersion`; new optional fields may be added without a new version.
 * Every value is plain JSON: sensitive values never appear, unknown values are a marker string.
 */
export interface PlanJson {
  /** The version of this format; `1` for the shape described here. */
  formatVersion: 1;
  /** The stack's name, as in the spec. */
  stack: string;
  /** The AWS region the plan was made for. */
  region: string;
  /** The AWS account the plan is about (STS GetCallerIdentity); absent when STS did not answer (see `accountError`). */
  account?: string;
  /** Why the account is unknown: the AWS action and its error. The plan is made all the same. */
  accountError?: string;
  /**
   * The endpoint the STS call went to, as the SDK resolved it: with `--endpoint` or AWS_ENDPOINT_URL, every call's
   * (`http://127.0.0.1:5000`); else AWS's own (`https://sts.us-east-1.amazonaws.com`).
   */
  endpoint?: string;
  /** Whether `endpoint` is one of AWS's own; `false` for an emulator such as moto, or a proxy. */
  awsEndpoint?: boolean;
  /** `apply` converges the live resources to the spec; `delete` removes everything the stack owns. */
  mode: "apply" | "delete";
  /** Every resource the plan looked at, in execution order (dependencies first; for `delete`, dependents first). */
  resources: ResourceChangeJson[];
  /** How many resources each kind of action touches. */
  summary: PlanSummary;
  /** Whether anything is to be done: false when every resource is `noop` or `read`. A conflict or a held row counts as something. */
  changes: boolean;
  /** After a run: the AWS calls it made, by service and action. */
  stats?: CallStatsSnapshot;
  /** After a run: how each resource's change ended. */
  results?: ResourceResult[];
}

export interface ResourceChangeJson {
  /** `<kind>.<logical name>`, such as `securityGroups.alb`; `network` for the VPC lookup. */
  address: string;
  /** The kind of resource, as in the spec: `securityGroups`, `roles`, `logGroups`, … */
  kind: string;
  /** The resource's name in the spec. */
  logical: string;
  /** The physical name in AWS (or, for a resource without one, a readable identity). */
  name: string;
  /** AWS's id or ARN; absent while the resource does not exist. */
  id?: string;
  /**
   * `create`, `update` (in place), `replace` (delete and create, or create and delete: see `createBeforeDelete`), `delete`, `noop` (up to date),
   * `conflict` (a resource of that name that this stack does not own: left alone, it blocks that resource),
   * `read` (a lookup of something the stack uses but does not own), `held` (an update not made because the same
   * change failed before, such as an ECS deployment of the same content: `reason` says what failed, when and why;
   * reported failed, what depends on it goes ahead).
   */
  action: Action;
  /** The fields that differ between the live resource and the spec. */
  diffs: FieldDiffJson[];
  /** For `replace`: the paths that forced the replacement. */
  replaceFields?: string[];
  /** For `replace`: `true` when the new resource is created before the old one is deleted; absent when the old one goes first. */
  createBeforeDelete?: true;
  /** For `update`: a new version is made beside the old one, with a new id (a task definition's next revision). */
  newVersion?: true;
  /** For `newVersion`: the name the new version will have, as far as the plan can tell (`shop-web:2`). */
  newVersionName?: string;
  /** For people: why this action (a conflict's cause, pruning, a replacement, the failure a `held` row remembers). */
  reason?: string;
}

export interface FieldDiffJson {
  /** Where in the resource, such as `retentionDays`, `ingress[tcp/80 from 0.0.0.0/0]`, `tags.team`. */
  path: string;
  /**
   * The live value; absent when the field does not exist yet, and for a sensitive field. `"(known after apply)"`
   * (also nested) for a value that exists only once a dependency is created.
   */
  before?: JsonValue;
  /** The value the spec asks for; absent when the field goes away, and for a sensitive field. */
  after?: JsonValue;
  /** `true` when AWS cannot change this field in place and the resource is replaced; absent otherwise. */
  forcesReplacement?: true;
  /** `true` when the values are secret: neither `before` nor `after` is given, `change` says what happens; absent otherwise. */
  sensitive?: true;
  /** For a sensitive field only: whether its value is `added`, `removed` or `changed`. */
  change?: SensitiveChange;
}

export type SensitiveChange = "added" | "removed" | "changed";

export const UNKNOWN_MARKER = "(known after apply)";

export function planToJson(plan: Plan, extras: { stats?: CallStatsSnapshot; results?: ResourceResult[] } = {}): PlanJson {
  return {
    formatVersion: 1,
    stack: plan.stack,
    region: plan.region,
    ...(plan.target?.account !== undefined && { account: plan.target.account }),
    ...(plan.target?.accountError !== undefined && { accountError: plan.target.accountError }),
    ...(plan.target?.endpoint !== undefined && { endpoint: plan.target.endpoint, awsEndpoint: plan.target.awsEndpoint === true }),
    mode: plan.mode,
    resources: plan.resources.map(resourceToJson),
    summary: { ...plan.summary },
    changes: hasChanges(plan),
    ...(extras.stats && { stats: { ...extras.stats, byAction: extras.stats.byAction.map((c) => ({ ...c })) } }),
    ...(extras.results && { results: extras.results.map((r) => ({ ...r })) }),
  };
}

export function renderPlanJson(plan: Plan, extras: { stats?: CallStatsSnapshot; results?: ResourceResult[] } = {}): string {
  return JSON.stringify(planToJson(plan, extras), null, 2) + "\n";
}

function resourceToJson(change: ResourceChange): ResourceChangeJson {
  return {
    address: change.address,
    kind: change.kind,
    logical: change.logical,
    name: change.name,
    ...(change.id !== undefined && { id: change.id }),
    action: change.action,
    diffs: change.diffs.map(diffToJson),
    ...(change.replaceFields !== undefined && { replaceFields: [...change.replaceFields] }),
    ...(change.createBeforeDelete && { createBeforeDelete: true as const }),
    ...(change.newVersion && { newVersion: true as const }),
    ...(change.newVersionName !== undefined && { newVersionName: change.newVersionName }),
    ...(change.reason !== undefined && { reason: change.reason }),
  };
}

function diffToJson(diff: FieldDiff): FieldDiffJson {
  const forces = diff.forcesReplacement && { forcesReplacement: true as const };
  if (diff.sensitive) return { path: diff.path, ...forces, sensitive: true, change: sensitiveChange(diff) };
  return {
    path: diff.path,
    ...(diff.before !== undefined && { before: toJsonValue(diff.before) }),
    ...(diff.after !== undefined && { after: toJsonValue(diff.after) }),
    ...forces,
  };
}

function sensitiveChange(diff: FieldDiff): SensitiveChange {
  if (diff.before === undefined && diff.after !== undefined) return "added";
  return diff.after === undefined && diff.before !== undefined ? "removed" : "changed";
}

/** What JSON.stringify would make of the value, with unknowns as their marker, at any depth. */
function toJsonValue(value: unknown): JsonValue {
  if (value instanceof KnownAfterApply) return UNKNOWN_MARKER;
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === "object") {
    if (typeof (value as { toJSON?: unknown }).toJSON === "function") return toJsonValue((value as { toJSON(): unknown }).toJSON());
    const members = Object.entries(value).filter(([, member]) => member !== undefined && typeof member !== "function");
    return Object.fromEntries(members.map(([key, member]) => [key, toJsonValue(member)]));
  }
  return null;
}
