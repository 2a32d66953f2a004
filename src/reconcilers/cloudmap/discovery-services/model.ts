/**
 * A discovery service as the spec wants it and as AWS reports it, the diff between the two, and the UpdateService
 * input that closes it.
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
 * from the service"), so its input always carries every record.
 */
import type { DnsRecord as AwsDnsRecord, Service, ServiceSummary, UpdateServiceRequest } from "@aws-sdk/client-servicediscovery";
import type { FieldDiff, KnownAfterApply } from "../../../plan/model.js";
import type { DiscoveryServiceSpec } from "../../../schema/discovery.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, tagChange, type TagChange } from "../../diff-helpers.js";
import { addressOf, desiredNode, ownedTags, type DesiredNode, type Diff, type Observed, type Tags } from "../../contract.js";

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
  /** "" when not known: a service found in the region's listing (discover), whose summary does not name it. */
  namespaceId: string;
  /** How many instances AWS counted when it was read; undefined: not told (moto's summaries leave it out). */
  instanceCount?: number;
  /** "" when the service has none. */
  description: string;
  routingPolicy: string;
  /** Sorted by type. */
  dnsRecords: DnsRecord[];
  customHealthCheck?: { failureThreshold: number };
}

/** The UpdateService input: every DNS record, and the description when the spec sets one. */
export type ServiceUpdate = UpdateServiceRequest & {
  Service: { Description?: string; DnsConfig: { DnsRecords: AwsDnsRecord[] } };
};

export interface DiscoveryServiceChange {
  /** Undefined: the TTLs and the description are as the spec says. */
  service?: ServiceUpdate;
  tags: TagChange;
}

/** Cloud Map's routing policy when a DNS service's answer names none (its documented default). */
const DEFAULT_ROUTING_POLICY = "MULTIVALUE";

const byType = (a: DnsRecord, b: DnsRecord) => a.type.localeCompare(b.type);

export const toAwsRecords = (records: readonly DnsRecord[]): AwsDnsRecord[] =>
  records.map((r) => ({ Type: r.type as RecordType, TTL: r.ttl }));

const fromAwsRecords = (records: readonly AwsDnsRecord[] | undefined): DnsRecord[] =>
  (records ?? []).map((r) => ({ type: r.Type ?? "", ttl: r.TTL ?? 0 })).sort(byType);

// ---------------------------------------------------------------------------------------------------------
// Normalisation

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

export const discoveryServiceNodes = (spec: Spec): DesiredNode<DiscoveryServiceDesired>[] =>
  Object.entries(spec.discoveryServices).map(([logical, entry]) => {
    const name = physicalName(spec, "discoveryServices", logical);
    const namespace = addressOf("namespaces", entry.namespace);
    return desiredNode({
      kind: "discoveryServices",
      logical,
      name,
      dependsOn: [namespace],
      adopt: entry.adopt ?? false,
      build: (outputs) =>
        desiredDiscoveryService(name, entry, outputs.string(namespace, "id"), ownedTags(spec, "discoveryServices", logical, entry.tags)),
    });
  });

/**
 * A service as ListServices (its summary) or GetService reports it, with its tags and its namespace (a summary does
 * not name it: the namespace's own listing does).
 */
export function toObservedDiscoveryService(service: Service | ServiceSummary, tags: Tags, namespaceId: string): ObservedDiscoveryService {
  const custom = service.HealthCheckCustomConfig;
  return {
    name: service.Name ?? "",
    id: service.Id ?? "",
    arn: service.Arn ?? "",
    namespaceId: ("NamespaceId" in service ? service.NamespaceId : undefined) ?? service.DnsConfig?.NamespaceId ?? namespaceId,
    ...(service.InstanceCount !== undefined && { instanceCount: service.InstanceCount }),
    description: service.Description ?? "",
    routingPolicy: service.DnsConfig?.RoutingPolicy ?? DEFAULT_ROUTING_POLICY,
    dnsRecords: fromAwsRecords(service.DnsConfig?.DnsRecords),
    ...(custom && { customHealthCheck: { failureThreshold: custom.FailureThreshold ?? 1 } }),
    tags,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Diff

const ttlPath = (type: string) => `dnsRecords.${type}.ttl`;

/** The TTLs of the record types both sides have (another set of types is a replacement). */
function diffTtls(desired: readonly DnsRecord[], observed: readonly DnsRecord[]): FieldDiff[] {
  return desired.flatMap((r) => {
    const live = observed.find((o) => o.type === r.type);
    return live ? diffField(ttlPath(r.type), live.ttl, r.ttl) : [];
  });
}

function serviceUpdate(desired: DiscoveryServiceDesired, observed: ObservedDiscoveryService): ServiceUpdate {
  return {
    Id: observed.id,
    Service: {
      ...(desired.description !== undefined && { Description: desired.description }),
      DnsConfig: { DnsRecords: toAwsRecords(desired.dnsRecords) },
    },
  };
}

export function diffDiscoveryService(desired: DiscoveryServiceDesired, observed: ObservedDiscoveryService): Diff<DiscoveryServiceChange> {
  const ttls = diffTtls(desired.dnsRecords, observed.dnsRecords);
  const description = desired.description !== undefined ? diffField("description", observed.description, desired.description) : [];
  const types = (records: readonly DnsRecord[]) => records.map((r) => r.type);
  const lines = [
    ...diffField("namespaceId", observed.namespaceId, desired.namespaceId, { forcesReplacement: true }),
    ...diffField("routingPolicy", observed.routingPolicy, desired.routingPolicy, { forcesReplacement: true }),
    ...diffField("dnsRecords.types", types(observed.dnsRecords), types(desired.dnsRecords), { forcesReplacement: true }),
    ...ttls,
    ...diffField("customHealthCheck", observed.customHealthCheck !== undefined, desired.customHealthCheck !== undefined, {
      forcesReplacement: true,
    }),
    ...description,
    ...diffTags(desired.tags, observed.tags),
  ];
  const inPlace = ttls.length > 0 || description.length > 0;
  return { lines, change: { ...(inPlace && { service: serviceUpdate(desired, observed) }), tags: tagChange(desired.tags, observed.tags) } };
}

/** The service once UpdateService has succeeded: its records and description as the input set them. */
export function afterServiceUpdate(observed: ObservedDiscoveryService, update: ServiceUpdate): ObservedDiscoveryService {
  const { Description: description, DnsConfig } = update.Service;
  return { ...observed, dnsRecords: fromAwsRecords(DnsConfig.DnsRecords), ...(description !== undefined && { description }) };
}
