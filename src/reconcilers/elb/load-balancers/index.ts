/**
 * Application Load Balancers. Listeners are a kind of their own.
 *
 * Compared: type and scheme (AWS cannot change them: replacement), subnets and security groups (as sets:
 * SetSubnets, SetSecurityGroups), ipAddressType (SetIpAddressType), the attributes below (one
 * ModifyLoadBalancerAttributes with only the changed keys) and tags.
 *
 * The attributes are ENFORCED: one the spec leaves out is set back to AWS's documented default, so that the
 * spec alone says how the load balancer behaves:
 *   spec                 attribute                         default
 *   idleTimeoutSeconds   idle_timeout.timeout_seconds      60
 *   deletionProtection   deletion_protection.enabled       false
 *   accessLogs           access_logs.s3.enabled            false (true with `accessLogs`)
 *     .bucket            access_logs.s3.bucket             compared only while access logs are wanted
 *     .prefix            access_logs.s3.prefix             "" (compared only while access logs are wanted)
 * An attribute missing from DescribeLoadBalancerAttributes counts as its default (moto leaves out
 * idle_timeout.timeout_seconds and access_logs.s3.enabled). Other attributes (HTTP/2, WAF fail-open, …) are
 * not managed.
 *
 * Deletion protection is honoured, not fought: `delete` of a protected load balancer fails without a call,
 * asking for `deletionProtection` to be turned off by an apply first.
 */
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  ModifyLoadBalancerAttributesCommand,
  SetIpAddressTypeCommand,
  SetSecurityGroupsCommand,
  SetSubnetsCommand,
  waitUntilLoadBalancersDeleted,
  type LoadBalancer,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { awsErrorIs } from "../../../aws/errors.js";
import { KnownAfterApply, UNKNOWN, type FieldDiff } from "../../../plan/model.js";
import type { LoadBalancerSpec } from "../../../schema/load-balancing.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, known, refuseReplacementDiffs, sortedSet, toTagList } from "../../shared/diff-helpers.js";
import { arnSuffix, attributeList, attributeMap, describeEach, describeElbTags, updateElbTags } from "../api.js";
import { subnetsAddress } from "../../../schema/queries.js";
import { findTaggedResources, resourcesOfType } from "../../shared/tagged-resources.js";
import {
  addressOf,
  ownedTags,
  STACK_TAG,
  type Context,
  type DesiredNode,
  type Observed,
  type LegacyReconciler,
  type Tags,
} from "../../shared/types.js";

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

/** Each attribute the tool manages: its plan path, AWS's key, and its value as AWS takes it. */
const ATTRIBUTES: ReadonlyArray<{ path: string; key: string; value: (a: LoadBalancerAttributes) => string }> = [
  { path: "idleTimeoutSeconds", key: "idle_timeout.timeout_seconds", value: (a) => String(a.idleTimeoutSeconds) },
  { path: "deletionProtection", key: "deletion_protection.enabled", value: (a) => String(a.deletionProtection) },
  { path: "accessLogs.enabled", key: "access_logs.s3.enabled", value: (a) => String(a.accessLogs.enabled) },
  { path: "accessLogs.bucket", key: "access_logs.s3.bucket", value: (a) => a.accessLogs.bucket },
  { path: "accessLogs.prefix", key: "access_logs.s3.prefix", value: (a) => a.accessLogs.prefix },
];

/** The wait after DeleteLoadBalancer, until DescribeLoadBalancers no longer finds it. */
const DELETE_WAIT_SECONDS = 600;

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
  return {
    kind: "loadBalancers",
    logical,
    address: addressOf("loadBalancers", logical),
    name,
    dependsOn: [subnets, ...groups],
    adopt: entry.adopt ?? false,
    readOnly: false,
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
  };
}

export function diffAttributes(desired: LoadBalancerAttributes, observed: LoadBalancerAttributes): FieldDiff[] {
  return [
    ...diffField("idleTimeoutSeconds", observed.idleTimeoutSeconds, desired.idleTimeoutSeconds),
    ...diffField("deletionProtection", observed.deletionProtection, desired.deletionProtection),
    ...diffField("accessLogs.enabled", observed.accessLogs.enabled, desired.accessLogs.enabled),
    // Where logs would go matters only while they are wanted: AWS keeps the bucket of logs turned off.
    ...(desired.accessLogs.enabled
      ? [
          ...diffField("accessLogs.bucket", observed.accessLogs.bucket, desired.accessLogs.bucket),
          ...diffField("accessLogs.prefix", observed.accessLogs.prefix, desired.accessLogs.prefix),
        ]
      : []),
  ];
}

