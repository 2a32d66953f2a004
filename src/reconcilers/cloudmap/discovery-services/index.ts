/**
 * Cloud Map discovery services, in a private DNS namespace of the stack: the names ECS services register their
 * tasks under (A or SRV records).
 *
 * What changes in place and what takes a new service (Cloud Map API reference: UpdateService, ServiceChange,
 * DnsConfigChange, DnsConfig, HealthCheckCustomConfig):
 *
 *   field                          change
 *   dnsRecords.<type>.ttl          in place: UpdateService (DnsConfigChange carries the records' TTLs)
 *   description                    in place: UpdateService (ServiceChange.Description)
 *   tags                           in place: TagResource / UntagResource
 *   the set of record types        replacement: "The record type of a service specified in a DnsRecord object can't be
 *                                  updated. To change a record type, you need to delete the service and recreate it"
 *   routingPolicy                  replacement: DnsConfigChange has no routing policy
 *   namespace                      replacement: ServiceChange has no namespace
 *   custom health check (present)  replacement: "You can't add, update, or delete a HealthCheckCustomConfig configuration"
 *   its failureThreshold           not compared: "no longer supported and is always set to 1", so AWS's echo of a spec's
 *                                  3 is 1; comparing it would be a perpetual diff
 *   name                           another service
 *
 * UpdateService replaces the records wholesale ("If you omit any existing DnsRecords … the configurations are deleted
 * from the service"), so it always carries every record. It answers with an operation, followed like a namespace's.
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
import { awsErrorIs } from "../../../aws/errors.js";
import { KnownAfterApply, type FieldDiff } from "../../../plan/model.js";
import type { DiscoveryServiceSpec } from "../../../schema/discovery.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import {
  CloudMapOperationError,
  cloudMapBounds,
  followWrite,
  newRequestId,
  newsReporter,
  readCloudMapTags,
  stackCandidates,
  updateCloudMapTags,
  type CloudMapPoll,
} from "../api.js";
import { groupBy } from "../../shared/collections.js";
import { diffField, diffTags, isTagDiff, known, refuseReplacementDiffs, toTagList } from "../../shared/diff-helpers.js";
import { addressOf, ownedTags, sharedRead, type Context, type Observed, type LegacyReconciler, type Tags } from "../../shared/types.js";

export type RecordType = DiscoveryServiceSpec["dnsRecords"][number]["type"];
export type RoutingPolicy = DiscoveryServiceSpec["routingPolicy"];

export interface DnsRecord {
  type: string;
  ttl: number;
}

export interface DiscoveryServiceDesired {
  name: string;
  namespaceId: string | KnownAfterApply;
  /** Undefined: the spec leaves it out, and it is not compared. */
  description?: string;
  routingPolicy: RoutingPolicy;
  /** Sorted by type. */
  dnsRecords: DnsRecord[];
  /** A custom health check (ECS reports each task's health); undefined: none. */
  customHealthCheck?: { failureThreshold: number };
  tags: Tags;
}

export interface ObservedDiscoveryService extends Observed {
  /** Cloud Map's id, `srv-…`. */
  id: string;
  arn: string;
  namespaceId: string;
  /** "" when the service has none. */
  description: string;
  routingPolicy: string;
  /** Sorted by type. */
  dnsRecords: DnsRecord[];
  customHealthCheck?: { failureThreshold: number };
}

/** How long registered instances may take to drain before a deletion gives up, when ctx.wait sets no bound. */
const DEFAULT_DRAIN_TIMEOUT_MS = 10 * 60_000;
/** Cloud Map's routing policy when a DNS service's answer names none (its documented default). */
const DEFAULT_ROUTING_POLICY = "MULTIVALUE";
/** How many instance ids a drain timeout names. */
const INSTANCES_NAMED = 10;

const byType = (a: DnsRecord, b: DnsRecord) => a.type.localeCompare(b.type);

// ---------------------------------------------------------------------------------------------------------
// Normalisation and diff

function desiredDiscoveryService(
  name: string,
  entry: DiscoveryServiceSpec,
  namespaceId: string | KnownAfterApply,
  tags: Tags,
): DiscoveryServiceDesired {
  return {
    name,
    namespaceId,
    ...(entry.description !== undefined && { description: entry.description }),
    routingPolicy: entry.routingPolicy,
    dnsRecords: entry.dnsRecords.map((r) => ({ type: r.type, ttl: r.ttl })).sort(byType),
    ...(entry.healthCheck && { customHealthCheck: { failureThreshold: entry.healthCheck.failureThreshold } }),
    tags,
  };
}

