/**
 * Cloud Map discovery services, in a private DNS namespace of the stack: the names ECS services register their
 * tasks under (A or SRV records). What changes in place and what takes a new service: see model.ts.
 *
 * UpdateService answers with an operation, followed like a namespace's.
 *
 * Observe and discover read the services' summaries (ListServices, once per plan for each namespace of the stack),
 * which carry all the diff compares: no GetService where the listing vouches for the namespace.
 *
 * Deletion waits first for the service's registered instances to drain (ECS deregisters a task's instance when the
 * task stops, which can take the load balancer's deregistration delay), within ctx.wait's timeout or 10 minutes;
 * Cloud Map refuses to delete a service that still has instances. When the plan's summary counted none, no drain is
 * polled unless DeleteService answers that the service is in use.
 */
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  GetServiceCommand,
  UpdateServiceCommand,
  paginateListInstances,
  paginateListServices,
  type Service,
  type ServiceSummary,
} from "@aws-sdk/client-servicediscovery";
import { WaiterState, createWaiter } from "@smithy/core/client";
import { awsErrorIs, isNotFound } from "../../../aws/errors.js";
import { KnownAfterApply } from "../../../plan/model.js";
import {
  CloudMapOperationError,
  cloudMapBounds,
  CREATOR_REQUEST_ID_MAX,
  candidateTags,
  followWrite,
  listPrivateNamespaces,
  newsReporter,
  stackCandidates,
  stackNamespaces,
  writeCloudMapTags,
  type CloudMapPoll,
} from "../api.js";
import { applyTagChange, known, toTagList } from "../../diff-helpers.js";
import { ID_TAG, STACK_TAG, sharedRead, type Context, type Reconciler, type Tags } from "../../contract.js";
import { createRecognising, idempotencyToken, recogniseBeforeRetry } from "../../recognise.js";
import {
  afterServiceUpdate,
  diffDiscoveryService,
  discoveryServiceNodes,
  toAwsRecords,
  toObservedDiscoveryService,
  type DiscoveryServiceChange,
  type DiscoveryServiceDesired,
  type ObservedDiscoveryService,
} from "./model.js";

/** How long registered instances may take to drain before a deletion gives up, when ctx.wait sets no bound. */
const DEFAULT_DRAIN_TIMEOUT_MS = 10 * 60_000;
/** How many instance ids a drain timeout names. */
const INSTANCES_NAMED = 10;

// ---------------------------------------------------------------------------------------------------------
// Reading

/** The services of one namespace, listed once per plan. */
function listServices(ctx: Context, namespaceId: string): Promise<ServiceSummary[]> {
  return sharedRead(ctx, `cloudMap:services:${namespaceId}`, async () => {
    const found: ServiceSummary[] = [];
    const filters = [{ Name: "NAMESPACE_ID" as const, Values: [namespaceId], Condition: "EQ" as const }];
    for await (const page of paginateListServices({ client: ctx.clients.serviceDiscovery }, { Filters: filters }))
      found.push(...(page.Services ?? []).filter((s) => s.Id && s.Arn));
    return found;
  });
}

