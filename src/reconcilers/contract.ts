/**
 * The contract every kind implements (after crossplane's Observe/Create/Update/Delete, with Observe split
 * into read-only I/O and a pure diff so that plans and unit tests need no AWS).
 *
 *   refersTo the kinds its nodes may depend on: the engine derives the order of observation and of deletion from it.
 *   looksUp  the kinds among those whose outputs observe needs to find a resource (a listener's load balancer).
 *   observe  reads the live resources the spec names, batched; never writes.
 *   discover finds every live resource of the kind tagged as this stack's: pruning and `delete` use it.
 *   diff     pure: desired vs observed, after normalising both sides; fields the spec leaves out are not drift.
 *            It gives the field lines to show and, apart, the typed change that update carries out.
 *   create   sets the ownership tags in the create call itself, so a crash never leaves an untagged orphan.
 *   update   calls the narrowest API for the typed change it is given; it never reads a field line.
 *   delete   already gone is success.
 *   status   (optional) read only: how the live resources are doing (counts, deployments, target health, alarms),
 *            for `reconcile status`; batched like observe.
 *   held     (optional) pure: a change the live resource records as failed before (an ECS service's deployment of the
 *            same content): the reason, and the planner plans the row `held`, which apply reports failed without a call.
 *
 * Errors from AWS are not caught here: the AWS layer retries what can be retried and the engine reports
 * the rest with the resource's address.
 */
import type { AwsClients } from "../aws/clients.js";
import type { FieldDiff, KnownAfterApply } from "../plan/model.js";
import type { ResourceStatus } from "../plan/status.js";
import type { Spec } from "../schema/spec.js";

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
  /** A stopped run (SIGINT, SIGTERM, a lost lease) stops waiting: the change was made, the next run follows it up. */
  signal?: AbortSignal;
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

/** What a kind's diff gives: the lines a person reads, and the change its update makes (typed by the kind). */
export interface Diff<C> {
  /** One line per changed field; none: the resource is as the spec says. */
  lines: FieldDiff[];
  /**
   * What update does when the lines hold no replacement, such as the UpdateService input and the tags to set
   * and remove. Derived from the same comparison as the lines, so that what is shown is what is sent.
   */
  change: C;
}

export interface Reconciler<D, O extends Observed = Observed, C = unknown> {
  readonly kind: Kind;
  /**
   * Every kind a node of this kind may depend on (its `dependsOn` addresses are of these kinds; a test checks it).
   * A kind is planned after the kinds it refers to, and deleted before them.
   */
  readonly refersTo: readonly Kind[];
  /**
   * The kinds among `refersTo` whose outputs observe reads to find the live resource (a security group's VPC id,
   * a listener's load balancer ARN). Observation waits only for these; a reference observe does not read may
   * still be unknown in the desired values it is given.
   */
  readonly looksUp: readonly Kind[];
  /** One node per resource of this kind in the spec. */
  nodes(spec: Spec): DesiredNode<D>[];
  /**
   * The live resources the desired values name, keyed by address; a missing key means it does not exist. The
   * values are built from the outputs known when observation starts: those of `looksUp` kinds are there.
   */
  observe(desired: ReadonlyArray<{ address: string; value: D }>, ctx: Context): Promise<Map<string, O>>;
  /**
   * Every live resource of this kind carrying `reconcile:stack=<ctx.stack>`, whatever the spec says. `known`
   * holds the ids observe already found: the reconciler may leave those out to save calls.
   */
  discover(ctx: Context, known: ReadonlySet<string>): Promise<O[]>;
  diff(desired: D, observed: O): Diff<C>;
  create(desired: D, ctx: Context): Promise<O>;
  /** Called only when diff gave lines and none of them forces a replacement. */
  update(change: C, observed: O, ctx: Context): Promise<O>;
  delete(observed: O, ctx: Context): Promise<void>;
  /** A set of things inside a resource the stack does not own (rules on a shared group) with none of the stack's left: nothing to delete. */
  isEmpty?(observed: O): boolean;
  /** The field lines shown for a resource to be created; without it, the desired value is shown leaf by leaf. */
  preview?(desired: D): FieldDiff[];
  /** Values of the desired resource never to be printed (a secret-looking environment value): cut out of a failure's message. */
  sensitiveValues?(desired: D): string[];
  /** Values other nodes refer to (ids, ARNs, names). */
  outputs(observed: O): Record<string, string | string[]>;
  /** Outputs people need after a run (a load balancer's DNS name): printed after apply and part of its JSON. */
  readonly shownOutputs?: readonly string[];
  /**
   * How a resource AWS cannot change in place is replaced. Without this hook: deleted, then created, because
   * its name must stay unique (a load balancer). With it: the successor is created beside the old resource
   * under the name returned here, what refers to the resource moves over to it, and the old one is deleted
   * with the run's other deletions, so that nothing is left pointing at nothing (a target group).
   */
  successor?(desired: D, observed: O): { desired: D; name: string };
  /**
   * This change makes a new version with a new id (a task definition's next revision, not a change of its tags),
   * so what refers to the resource sees its id as known after apply, and is planned to change with it.
   */
  newVersion?(change: C): boolean;
  /**
   * The name of the new version a change makes (a task definition's `shop-web:2`), shown on its row and on the
   * `(known after apply)` values of what refers to it. Pure, from what observe read.
   */
  newVersionName?(desired: D, observed: O): string | undefined;
  /**
   * How these live resources of the kind are doing, by their `id`, for `reconcile status`: read only, batched like
   * observe (one DescribeServices per cluster, not per service). A kind without it reports nothing beyond the plan.
   */
  status?(observed: readonly O[], ctx: Context): Promise<Map<string, ResourceStatus>>;
  /**
   * Asked of a row that would be updated in place: why this change is not to be made again, or undefined to make it.
   * With a reason the row is `held`: apply makes no call for it and reports it failed with the reason, while what
   * depends on it goes ahead (the resource exists as it is). A plan with `retryFailed` does not ask.
   */
  held?(desired: D, observed: O, change: C): string | undefined;
}

export const addressOf = (kind: Kind, logical: string): string => `${kind}.${logical}`;

/** A node of the spec: its address is `<kind>.<logical>`; it is owned (not read-only) and not adopted unless said. */
export function desiredNode<D>(
  node: Omit<DesiredNode<D>, "address" | "adopt" | "readOnly"> & Partial<Pick<DesiredNode<D>, "adopt" | "readOnly">>,
): DesiredNode<D> {
  return { ...node, adopt: node.adopt ?? false, readOnly: node.readOnly ?? false, address: addressOf(node.kind, node.logical) };
}

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
