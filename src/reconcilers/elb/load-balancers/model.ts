/**
 * Application Load Balancers, the pure part: the desired and observed forms, the diff with its typed change,
 * and the preview. What is compared and why the attributes are enforced: see index.ts.
 */
import type { LoadBalancer } from "@aws-sdk/client-elastic-load-balancing-v2";
import { KnownAfterApply, UNKNOWN, type FieldDiff } from "../../../plan/model.js";
import type { LoadBalancerSpec } from "../../../schema/load-balancing.js";
import { physicalName } from "../../../schema/names.js";
import { subnetsAddress } from "../../../schema/queries.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, sortedSet, tagChange, type TagChange } from "../../diff-helpers.js";
import { addressOf, desiredNode, ownedTags, type DesiredNode, type Diff, type Observed, type Tags } from "../../contract.js";
import { attributeMap } from "../model.js";

export interface AccessLogs {
  enabled: boolean;
  bucket: string;
  prefix: string;
}

export interface LoadBalancerAttributes {
  idleTimeoutSeconds: number;
  deletionProtection: boolean;
  accessLogs: AccessLogs;
}

export interface LoadBalancerDesired {
  name: string;
  type: "application";
  scheme: LoadBalancerSpec["scheme"];
  ipAddressType: LoadBalancerSpec["ipAddressType"];
  /** Sorted: compared as a set. */
  subnetIds: string[] | KnownAfterApply;
  /** Sorted: compared as a set. */
  securityGroupIds: string[] | KnownAfterApply;
  attributes: LoadBalancerAttributes;
  tags: Tags;
}

export interface ObservedLoadBalancer extends Observed {
  /** `id` is the ARN. */
  type: string;
  scheme: string;
  ipAddressType: string;
  subnetIds: string[];
  securityGroupIds: string[];
  vpcId: string;
  dnsName: string;
  canonicalHostedZoneId: string;
  /** `provisioning`, `active`, …: informative only. */
  state: string;
  attributes: LoadBalancerAttributes;
}

/** AWS's defaults (Application Load Balancers guide, "Load balancer attributes"). */
export const DEFAULT_ATTRIBUTES: LoadBalancerAttributes = {
  idleTimeoutSeconds: 60,
  deletionProtection: false,
  accessLogs: { enabled: false, bucket: "", prefix: "" },
};

/** What update does to a load balancer; an absent or empty part makes no call. */
export interface LoadBalancerChange {
  /** SetSubnets' subnets: known by the time update runs (the engine looks them up first). */
  subnets?: string[] | KnownAfterApply;
  /** SetSecurityGroups' groups: known by the time update runs (the engine creates them first). */
  securityGroups?: string[] | KnownAfterApply;
  /** SetIpAddressType's type. */
  ipAddressType?: LoadBalancerDesired["ipAddressType"];
  /** ModifyLoadBalancerAttributes' keys that changed, with their values as AWS takes them. */
  attributes: Record<string, string>;
  /** The attributes once those are written. */
  attributesAfter: LoadBalancerAttributes;
  tags: TagChange;
}

/** Each attribute the tool manages: its plan path, AWS's key, and its value (sent as a string). */
const ATTRIBUTES: ReadonlyArray<{ path: string; key: string; of: (a: LoadBalancerAttributes) => unknown; onlyWithLogs?: true }> = [
  { path: "idleTimeoutSeconds", key: "idle_timeout.timeout_seconds", of: (a) => a.idleTimeoutSeconds },
  { path: "deletionProtection", key: "deletion_protection.enabled", of: (a) => a.deletionProtection },
  { path: "accessLogs.enabled", key: "access_logs.s3.enabled", of: (a) => a.accessLogs.enabled },
  // Where logs would go matters only while they are wanted: AWS keeps the bucket of logs turned off.
  { path: "accessLogs.bucket", key: "access_logs.s3.bucket", of: (a) => a.accessLogs.bucket, onlyWithLogs: true },
  { path: "accessLogs.prefix", key: "access_logs.s3.prefix", of: (a) => a.accessLogs.prefix, onlyWithLogs: true },
];