async function getService(ctx: Context, id: string): Promise<Service | undefined> {
  try {
    return (await ctx.clients.serviceDiscovery.send(new GetServiceCommand({ Id: id }))).Service;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Those of the matching services that are in the namespace. ListServices' NAMESPACE_ID filter is exact on AWS, so the
 * listing holds no more services than the namespace's ServiceCount, and vouches for them. Moto ignores the filter and
 * gives no ServiceCount: where the listing is longer than the count, or there is none, GetService says.
 */
async function inThisNamespace(
  ctx: Context,
  namespaceId: string,
  listing: Promise<ServiceSummary[]>,
  matching: Promise<ServiceSummary[]>,
): Promise<Array<Service | ServiceSummary>> {
  const [all, matches, namespaces] = await Promise.all([listing, matching, listPrivateNamespaces(ctx)]);
  const count = namespaces.find((n) => n.Id === namespaceId)?.ServiceCount;
  if (matches.length === 0 || (count !== undefined && all.length <= count)) return matches;
  const read = await Promise.all(matches.map((s) => getService(ctx, s.Id!)));
  return read.filter((s): s is Service => s?.NamespaceId === namespaceId);
}

/**
 * The services of this name in this namespace, with their tags: the namespace's listing has all the diff compares,
 * and its tags come from the Tagging API or ListTagsForResource (see candidateTags). GetService is read only where
 * the listing cannot vouch for the namespace (see inThisNamespace), to confirm it.
 */
async function findServices(ctx: Context, name: string, namespaceId: string): Promise<ObservedDiscoveryService[]> {
  const listing = listServices(ctx, namespaceId);
  const matching = listing.then((all) => all.filter((s) => s.Name === name));
  const [tags, inNamespace] = await Promise.all([
    candidateTags(
      ctx,
      matching.then((ms) => ms.map((s) => ({ id: s.Id!, arn: s.Arn! }))),
    ),
    inThisNamespace(ctx, namespaceId, listing, matching),
  ]);
  return inNamespace.flatMap((s) => {
    const found = tags.get(s.Arn!);
    return found ? [toObservedDiscoveryService(s, found, namespaceId)] : [];
  });
}

/** Of the services of this name in this namespace, the one tagged as this node, else the first (the planner judges whose it is). */
async function observeService(ctx: Context, desired: DiscoveryServiceDesired, namespaceId: string) {
  const live = await findServices(ctx, desired.name, namespaceId);
  return live.find((s) => s.tags[STACK_TAG] === desired.tags[STACK_TAG] && s.tags[ID_TAG] === desired.tags[ID_TAG]) ?? live[0];
}

/** Every instance id registered with the service; undefined when the service is gone. */
async function registeredInstances(ctx: Context, serviceId: string): Promise<string[] | undefined> {
  try {
    const ids: string[] = [];
    for await (const page of paginateListInstances({ client: ctx.clients.serviceDiscovery }, { ServiceId: serviceId }))
      ids.push(...(page.Instances ?? []).map((i) => i.Id ?? "?"));
    return ids;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Writing

const subject = (name: string) => `discovery service ${name}`;

/**
 * Waits until no instance is registered with the service any more, polling ListInstances. Throws when the time runs
 * out, naming the instances still there.
 */
async function waitForInstancesToDrain(ctx: Context, observed: ObservedDiscoveryService, poll: CloudMapPoll): Promise<void> {
  const report = newsReporter(ctx, observed);
  const bounds = cloudMapBounds(poll);
  let remaining: string[] = [];
  const result = await createWaiter({ client: ctx.clients.serviceDiscovery, ...bounds }, observed.id, async () => {
    remaining = (await registeredInstances(ctx, observed.id)) ?? [];
    if (remaining.length === 0) return { state: WaiterState.SUCCESS };
    report(`${remaining.length} instance${remaining.length === 1 ? "" : "s"} still registered`);
    return { state: WaiterState.RETRY };
  });
  if (result.state === WaiterState.SUCCESS) return;
  const named = remaining.slice(0, INSTANCES_NAMED).join(", ") + (remaining.length > INSTANCES_NAMED ? ", …" : "");
  throw new CloudMapOperationError(
    `${subject(observed.name)} (${observed.id}): ${remaining.length} instance${remaining.length === 1 ? "" : "s"} still registered ` +
      `after ${bounds.maxWaitTime} s (${named}); nothing was deleted`,
  );
}

/** DeleteService; already gone is success. */
async function deleteService(ctx: Context, observed: ObservedDiscoveryService): Promise<void> {
  try {
    await ctx.clients.serviceDiscovery.send(new DeleteServiceCommand({ Id: observed.id }));
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
}

/**
 * An instance registered again right after the drain (the AWS layer has retried it already): said with the service's
 * name, not waited out again.
 */
function stillInUse(observed: ObservedDiscoveryService, error: unknown): unknown {
  return awsErrorIs(error, "ResourceInUse")
    ? new CloudMapOperationError(`${subject(observed.name)} (${observed.id}) is still in use: ${(error as Error).message}`, {
        cause: error,
      })
    : error;
}

export const discoveryServicesReconciler: Reconciler<DiscoveryServiceDesired, ObservedDiscoveryService, DiscoveryServiceChange> = {
  kind: "discoveryServices",
  refersTo: ["namespaces"],
  // A service's name is unique within its namespace only: observe lists the namespace's services.
  looksUp: ["namespaces"],

  nodes: discoveryServiceNodes,

  async observe(desired, ctx) {
    // A namespace still to be created holds no service yet.
    const found = await Promise.all(
      desired.flatMap(({ address, value }) =>
        value.namespaceId instanceof KnownAfterApply
          ? []
          : [observeService(ctx, value, value.namespaceId).then((s) => [address, s] as const)],
      ),
    );
    return new Map(found.filter((entry): entry is readonly [string, ObservedDiscoveryService] => entry[1] !== undefined));
  },

  /**
   * The stack's discovery services are in its own namespaces (a spec names no other): their listings, which observe
   * reads too, rather than the region's. (Moto ignores the NAMESPACE_ID filter: there each listing is the region's,
   * and a service may be credited to the wrong namespace of the stack; only the diff reads it, and pruning does not diff.)
   */
  async discover(ctx, knownIds) {
    const listings = await Promise.all(
      (await stackNamespaces(ctx)).map(async (namespace) =>
        (await listServices(ctx, namespace.Id!)).map((summary) => ({
          id: summary.Id!,
          arn: summary.Arn!,
          summary,
          namespaceId: namespace.Id!,
        })),
      ),
    );
    const candidates = [...new Map(listings.flat().map((c) => [c.id, c])).values()];
    const owned = await stackCandidates(ctx, candidates, knownIds);
    return owned.map((c) => toObservedDiscoveryService(c.summary, c.tags, c.namespaceId)).sort((a, b) => a.name.localeCompare(b.name));
  },

  diff: diffDiscoveryService,

  async create(desired, ctx) {
    const namespaceId = known(desired.namespaceId, `the namespace of ${subject(desired.name)}`);
    const request = {
      Name: desired.name,
      NamespaceId: namespaceId,
      Description: desired.description,
      DnsConfig: { RoutingPolicy: desired.routingPolicy, DnsRecords: toAwsRecords(desired.dnsRecords) },
      HealthCheckCustomConfig: desired.customHealthCheck && { FailureThreshold: desired.customHealthCheck.failureThreshold },
      Tags: toTagList(desired.tags),
    };
    const CreatorRequestId = idempotencyToken(ctx.stack, desired.tags[ID_TAG] ?? desired.name, request, CREATOR_REQUEST_ID_MAX);
    const recognition = {
      // Rare (an answer lost): the call's answer is GetService's.
      read: async () => {
        const found = await observeService(ctx, desired, namespaceId);
        const service = found && (await getService(ctx, found.id));
        return service && { service, tags: found.tags };
      },
      tagsOf: (found: { service: Service; tags: Tags }) => found.tags,
    };
    const command = new CreateServiceCommand({ ...request, CreatorRequestId });
    // AWS answers a repeated CreatorRequestId with the service it made; moto (5.2) ignores the token and makes a second one.
    recogniseBeforeRetry(command, desired.tags, recognition, (found) => ({ Service: found.service }));
    const created = async () => ({ service: (await ctx.clients.serviceDiscovery.send(command)).Service, tags: { ...desired.tags } });
    const { service, tags } = await createRecognising(created, desired.tags, { alreadyExists: ["ServiceAlreadyExists"], ...recognition });
    if (!service?.Id) throw new Error(`${subject(desired.name)}: CreateService answered without the service`);
    return toObservedDiscoveryService(service, tags, namespaceId);
  },

  async update(change, observed, ctx) {
    let result: ObservedDiscoveryService = { ...observed };
    if (change.service) {
      const { OperationId } = await ctx.clients.serviceDiscovery.send(new UpdateServiceCommand(change.service));
      await followWrite(ctx, OperationId, { name: observed.name, tags: observed.tags, description: subject(observed.name) });
      result = afterServiceUpdate(result, change.service);
    }
    await writeCloudMapTags(ctx, observed.arn, change.tags);
    result.tags = applyTagChange(observed.tags, change.tags);
    return result;
  },

  async delete(observed, ctx) {
    // The plan's listing counted no instance: DeleteService at once, draining only if one has registered since.
    if (observed.instanceCount === 0) {
      try {
        return await deleteService(ctx, observed);
      } catch (error) {
        if (!awsErrorIs(error, "ResourceInUse")) throw error;
      }
    }
    await waitForInstancesToDrain(ctx, observed, { timeoutMs: ctx.wait?.timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS });
    try {
      await deleteService(ctx, observed);
    } catch (error) {
      throw stillInUse(observed, error);
    }
  },

  outputs: (observed) => ({ id: observed.id, arn: observed.arn, name: observed.name }),
};
