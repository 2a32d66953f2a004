/**
 * What Cloud Map's namespaces and discovery services share: following an asynchronous operation to its end, tags,
 * the listing of the region's private namespaces, and finding the stack's resources by listing them and reading their tags.
 *
 * Cloud Map's writes that take time (creating, changing or deleting a namespace, changing a service) answer with an
 * OperationId at once; the change is done when GetOperation reports SUCCESS. The polling, backoff and overall bound
 * are the SDK's own (createWaiter of @smithy/core), as in service-stability.ts.
 */
import { randomUUID } from "node:crypto";
import {
  GetOperationCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateListNamespaces,
  type NamespaceSummary,
  type Operation,
  type ServiceDiscoveryClient,
} from "@aws-sdk/client-servicediscovery";
import { WaiterState, createWaiter } from "@smithy/core/client";
import { awsErrorIs, isNotFound } from "../../aws/errors.js";
import { mapConcurrently } from "../collections.js";
import { fromTagList, toTagList, type TagChange } from "../diff-helpers.js";
import { waiterBounds, type PollOptions } from "../polling.js";
import { tagsOf } from "../tagged-resources.js";
import { STACK_TAG, addressFromTags, sharedRead, type Context, type Tags } from "../contract.js";

/** Polling bounds for waits on Cloud Map (operations, instances draining): from 2 s between polls, backing off to 15 s. */
export interface CloudMapPoll extends PollOptions {
  /** How long the wait may take in all. */
  timeoutMs: number;
}

/** An operation that reported FAIL, or a wait that ran out of time. */
export class CloudMapOperationError extends Error {
  override readonly name = "CloudMapOperationError";
}

const CLOUD_MAP_POLL = { minDelaySeconds: 2, maxDelaySeconds: 15 };
/** How long an operation may take when ctx.wait sets no bound. */
const DEFAULT_OPERATION_TIMEOUT_MS = 5 * 60_000;

/** The longest CreatorRequestId Cloud Map takes (CreatePrivateDnsNamespace, CreateService). */
export const CREATOR_REQUEST_ID_MAX = 64;

/** A fresh CreatorRequestId / UpdaterRequestId: Cloud Map takes a repeated one as a retry of the same request. */
export const newRequestId = (): string => randomUUID();

/** Where news of a resource goes: its address (`namespaces.internal`) from its ownership tag, else its name. */
const labelOf = (tags: Tags, name: string): string => addressFromTags(tags) ?? name;

export const cloudMapBounds = (poll: CloudMapPoll) => waiterBounds(poll.timeoutMs, poll, CLOUD_MAP_POLL);

/** A Cloud Map resource as news and errors name it. */
export interface CloudMapResource {
  name: string;
  tags: Tags;
  /** How errors name it: `namespace internal.local`. */
  description: string;
}

/** Reports a line of news about the resource, only when it differs from the last one reported. */
export function newsReporter(ctx: Context, resource: Pick<CloudMapResource, "name" | "tags">): (line: string) => void {
  const label = labelOf(resource.tags, resource.name);
  let last: string | undefined;
  return (line) => {
    if (line === last) return;
    last = line;
    ctx.progress?.(label, line);
  };
}

type OperationPoll = { operation?: Operation };

async function readOperation(client: ServiceDiscoveryClient, operationId: string): Promise<OperationPoll> {
  try {
    return { operation: (await client.send(new GetOperationCommand({ OperationId: operationId }))).Operation };
  } catch (error) {
    // An operation submitted a moment ago may not be readable yet (eventual consistency): this "not found" means
    // "poll again", not "gone", so it is this one code and not isNotFound.
    if (awsErrorIs(error, "OperationNotFound")) return {};
    throw error;
  }
}

/**
 * Polls GetOperation until the operation succeeds and returns it, telling ctx.progress its status whenever it
 * changes. `what` names the resource in errors (`namespace internal.local`). Throws CloudMapOperationError when
 * the operation fails (with Cloud Map's ErrorCode and ErrorMessage) or is still running when the time is up.
 */
export async function followOperation(ctx: Context, operationId: string, what: CloudMapResource, poll: CloudMapPoll): Promise<Operation> {
  const report = newsReporter(ctx, what);
  const bounds = cloudMapBounds(poll);
  let last: OperationPoll = {};
  const result = await createWaiter({ client: ctx.clients.serviceDiscovery, ...bounds }, operationId, async (client) => {
    last = await readOperation(client, operationId);
    const status = last.operation?.Status;
    report(`operation ${status ?? "not visible yet"}`);
    if (status === "SUCCESS") return { state: WaiterState.SUCCESS };
    if (status === "FAIL") return { state: WaiterState.FAILURE };
    return { state: WaiterState.RETRY };
  });
  const operation = last.operation;
  if (result.state === WaiterState.SUCCESS && operation) return operation;
  const kind = operation?.Type ?? "operation";
  if (operation?.Status === "FAIL") {
    const reason = [operation.ErrorCode, operation.ErrorMessage].filter(Boolean).join(": ") || "no reason given";
    throw new CloudMapOperationError(`${what.description}: ${kind} ${operationId} failed: ${reason}`);
  }
  throw new CloudMapOperationError(
    `${what.description}: ${kind} ${operationId} was still ${operation?.Status ?? "not visible"} after ${bounds.maxWaitTime} s`,
  );
}

