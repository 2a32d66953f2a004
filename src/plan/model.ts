/**
 * The plan is data: what each resource needs, field by field. Renderers print it, the executor carries
 * it out. Nothing here talks to AWS.
 */

/**
 * `read`: a lookup of something the stack uses but does not own (the VPC, an existing security group). `held`: an
 * update not made because the same change failed before (an ECS deployment of the same content); reported failed.
 */
export type Action = "create" | "update" | "replace" | "delete" | "noop" | "conflict" | "read" | "held";

/**
 * A value that will exist only once a dependency has been created in this run. `hint` names what it will be when the
 * plan can tell (a task definition's next revision, `shop-web:2`); the text plan shows it, the JSON keeps the marker.
 */
export class KnownAfterApply {
  static readonly instance = new KnownAfterApply();
  private constructor(readonly hint?: string) {}
  /** An unknown value the plan can name: `(known after apply: shop-web:2)`. */
  static named(hint: string): KnownAfterApply {
    return new KnownAfterApply(hint);
  }
  toJSON(): string {
    return "(known after apply)";
  }
  toString(): string {
    return this.hint === undefined ? "(known after apply)" : `(known after apply: ${this.hint})`;
  }
}
export const UNKNOWN = KnownAfterApply.instance;

export interface FieldDiff {
  /** Where in the resource, such as `retentionDays`, `ingress[tcp/80 from 0.0.0.0/0]`, `tags.team`. */
  path: string;
  /** Absent: the field or element does not exist yet. */
  before?: unknown;
  /** Absent: the field or element goes away. */
  after?: unknown;
  /** AWS cannot change this field in place: the resource is replaced. */
  forcesReplacement?: boolean;
  /** The values are never printed: `(sensitive)` in text, no `before`/`after` in JSON, cut out of failure messages. */
  sensitive?: true;
}

export interface ResourceChange {
  /** `<kind>.<logical name>`, such as `securityGroups.alb`; `network` for the VPC lookup. */
  address: string;
  kind: string;
  logical: string;
  /** The physical name (or, for a resource without one, a readable identity). */
  name: string;
  /** AWS's id or ARN, once known. */
  id?: string;
  action: Action;
  diffs: FieldDiff[];
  /** For `replace`: the paths that forced it. */
  replaceFields?: string[];
  /**
   * For `replace`: the new resource is created beside the old one, what refers to it moves over, and only
   * then is the old one deleted (otherwise the old one is deleted first).
   */
  createBeforeDelete?: boolean;
  /** For `update`: AWS keeps the old version and makes a new one with a new id (a task definition's next revision). */
  newVersion?: boolean;
  /** For `newVersion`: what the new version will be called, when the kind can tell (`shop-web:2`). */
  newVersionName?: string;
  /** For people: why this action (conflict, pruning, replacement, what failed before for `held`). */
  reason?: string;
}

export interface PlanSummary {
  add: number;
  change: number;
  replace: number;
  destroy: number;
  conflict: number;
  held: number;
}

/** Whose AWS a plan is about: the account (STS GetCallerIdentity) and the endpoint that call went to. */
export interface PlanTarget {
  /** The account id; absent when STS did not answer (see `accountError`). */
  account?: string;
  /** Why the account is unknown: the AWS action and its error. */
  accountError?: string;
  /**
   * The endpoint the STS call went to, as the SDK resolved it: with `--endpoint` or AWS_ENDPOINT_URL, every call's
   * (`http://127.0.0.1:5000`); else AWS's own (`https://sts.us-east-1.amazonaws.com`).
   */
  endpoint?: string;
  /** Whether `endpoint` is one of AWS's own (`*.amazonaws.com` and the like), not an emulator or a proxy. */
  awsEndpoint?: boolean;
}

export interface Plan {
  stack: string;
  region: string;
  /** The account and endpoint, when the plan asked (PlanOptions.identify). */
  target?: PlanTarget;
  /** `apply` converges the spec; `delete` removes everything the stack owns. */
  mode: "apply" | "delete";
  /** In execution order (dependencies first; for `delete`, dependents first). */
  resources: ResourceChange[];
  summary: PlanSummary;
}

export function summarise(resources: readonly ResourceChange[]): PlanSummary {
  const summary: PlanSummary = { add: 0, change: 0, replace: 0, destroy: 0, conflict: 0, held: 0 };
  for (const r of resources) {
    if (r.action === "create") summary.add++;
    else if (r.action === "update") summary.change++;
    else if (r.action === "replace") summary.replace++;
    else if (r.action === "delete") summary.destroy++;
    else if (r.action === "conflict") summary.conflict++;
    else if (r.action === "held") summary.held++;
  }
  return summary;
}

/** Rows that a run reports failed without a call, so that `plan` fails too: conflicts, and changes held after a failure. */
export const hasBlockedRows = (plan: Plan): boolean => plan.summary.conflict + plan.summary.held > 0;

export const hasChanges = (plan: Plan): boolean => plan.resources.some((r) => r.action !== "noop" && r.action !== "read");

const NOTHING_TO_CARRY_OUT: ReadonlySet<Action> = new Set(["noop", "read", "conflict", "held"]);

/** Whether a run has anything to carry out: conflicts and held failed deployments are only reported, lookups only read. */
export const runnable = (plan: Plan): boolean => plan.resources.some((r) => !NOTHING_TO_CARRY_OUT.has(r.action));

/** How one resource's change ended in a run; `cancelled`: not started, because the run was stopped. */
export type Outcome = "done" | "failed" | "skipped" | "cancelled";

export interface ResourceResult {
  address: string;
  action: Action;
  outcome: Outcome;
  elapsedMs: number;
  /** For `failed`: the resource, AWS action and AWS's message. */
  error?: string;
  /** For `skipped`: the address of the failed dependency that prevented it. */
  skippedBecause?: string;
  /** Values people need once it exists, such as a load balancer's `dnsName`. */
  outputs?: Record<string, string>;
}

/** AWS calls of one run, by service and action (`attempts` counts retries too). */
export interface CallCount {
  service: string;
  action: string;
  calls: number;
  attempts: number;
  /** Anything but Describe*, List*, Get*. */
  write: boolean;
}

export interface CallStatsSnapshot {
  calls: number;
  writes: number;
  attempts: number;
  byAction: CallCount[];
}

export interface RunReport {
  plan: Plan;
  results: ResourceResult[];
  elapsedMs: number;
  stats: CallStatsSnapshot;
}