/** A list of ids, unknown as a whole while any of them is. */
function allKnown(values: ReadonlyArray<string | KnownAfterApply>): string[] | KnownAfterApply {
  const ids = values.filter((v): v is string => typeof v === "string");
  return ids.length === values.length ? sortedSet(ids) : UNKNOWN;
}

const setOf = (value: string[] | KnownAfterApply) => (value instanceof KnownAfterApply ? value : sortedSet(value));

export function desiredAttributes(
  entry: Pick<LoadBalancerSpec, "idleTimeoutSeconds" | "deletionProtection" | "accessLogs">,
): LoadBalancerAttributes {
  return {
    idleTimeoutSeconds: entry.idleTimeoutSeconds ?? DEFAULT_ATTRIBUTES.idleTimeoutSeconds,
    deletionProtection: entry.deletionProtection ?? DEFAULT_ATTRIBUTES.deletionProtection,
    accessLogs: entry.accessLogs
      ? { enabled: true, bucket: entry.accessLogs.bucket, prefix: entry.accessLogs.prefix ?? "" }
      : { ...DEFAULT_ATTRIBUTES.accessLogs },
  };
}

/** DescribeLoadBalancerAttributes' answer in the canonical form; a missing attribute is AWS's default. */
export function normaliseAttributes(list: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): LoadBalancerAttributes {
  const map = attributeMap(list);
  const flag = (key: string, fallback: boolean) => (map[key] === undefined ? fallback : map[key] === "true");
  const idle = map["idle_timeout.timeout_seconds"];
  return {
    idleTimeoutSeconds: idle ? Number(idle) : DEFAULT_ATTRIBUTES.idleTimeoutSeconds,
    deletionProtection: flag("deletion_protection.enabled", DEFAULT_ATTRIBUTES.deletionProtection),
    accessLogs: {
      enabled: flag("access_logs.s3.enabled", DEFAULT_ATTRIBUTES.accessLogs.enabled),
      bucket: map["access_logs.s3.bucket"] ?? DEFAULT_ATTRIBUTES.accessLogs.bucket,
      prefix: map["access_logs.s3.prefix"] ?? DEFAULT_ATTRIBUTES.accessLogs.prefix,
    },
  };
}

/** DescribeLoadBalancers' answer, with the tags and attributes read beside it, in the canonical form. */
export function normaliseLoadBalancer(lb: LoadBalancer, tags: Tags, attributes: LoadBalancerAttributes): ObservedLoadBalancer {
  return {
    name: lb.LoadBalancerName!,
    id: lb.LoadBalancerArn!,
    tags,
    type: lb.Type ?? "application",
    scheme: lb.Scheme ?? "internet-facing",
    // AWS's API reference examples predate dual-stack and leave IpAddressType out: ipv4 is what that meant.
    ipAddressType: lb.IpAddressType ?? "ipv4",
    subnetIds: sortedSet((lb.AvailabilityZones ?? []).flatMap((az) => (az.SubnetId ? [az.SubnetId] : []))),
    securityGroupIds: sortedSet(lb.SecurityGroups ?? []),
    vpcId: lb.VpcId ?? "",
    dnsName: lb.DNSName ?? "",
    canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? "",
    state: lb.State?.Code ?? "",
    attributes,
  };
}

function loadBalancerNode(spec: Spec, logical: string, entry: LoadBalancerSpec): DesiredNode<LoadBalancerDesired> {
  const name = physicalName(spec, "loadBalancers", logical);
  const subnets = subnetsAddress(spec, "loadBalancers", logical);
  const groups = [...new Set(entry.securityGroups)].map((group) => addressOf("securityGroups", group));
  return desiredNode({
    kind: "loadBalancers",
    logical,
    name,
    dependsOn: [subnets, ...groups],
    adopt: entry.adopt ?? false,
    build: (outputs) => ({
      name,
      type: "application",
      scheme: entry.scheme,
      ipAddressType: entry.ipAddressType,
      subnetIds: setOf(outputs.list(subnets, "subnetIds")),
      securityGroupIds: allKnown(groups.map((address) => outputs.string(address, "id"))),
      attributes: desiredAttributes(entry),
      tags: ownedTags(spec, "loadBalancers", logical, entry.tags),
    }),
  });
}