/**
 * Follows the operation a write on the resource answered with, within ctx.wait's timeout (5 minutes without one: what
 * comes next needs the result, so it is followed even under `--no-wait`).
 */
export async function followWrite(ctx: Context, operationId: string | undefined, resource: CloudMapResource): Promise<Operation> {
  if (!operationId) throw new Error(`${resource.description}: Cloud Map answered without an operation id`);
  return followOperation(ctx, operationId, resource, { timeoutMs: ctx.wait?.timeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS });
}

/** Every tag on a Cloud Map resource; undefined when the resource is gone. */
export async function readCloudMapTags(ctx: Context, arn: string): Promise<Tags | undefined> {
  try {
    const { Tags: tags } = await ctx.clients.serviceDiscovery.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    return fromTagList(tags);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Writes the change with one TagResource and one UntagResource at most; none when it has nothing to write. */
export async function writeCloudMapTags(ctx: Context, arn: string, change: TagChange): Promise<void> {
  const client = ctx.clients.serviceDiscovery;
  if (Object.keys(change.set).length > 0) await client.send(new TagResourceCommand({ ResourceARN: arn, Tags: toTagList(change.set) }));
  if (change.remove.length > 0) await client.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: change.remove }));
}

const PRIVATE = "DNS_PRIVATE";

/**
 * Every private DNS namespace of the account and region, listed once per plan: the namespaces kind finds its
 * namespaces in it, the discovery services kind their namespace's ServiceCount. Moto ignores the TYPE filter, so the
 * type is checked here too.
 */
export function listPrivateNamespaces(ctx: Context): Promise<NamespaceSummary[]> {
  return sharedRead(ctx, "cloudMap:privateNamespaces", async () => {
    const found: NamespaceSummary[] = [];
    const pages = paginateListNamespaces(
      { client: ctx.clients.serviceDiscovery },
      { Filters: [{ Name: "TYPE", Values: [PRIVATE], Condition: "EQ" }] },
    );
    for await (const page of pages) found.push(...(page.Namespaces ?? []).filter((n) => n.Type === PRIVATE && n.Id && n.Arn));
    return found;
  });
}

/** A listed resource to check: its id and ARN. */
export interface Candidate {
  id: string;
  arn: string;
}

/**
 * How many ListTagsForResource calls are in flight at once: on AWS, whose Tagging API lists Cloud Map's resources,
 * only the few it does not list yet; on moto one per resource, and at 5 at once the 50 of a 50-service plan were a
 * chain of 11 round trips, the plan's longest.
 */
const TAG_READS_AT_ONCE = 25;

/**
 * Each candidate's tags, by ARN: as the Tagging API lists them (AWS's covers Cloud Map; it is queried once per plan),
 * else one ListTagsForResource each (moto's Tagging API lists no Cloud Map resource, and AWS's may not list one tagged
 * a moment ago, or someone else's). A candidate gone meanwhile is left out. The listing the candidates come from is
 * what says they exist: the Tagging API also lists resources deleted a moment ago.
 */
export async function candidateTags(ctx: Context, listing: Promise<readonly Candidate[]>): Promise<Map<string, Tags>> {
  return tagsOf(
    ctx,
    listing.then((candidates) => candidates.map((c) => c.arn)),
    async (unlisted) => {
      // Read once per plan per resource: the discovery services kind asks again for the namespaces' (stackNamespaces).
      const read = await mapConcurrently(
        unlisted,
        TAG_READS_AT_ONCE,
        async (arn) => [arn, await sharedRead(ctx, `cloudMap:tags:${arn}`, () => readCloudMapTags(ctx, arn))] as const,
      );
      return new Map(read.filter((entry): entry is readonly [string, Tags] => entry[1] !== undefined));
    },
  );
}

/**
 * The candidates tagged as this stack's, with their tags (see candidateTags). Candidates in `known` (found by
 * observe already) are skipped without a call.
 */
export async function stackCandidates<C extends Candidate>(
  ctx: Context,
  candidates: readonly C[],
  known: ReadonlySet<string>,
): Promise<Array<C & { tags: Tags }>> {
  const unknown = candidates.filter((c) => !known.has(c.id) && !known.has(c.arn));
  const tags = await candidateTags(ctx, Promise.resolve(unknown));
  return unknown.flatMap((c) => {
    const found = tags.get(c.arn);
    return found?.[STACK_TAG] === ctx.stack ? [{ ...c, tags: found }] : [];
  });
}

/** The private namespaces tagged as this stack's (their listing and tags are the namespaces kind's reads too). */
export async function stackNamespaces(ctx: Context): Promise<NamespaceSummary[]> {
  const namespaces = await listPrivateNamespaces(ctx);
  const tags = await candidateTags(ctx, Promise.resolve(namespaces.map((n) => ({ id: n.Id!, arn: n.Arn! }))));
  return namespaces.filter((n) => tags.get(n.Arn!)?.[STACK_TAG] === ctx.stack);
}