/** A service as GetService reports it, with its tags. */
export function toObservedDiscoveryService(service: Service, tags: Tags): ObservedDiscoveryService {
  const custom = service.HealthCheckCustomConfig;
  return {
    name: service.Name ?? "",
    id: service.Id ?? "",
    arn: service.Arn ?? "",
    namespaceId: service.NamespaceId ?? service.DnsConfig?.NamespaceId ?? "",
    description: service.Description ?? "",
    routingPolicy: service.DnsConfig?.RoutingPolicy ?? DEFAULT_ROUTING_POLICY,
    dnsRecords: (service.DnsConfig?.DnsRecords ?? []).map((r) => ({ type: r.Type ?? "", ttl: r.TTL ?? 0 })).sort(byType),
    ...(custom && { customHealthCheck: { failureThreshold: custom.FailureThreshold ?? 1 } }),
    tags,
  };
}

const ttlPath = (type: string) => `dnsRecords.${type}.ttl`;
const isTtlPath = (path: string) => /^dnsRecords\.[^.]+\.ttl$/.test(path);

function diffDnsRecords(desired: readonly DnsRecord[], observed: readonly DnsRecord[]): FieldDiff[] {
  const desiredTypes = desired.map((r) => r.type);
  const observedTypes = observed.map((r) => r.type);
  const ttls = desired
    .filter((r) => observedTypes.includes(r.type))
    .flatMap((r) => diffField(ttlPath(r.type), observed.find((o) => o.type === r.type)?.ttl, r.ttl));
  return [...diffField("dnsRecords.types", observedTypes, desiredTypes, { forcesReplacement: true }), ...ttls];
}

export function diffDiscoveryService(desired: DiscoveryServiceDesired, observed: ObservedDiscoveryService): FieldDiff[] {
  return [
    ...diffField("namespaceId", observed.namespaceId, desired.namespaceId, { forcesReplacement: true }),
    ...diffField("routingPolicy", observed.routingPolicy, desired.routingPolicy, { forcesReplacement: true }),
    ...diffDnsRecords(desired.dnsRecords, observed.dnsRecords),
    ...diffField("customHealthCheck", observed.customHealthCheck !== undefined, desired.customHealthCheck !== undefined, {
      forcesReplacement: true,
    }),
    ...(desired.description !== undefined ? diffField("description", observed.description, desired.description) : []),
    ...diffTags(desired.tags, observed.tags),
  ];
}

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
    if (awsErrorIs(error, "ServiceNotFound")) return undefined;
    throw error;
  }
}

/** GetService and its tags; undefined when it is gone. */
async function readService(ctx: Context, id: string, knownTags?: Tags): Promise<ObservedDiscoveryService | undefined> {
  const service = await getService(ctx, id);
  const tags = service?.Arn ? (knownTags ?? (await readCloudMapTags(ctx, service.Arn))) : undefined;
  return service && tags ? toObservedDiscoveryService(service, tags) : undefined;
}

/**
 * The service of this name in this namespace. Moto ignores ListServices' NAMESPACE_ID filter, so the name is
 * matched here and the namespace confirmed on GetService's answer.
 */
async function observeService(ctx: Context, name: string, namespaceId: string): Promise<ObservedDiscoveryService | undefined> {
  const matches = (await listServices(ctx, namespaceId)).filter((s) => s.Name === name);
  const live = await Promise.all(matches.map((s) => readService(ctx, s.Id!)));
  return live.find((s) => s?.namespaceId === namespaceId);
}