export const loadBalancerNodes = (spec: Spec): DesiredNode<LoadBalancerDesired>[] =>
  Object.entries(spec.loadBalancers).map(([logical, entry]) => loadBalancerNode(spec, logical, entry));

/** The attributes' lines, and the write of each attribute that has one. */
export function diffAttributes(
  desired: LoadBalancerAttributes,
  observed: LoadBalancerAttributes,
): { lines: FieldDiff[]; writes: Record<string, string> } {
  const compared = ATTRIBUTES.filter((a) => desired.accessLogs.enabled || !a.onlyWithLogs).map((a) => ({
    key: a.key,
    value: String(a.of(desired)),
    lines: diffField(a.path, a.of(observed), a.of(desired)),
  }));
  return {
    lines: compared.flatMap((a) => a.lines),
    writes: Object.fromEntries(compared.filter((a) => a.lines.length > 0).map((a) => [a.key, a.value])),
  };
}

/**
 * The attributes once every changed one is written: the desired ones, except that AWS keeps the bucket and
 * prefix of access logs turned off (which the diff does not compare).
 */
function attributesAfter(observed: LoadBalancerAttributes, desired: LoadBalancerAttributes): LoadBalancerAttributes {
  return desired.accessLogs.enabled ? desired : { ...desired, accessLogs: { ...observed.accessLogs, enabled: false } };
}

export function diffLoadBalancer(desired: LoadBalancerDesired, observed: ObservedLoadBalancer): Diff<LoadBalancerChange> {
  const subnets = setOf(desired.subnetIds);
  const securityGroups = setOf(desired.securityGroupIds);
  const subnetLines = diffField("subnets", sortedSet(observed.subnetIds), subnets);
  const groupLines = diffField("securityGroups", sortedSet(observed.securityGroupIds), securityGroups);
  const ipLines = diffField("ipAddressType", observed.ipAddressType, desired.ipAddressType);
  const attributes = diffAttributes(desired.attributes, observed.attributes);
  return {
    lines: [
      ...diffField("type", observed.type, desired.type, { forcesReplacement: true }),
      ...diffField("scheme", observed.scheme, desired.scheme, { forcesReplacement: true }),
      ...subnetLines,
      ...groupLines,
      ...ipLines,
      ...attributes.lines,
      ...diffTags(desired.tags, observed.tags),
    ],
    change: {
      ...(subnetLines.length > 0 && { subnets }),
      ...(groupLines.length > 0 && { securityGroups }),
      ...(ipLines.length > 0 && { ipAddressType: desired.ipAddressType }),
      attributes: attributes.writes,
      attributesAfter: attributesAfter(observed.attributes, desired.attributes),
      tags: tagChange(desired.tags, observed.tags),
    },
  };
}

export function previewLoadBalancer(desired: LoadBalancerDesired): FieldDiff[] {
  const { attributes } = desired;
  return [
    { path: "name", after: desired.name },
    { path: "type", after: desired.type },
    { path: "scheme", after: desired.scheme },
    { path: "ipAddressType", after: desired.ipAddressType },
    { path: "subnets", after: desired.subnetIds },
    { path: "securityGroups", after: desired.securityGroupIds },
    { path: "idleTimeoutSeconds", after: attributes.idleTimeoutSeconds },
    { path: "deletionProtection", after: attributes.deletionProtection },
    { path: "accessLogs.enabled", after: attributes.accessLogs.enabled },
    ...(attributes.accessLogs.enabled
      ? [
          { path: "accessLogs.bucket", after: attributes.accessLogs.bucket },
          { path: "accessLogs.prefix", after: attributes.accessLogs.prefix },
        ]
      : []),
    ...Object.entries(desired.tags).map(([key, value]) => ({ path: `tags.${key}`, after: value })),
  ];
}