export function diffLoadBalancer(desired: LoadBalancerDesired, observed: ObservedLoadBalancer): FieldDiff[] {
  return [
    ...diffField("type", observed.type, desired.type, { forcesReplacement: true }),
    ...diffField("scheme", observed.scheme, desired.scheme, { forcesReplacement: true }),
    ...diffField("subnets", sortedSet(observed.subnetIds), setOf(desired.subnetIds)),
    ...diffField("securityGroups", sortedSet(observed.securityGroupIds), setOf(desired.securityGroupIds)),
    ...diffField("ipAddressType", observed.ipAddressType, desired.ipAddressType),
    ...diffAttributes(desired.attributes, observed.attributes),
    ...diffTags(desired.tags, observed.tags),
  ];
}

/** The attributes to send for the attribute lines among `diffs`: only the changed keys. */
export function attributeChanges(desired: LoadBalancerAttributes, diffs: readonly FieldDiff[]): Record<string, string> {
  const paths = new Set(diffs.map((d) => d.path));
  return Object.fromEntries(ATTRIBUTES.filter((a) => paths.has(a.path)).map((a) => [a.key, a.value(desired)]));
}

/**
 * The attributes once an update has applied every attribute line of its diffs: the desired ones, except that
 * AWS keeps the bucket and prefix of access logs turned off (which the diff does not compare).
 */
function attributesAfter(observed: LoadBalancerAttributes, desired: LoadBalancerAttributes): LoadBalancerAttributes {
  return desired.accessLogs.enabled ? desired : { ...desired, accessLogs: { ...observed.accessLogs, enabled: false } };
}

async function describeAttributes(ctx: Context, arn: string): Promise<LoadBalancerAttributes | undefined> {
  try {
    const { Attributes } = await ctx.clients.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }));
    return normaliseAttributes(Attributes);
  } catch (error) {
    if (awsErrorIs(error, "LoadBalancerNotFound")) return undefined; // deleted since it was described
    throw error;
  }
}

/** Tags (one call per 20) and attributes (one call each, in parallel) of described load balancers. */
async function withDetails(ctx: Context, found: readonly LoadBalancer[]): Promise<ObservedLoadBalancer[]> {
  const arns = found.map((lb) => lb.LoadBalancerArn!);
  const [tags, attributes] = await Promise.all([describeElbTags(ctx, arns), Promise.all(arns.map((arn) => describeAttributes(ctx, arn)))]);
  return found.flatMap((lb, i) => {
    const attrs = attributes[i];
    return attrs ? [normaliseLoadBalancer(lb, tags.get(lb.LoadBalancerArn!) ?? {}, attrs)] : [];
  });
}

const describeBy =
  (ctx: Context, key: "Names" | "LoadBalancerArns") =>
  async (batch: string[]): Promise<LoadBalancer[]> =>
    (await ctx.clients.elbv2.send(new DescribeLoadBalancersCommand({ [key]: batch }))).LoadBalancers ?? [];

async function observeLoadBalancers(
  desired: ReadonlyArray<{ address: string; value: LoadBalancerDesired }>,
  ctx: Context,
): Promise<Map<string, ObservedLoadBalancer>> {
  const names = desired.map((d) => d.value.name);
  const found = names.length === 0 ? [] : await describeEach(names, "LoadBalancerNotFound", describeBy(ctx, "Names"));
  const byName = new Map((await withDetails(ctx, found)).map((lb) => [lb.name, lb]));
  return new Map(
    desired.flatMap(({ address, value }) => {
      const live = byName.get(value.name);
      return live ? [[address, live] as const] : [];
    }),
  );
}

/** Load balancers tagged with the stack, confirmed live and still the stack's: the Tagging API may lag behind. */
async function discoverLoadBalancers(ctx: Context, known: ReadonlySet<string>): Promise<ObservedLoadBalancer[]> {
  const arns = resourcesOfType(await findTaggedResources(ctx), "elasticloadbalancing", "loadbalancer")
    .map((r) => r.arn)
    .filter((arn) => !known.has(arn));
  if (arns.length === 0) return [];
  const found = await describeEach(arns, "LoadBalancerNotFound", describeBy(ctx, "LoadBalancerArns"));
  return (await withDetails(ctx, found)).filter((lb) => lb.tags[STACK_TAG] === ctx.stack).sort((a, b) => a.name.localeCompare(b.name));
}

async function modifyAttributes(ctx: Context, arn: string, changes: Record<string, string>): Promise<void> {
  await ctx.clients.elbv2.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: attributeList(changes) }));
}