/** Every instance id registered with the service; undefined when the service is gone. */
async function registeredInstances(ctx: Context, serviceId: string): Promise<string[] | undefined> {
  try {
    const ids: string[] = [];
    for await (const page of paginateListInstances({ client: ctx.clients.serviceDiscovery }, { ServiceId: serviceId }))
      ids.push(...(page.Instances ?? []).map((i) => i.Id ?? "?"));
    return ids;
  } catch (error) {
    if (awsErrorIs(error, "ServiceNotFound")) return undefined;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Writing

const subject = (name: string) => `discovery service ${name}`;

const toAwsRecords = (records: readonly DnsRecord[]) => records.map((r) => ({ Type: r.type as RecordType, TTL: r.ttl }));

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

export const discoveryServicesReconciler: LegacyReconciler<DiscoveryServiceDesired, ObservedDiscoveryService> = {
  kind: "discoveryServices",
  refersTo: ["namespaces"],
  looksUp: ["namespaces"],

  nodes: (spec: Spec) =>
    Object.entries(spec.discoveryServices).map(([logical, entry]) => {
      const name = physicalName(spec, "discoveryServices", logical);
      const namespace = addressOf("namespaces", entry.namespace);
      return {
        kind: "discoveryServices",
        logical,
        address: addressOf("discoveryServices", logical),
        name,
        dependsOn: [namespace],
        adopt: entry.adopt ?? false,
        readOnly: false,
        build: (outputs) =>
          desiredDiscoveryService(name, entry, outputs.string(namespace, "id"), ownedTags(spec, "discoveryServices", logical, entry.tags)),
      };
    }),

  async observe(desired, ctx) {
    // A namespace still to be created holds no service yet.
    const inKnownNamespaces = desired.filter(({ value }) => !(value.namespaceId instanceof KnownAfterApply));
    const byNamespace = groupBy(inKnownNamespaces, ({ value }) => value.namespaceId as string);
    const found = await Promise.all(
      [...byNamespace].flatMap(([namespaceId, entries]) =>
        entries.map(async ({ address, value }) => [address, await observeService(ctx, value.name, namespaceId)] as const),
      ),
    );
    return new Map(found.filter((entry): entry is readonly [string, ObservedDiscoveryService] => entry[1] !== undefined));
  },

  async discover(ctx, knownIds) {
    const candidates = (await listServices(ctx)).map((s) => ({ id: s.Id!, arn: s.Arn! }));
    const owned = await stackCandidates(ctx, candidates, knownIds);
    const live = await Promise.all(owned.map((c) => readService(ctx, c.id, c.tags)));
    return live.filter((s) => s !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  },

  diff: diffDiscoveryService,

  async create(desired, ctx) {
    const { Service: service } = await ctx.clients.serviceDiscovery.send(
      new CreateServiceCommand({
        Name: desired.name,
        NamespaceId: known(desired.namespaceId, `the namespace of ${subject(desired.name)}`),
        Description: desired.description,
        DnsConfig: { RoutingPolicy: desired.routingPolicy, DnsRecords: toAwsRecords(desired.dnsRecords) },
        HealthCheckCustomConfig: desired.customHealthCheck && { FailureThreshold: desired.customHealthCheck.failureThreshold },
        Tags: toTagList(desired.tags),
        CreatorRequestId: newRequestId(),
      }),
    );
    if (!service?.Id) throw new Error(`${subject(desired.name)}: CreateService answered without the service`);
    return toObservedDiscoveryService(service, { ...desired.tags });
  },

  async update(desired, observed, diffs, ctx) {
    refuseReplacementDiffs(subject(observed.name), diffs);
    const result: ObservedDiscoveryService = { ...observed };
    if (diffs.some((d) => isTtlPath(d.path) || d.path === "description")) {
      const { OperationId } = await ctx.clients.serviceDiscovery.send(
        new UpdateServiceCommand({
          Id: observed.id,
          Service: {
            ...(desired.description !== undefined && { Description: desired.description }),
            DnsConfig: { DnsRecords: toAwsRecords(desired.dnsRecords) },
          },
        }),
      );
      await followWrite(ctx, OperationId, { name: observed.name, tags: observed.tags, description: subject(observed.name) });
      result.dnsRecords = desired.dnsRecords.map((r) => ({ ...r }));
      if (desired.description !== undefined) result.description = desired.description;
    }
    if (diffs.some(isTagDiff)) result.tags = await updateCloudMapTags(ctx, observed.arn, observed.tags, desired.tags, diffs);
    return result;
  },

  async delete(observed, ctx) {
    await waitForInstancesToDrain(ctx, observed, { timeoutMs: ctx.wait?.timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS });
    try {
      await ctx.clients.serviceDiscovery.send(new DeleteServiceCommand({ Id: observed.id }));
    } catch (error) {
      if (awsErrorIs(error, "ServiceNotFound")) return;
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
