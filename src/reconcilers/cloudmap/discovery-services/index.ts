/**
 * Cloud Map discovery services, in a private DNS namespace of the stack: the names ECS services register their
 * tasks under (A or SRV records). What changes in place and what takes a new service: see model.ts.
 *
 * UpdateService answers with an operation, followed like a namespace's.
 *
 * Deletion waits first for the service's registered instances to drain (ECS deregisters a task's instance when the
 * task stops, which can take the load balancer's deregistration delay), within ctx.wait's timeout or 10 minutes;
 * Cloud Map refuses to delete a service that still has instances.
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
  followWrite,
  newsReporter,
  readCloudMapTags,
  stackCandidates,
  writeCloudMapTags,
  type CloudMapPoll,
} from "../api.js";
import { applyTagChange, known, toTagList } from "../../diff-helpers.js";
import { ID_TAG, sharedRead, type Context, type Reconciler, type Tags } from "../../contract.js";
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

/** The services of one namespace (or, without one, of the account and region), listed once per plan. */
function listServices(ctx: Context, namespaceId?: string): Promise<ServiceSummary[]> {
  return sharedRead(ctx, `cloudMap:services:${namespaceId ?? "*"}`, async () => {
    const found: ServiceSummary[] = [];
    const filters = namespaceId ? [{ Name: "NAMESPACE_ID" as const, Values: [namespaceId], Condition: "EQ" as const }] : undefined;
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

/** GetService and its tags (read together: the ARN is the listing's); undefined when it is gone. */
async function readService(
  ctx: Context,
  listed: { id: string; arn: string },
  knownTags?: Tags,
): Promise<ObservedDiscoveryService | undefined> {
  const [service, tags] = await Promise.all([getService(ctx, listed.id), knownTags ?? readCloudMapTags(ctx, listed.arn)]);
  return service && tags ? toObservedDiscoveryService(service, tags) : undefined;
}

/**
 * The service of this name in this namespace. Moto ignores ListServices' NAMESPACE_ID filter, so the name is
 * matched here and the namespace confirmed on GetService's answer.
 */
async function observeService(ctx: Context, name: string, namespaceId: string): Promise<ObservedDiscoveryService | undefined> {
  const found = await findService(ctx, name, namespaceId);
  return found && toObservedDiscoveryService(found.service, found.tags);
}

/** The service of this name in this namespace, as GetService answers, with its tags. */
async function findService(ctx: Context, name: string, namespaceId: string): Promise<{ service: Service; tags: Tags } | undefined> {
  const matches = (await listServices(ctx, namespaceId)).filter((s) => s.Name === name);
  const live = await Promise.all(
    matches.map(async (s) => {
      const [service, tags] = await Promise.all([getService(ctx, s.Id!), readCloudMapTags(ctx, s.Arn!)]);
      return service && tags ? { service, tags } : undefined;
    }),
  );
  return live.find((s) => s?.service.NamespaceId === namespaceId);
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

export const discoveryServicesReconciler: Reconciler<DiscoveryServiceDesired, ObservedDiscoveryService, DiscoveryServiceChange> = {
  kind: "discoveryServices",
  refersTo: ["namespaces"],
  // A service's name is unique within its namespace only: observe lists the namespace's services.
  looksUp: ["namespaces"],

  nodes: discoveryServiceNodes,

  async observe(desired, ctx) {
    // A namespace still to be created holds no service yet.
    const found = await Promise.all(
      desired.flatMap(({ address, value: { name, namespaceId } }) =>
        namespaceId instanceof KnownAfterApply ? [] : [observeService(ctx, name, namespaceId).then((s) => [address, s] as const)],
      ),
    );
    return new Map(found.filter((entry): entry is readonly [string, ObservedDiscoveryService] => entry[1] !== undefined));
  },

  async discover(ctx, knownIds) {
    const candidates = (await listServices(ctx)).map((s) => ({ id: s.Id!, arn: s.Arn! }));
    const owned = await stackCandidates(ctx, candidates, knownIds);
    const live = await Promise.all(owned.map((c) => readService(ctx, c, c.tags)));
    return live.filter((s) => s !== undefined).sort((a, b) => a.name.localeCompare(b.name));
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
      read: () => findService(ctx, desired.name, namespaceId),
      tagsOf: (found: { service: Service; tags: Tags }) => found.tags,
    };
    const command = new CreateServiceCommand({ ...request, CreatorRequestId });
    // AWS answers a repeated CreatorRequestId with the service it made; moto (5.2) ignores the token and makes a second one.
    recogniseBeforeRetry(command, desired.tags, recognition, (found) => ({ Service: found.service }));
    const created = async () => ({ service: (await ctx.clients.serviceDiscovery.send(command)).Service, tags: { ...desired.tags } });
    const { service, tags } = await createRecognising(created, desired.tags, { alreadyExists: ["ServiceAlreadyExists"], ...recognition });
    if (!service?.Id) throw new Error(`${subject(desired.name)}: CreateService answered without the service`);
    return toObservedDiscoveryService(service, tags);
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
    await waitForInstancesToDrain(ctx, observed, { timeoutMs: ctx.wait?.timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS });
    try {
      await ctx.clients.serviceDiscovery.send(new DeleteServiceCommand({ Id: observed.id }));
    } catch (error) {
      if (isNotFound(error)) return;
      // An instance registered again right after the drain (the AWS layer has retried it already): said with the
      // service's name, not waited out again.
      if (awsErrorIs(error, "ResourceInUse"))
        throw new CloudMapOperationError(`${subject(observed.name)} (${observed.id}) is still in use: ${(error as Error).message}`, {
          cause: error,
        });
      throw error;
    }
  },

  outputs: (observed) => ({ id: observed.id, arn: observed.arn, name: observed.name }),
};