/** Created with its tags; attributes that differ from AWS's defaults follow in one call. Not waited for: listeners can be added while it provisions. */
async function createLoadBalancer(desired: LoadBalancerDesired, ctx: Context): Promise<ObservedLoadBalancer> {
  const { LoadBalancers } = await ctx.clients.elbv2.send(
    new CreateLoadBalancerCommand({
      Name: desired.name,
      Type: desired.type,
      Scheme: desired.scheme,
      IpAddressType: desired.ipAddressType,
      Subnets: known(desired.subnetIds, `the subnets of load balancer ${desired.name}`),
      SecurityGroups: known(desired.securityGroupIds, `the security groups of load balancer ${desired.name}`),
      Tags: toTagList(desired.tags),
    }),
  );
  const created = LoadBalancers?.[0];
  if (!created?.LoadBalancerArn) throw new Error(`load balancer ${desired.name}: CreateLoadBalancer answered without a load balancer`);
  const changes = attributeChanges(desired.attributes, diffAttributes(desired.attributes, DEFAULT_ATTRIBUTES));
  if (Object.keys(changes).length > 0) await modifyAttributes(ctx, created.LoadBalancerArn, changes);
  return normaliseLoadBalancer(created, { ...desired.tags }, desired.attributes);
}

async function updateLoadBalancer(
  desired: LoadBalancerDesired,
  observed: ObservedLoadBalancer,
  diffs: readonly FieldDiff[],
  ctx: Context,
): Promise<ObservedLoadBalancer> {
  refuseReplacementDiffs(`load balancer ${observed.name}`, diffs);
  const elbv2 = ctx.clients.elbv2;
  const LoadBalancerArn = observed.id;
  const changed = new Set(diffs.map((d) => d.path));
  const result: ObservedLoadBalancer = { ...observed };

  if (changed.has("subnets")) {
    const Subnets = known(desired.subnetIds, `the subnets of load balancer ${desired.name}`);
    await elbv2.send(new SetSubnetsCommand({ LoadBalancerArn, Subnets }));
    result.subnetIds = sortedSet(Subnets);
  }
  if (changed.has("securityGroups")) {
    const SecurityGroups = known(desired.securityGroupIds, `the security groups of load balancer ${desired.name}`);
    await elbv2.send(new SetSecurityGroupsCommand({ LoadBalancerArn, SecurityGroups }));
    result.securityGroupIds = sortedSet(SecurityGroups);
  }
  if (changed.has("ipAddressType")) {
    await elbv2.send(new SetIpAddressTypeCommand({ LoadBalancerArn, IpAddressType: desired.ipAddressType }));
    result.ipAddressType = desired.ipAddressType;
  }
  const attributes = attributeChanges(desired.attributes, diffs);
  if (Object.keys(attributes).length > 0) {
    await modifyAttributes(ctx, LoadBalancerArn, attributes);
    result.attributes = attributesAfter(observed.attributes, desired.attributes);
  }
  result.tags = await updateElbTags(ctx, LoadBalancerArn, observed.tags, desired.tags, diffs);
  return result;
}

async function deleteLoadBalancer(observed: ObservedLoadBalancer, ctx: Context): Promise<void> {
  if (observed.attributes.deletionProtection) {
    throw new Error(
      `load balancer ${observed.name} has deletion protection on, which guards against exactly this deletion: ` +
        "set `deletionProtection: false` in the spec and apply first (or turn it off in AWS), then delete again",
    );
  }
  try {
    await ctx.clients.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: observed.id }));
  } catch (error) {
    // AWS documents that deleting a load balancer already gone succeeds; a NotFound means the same.
    if (awsErrorIs(error, "LoadBalancerNotFound")) return;
    throw error;
  }
  // Until it is gone its network interfaces hold the security groups and subnets that may be deleted next.
  try {
    await waitUntilLoadBalancersDeleted(
      { client: ctx.clients.elbv2, maxWaitTime: DELETE_WAIT_SECONDS },
      { LoadBalancerArns: [observed.id] },
    );
  } catch (error) {
    throw new Error(
      `load balancer ${observed.name}: DeleteLoadBalancer was accepted, but waiting for it to be gone ` +
        `(waitUntilLoadBalancersDeleted, at most ${DELETE_WAIT_SECONDS / 60} minutes) failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function previewLoadBalancer(desired: LoadBalancerDesired): FieldDiff[] {
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

export const loadBalancersReconciler: LegacyReconciler<LoadBalancerDesired, ObservedLoadBalancer> = {
  kind: "loadBalancers",
  refersTo: ["network", "securityGroups"],
  looksUp: [],
  nodes: (spec) => Object.entries(spec.loadBalancers).map(([logical, entry]) => loadBalancerNode(spec, logical, entry)),
  observe: observeLoadBalancers,
  discover: discoverLoadBalancers,
  diff: diffLoadBalancer,
  create: createLoadBalancer,
  update: updateLoadBalancer,
  delete: deleteLoadBalancer,
  preview: previewLoadBalancer,
  outputs: (observed) => ({
    arn: observed.id,
    name: observed.name,
    dnsName: observed.dnsName,
    arnSuffix: arnSuffix(observed.id),
    canonicalHostedZoneId: observed.canonicalHostedZoneId,
  }),
  shownOutputs: ["dnsName"],
};
