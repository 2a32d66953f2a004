/**
 * The contract every kind implements (after crossplane's Observe/Create/Update/Delete, with Observe split
 * into read-only I/O and a pure diff so that plans and unit tests need no AWS).
 *
 *   observe  reads the live resources the spec names, batched; never writes.
 *   discover finds every live resource of the kind tagged as this stack's: pruning and `delete` use it.
 *   diff     pure: desired vs observed, after normalising both sides; fields the spec leaves out are not drift.
 *   create   sets the ownership tags in the create call itself, so a crash never leaves an untagged orphan.
 *   update   calls the narrowest API for the diffs it is given.
 *   delete   already gone is success.
 *
 * Errors from AWS are not caught here: the AWS layer retries what can be retried and the engine reports
 * the rest with the resource's address.
 */
import type { AwsClients } from "../../aws/clients.js";
import type { FieldDiff, KnownAfterApply } from "../../plan/model.js";
import type { Spec } from "../../schema/spec.js";

export type Kind =
  | "network"
  | "securityGroups"
  | "securityGroupRules"
  | "roles"
  | "logGroups"
  | "targetGroups"
  | "loadBalancers"
  | "listeners"
  | "clusters"
  | "taskDefinitions"
  | "services"
  | "namespaces"
  | "discoveryServices"
  | "autoScaling";

/** The resource's stack; set on everything the stack creates. */
export const STACK_TAG = "reconcile:stack";
/** `<kind>/<logical name>`: which entry of the spec the resource is. */
export const ID_TAG = "reconcile:id";

export type Tags = Record<string, string>;

/** Looks up an output of another node: known once that node exists, UNKNOWN while it is still to be created. */
export interface Outputs {
  string(address: string, output: string): string | KnownAfterApply;
  list(address: string, output: string): string[] | KnownAfterApply;
}

export interface DesiredNode<D> {
  kind: Kind;
  logical: string;
  /** `<kind>.<logical>`. */
  address: string;
  /** The physical name, or a readable identity for a resource without one. */
  name: string;
  /** Addresses this node needs first (its references, and rules of kind). */
  dependsOn: string[];
  /** The spec says `adopt: true`: take over an untagged resource of this name. */
  adopt: boolean;
  /** A lookup of something the stack uses but does not own: never created, changed or deleted. */
  readOnly: boolean;
  /** The desired state, given the outputs of the dependencies. */
  build(outputs: Outputs): D;
}

/** What every kind's observed state carries. */
export interface Observed {
  name: string;
  /** AWS's id or ARN. */
  id: string;
  /** Every tag on the resource, AWS's own `aws:` tags included. */
  tags: Tags;
}

export interface Context {
  stack: string;
  region: string;
  clients: AwsClients;
  /**
   * Reads shared by the kinds within one plan (the stack's tagged resources), keyed by what they read. The
   * planner sets a fresh one for each plan, so a shared read is never older than the plan; without it, every
   * read is made afresh.
   */
  readonly planReads?: Map<string, Promise<unknown>>;
  /** Apply waits for what it changed to settle (ECS services to be stable); absent (`--no-wait`), it does not wait. */
  readonly wait?: WaitPolicy;
  /** Where a long wait reports its news (deployment state, counts, events), for the person watching. */
  readonly progress?: (resource: string, message: string) => void;
}

export interface WaitPolicy {
  /** How long one resource may take to settle before its change is reported failed. */
  timeoutMs: number;
}

/**
 * A read made once per plan, however many kinds or nodes ask for it (see Context.planReads); outside a plan,
 * made afresh each time. A failed read is not kept: the next one to ask tries again.
 */
export function sharedRead<T>(ctx: Context, key: string, read: () => Promise<T>): Promise<T> {
  const shared = ctx.planReads;
  if (!shared) return read();
  if (!shared.has(key)) {
    const pending = read();
    pending.catch(() => shared.delete(key));
    shared.set(key, pending);
  }
  return shared.get(key) as Promise<T>;
}

export interface Reconciler<D, O extends Observed = Observed> {
  readonly kind: Kind;
  /** One node per resource of this kind in the spec. */
  nodes(spec: Spec): DesiredNode<D>[];
  /** The live resources the desired values name, keyed by address; a missing key means it does not exist. */
  observe(desired: ReadonlyArray<{ address: string; value: D }>, ctx: Context): Promise<Map<string, O>>;
  /**
   * Every live resource of this kind carrying `reconcile:stack=<ctx.stack>`, whatever the spec says. `known`
   * holds the ids observe already found: the reconciler may leave those out to save calls.
   */
  discover(ctx: Context, known: ReadonlySet<string>): Promise<O[]>;
  diff(desired: D, observed: O): FieldDiff[];
  create(desired: D, ctx: Context): Promise<O>;
  update(desired: D, observed: O, diffs: readonly FieldDiff[], ctx: Context): Promise<O>;
  delete(observed: O, ctx: Context): Promise<void>;
  /** A set of things inside a resource the stack does not own (rules on a shared group) with none of the stack's left: nothing to delete. */
  isEmpty?(observed: O): boolean;
  /** The field lines shown for a resource to be created; without it, the desired value is shown leaf by leaf. */
  preview?(desired: D): FieldDiff[];
  /** Values other nodes refer to (ids, ARNs, names). */
  outputs(observed: O): Record<string, string | string[]>;
  /** Outputs people need after a run (a load balancer's DNS name): printed after apply and part of its JSON. */
  readonly shownOutputs?: readonly string[];
  /**
   * How a resource AWS cannot change in place is replaced. Without this hook: deleted, then created, because
   * its name must stay unique (a security group). With it: the successor is created beside the old resource
   * under the name returned here, what refers to the resource moves over to it, and the old one is deleted
   * with the run's other deletions, so that nothing is left pointing at nothing (a target group).
   */
  successor?(desired: D, observed: O): { desired: D; name: string };
  /**
   * Every update but a change of tags makes a new version with a new id (a task definition's next revision), so
   * what refers to the resource sees its id as known after apply, and is planned to change with it.
   */
  readonly versioned?: boolean;
}

export const addressOf = (kind: Kind, logical: string): string => `${kind}.${logical}`;

/** The tags a resource of the stack carries: the spec's, the resource's own, then the two ownership tags. */
export function ownedTags(spec: Spec, kind: Kind, logical: string, own: Tags | undefined): Tags {
  return { ...spec.tags, ...own, [STACK_TAG]: spec.stack, [ID_TAG]: `${kind}/${logical}` };
}

/** The address a live resource's ownership tag names, if it has one. */
export function addressFromTags(tags: Tags): string | undefined {
  const id = tags[ID_TAG];
  const slash = id?.indexOf("/") ?? -1;
  return id && slash > 0 ? `${id.slice(0, slash)}.${id.slice(slash + 1)}` : undefined;
}
