/**
 * Target groups (ELBv2).
 *
 * Names and replacement. A target group's name is unique per account and region, and AWS cannot change its
 * port, protocol, protocol version, target type or VPC: changing one takes a new group, which must exist beside
 * the old one while the listeners that forward to it move over. So a group has two names: the spec's `name`
 * (explicit, such as `tgCurso107`, or the default `<stack>-<logical>`) and its generation name,
 * `generationName(name, immutables)` = `<name cut to 24 characters>-<first 7 hex of the sha256 of the canonical
 * JSON of {port, protocol, protocolVersion, targetType, vpcId}>`, at most 32 characters (a hyphen the cut ends
 * with is dropped: AWS refuses two in a row). `successor` names the new group `name` when the live one is called
 * anything else, else the generation name: generations alternate, and an explicitly named group keeps its exact
 * name whenever it can. The engine creates the successor, moves the listeners over, then deletes the old group
 * with the run's other deletions.
 *
 * observe looks for each node's candidates by name (`name`; the generation name only when no group of ours with
 * the desired immutables turned up already) and by the ownership tag `reconcile:id=targetGroups/<logical>`
 * (Tagging API, then DescribeTargetGroups by ARN), and picks: one of ours with the desired immutables, the one
 * named `name` first; else whatever is named `name` (the planner judges whose it is); else any of ours. Every
 * other group of the stack is found by `discover` and pruned by the engine as an older copy, so a crash
 * between creating a successor and deleting the old group is repaired by the next run.
 *
 * Only the health-check fields the spec sets are compared (AWS's defaults depend on protocol and target type);
 * the attributes the tool manages (deregistration delay, stickiness) are enforced, AWS's defaults included.
 */
import { createHash } from "node:crypto";
import {
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  type Matcher,
  type ProtocolEnum,
  type TargetGroup,
  type TargetTypeEnum,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { awsErrorIs, formatAwsError } from "../../../aws/errors.js";
import { KnownAfterApply, type FieldDiff } from "../../../plan/model.js";
import type { TargetGroupSpec } from "../../../schema/load-balancing.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, known, refuseReplacementDiffs, toTagList } from "../../shared/diff-helpers.js";
import { arnSuffix, attributeList, attributeMap, describeEach, describeElbTags, updateElbTags } from "../api.js";
import { findTaggedResources, resourcesOfType } from "../../shared/tagged-resources.js";
import {
  addressOf,
  ID_TAG,
  ownedTags,
  STACK_TAG,
  type Context,
  type DesiredNode,
  type Observed,
  type Outputs,
  type LegacyReconciler,
  type Tags,
} from "../../shared/types.js";

export type HealthCheckMatcher = { httpCode: string } | { grpcCode: string };

/** A health check in one form for both sides: AWS's units (the port as a string), the spec's names. */
export interface HealthCheck {
  enabled?: boolean;
  protocol?: string;
  /** `traffic-port` or a port number, written as AWS answers it: "8080". */
  port?: string;
  path?: string;
  healthyThreshold?: number;
  unhealthyThreshold?: number;
  timeoutSeconds?: number;
  intervalSeconds?: number;
  matcher?: HealthCheckMatcher;
}

export interface Stickiness {
  enabled: boolean;
  /** lb_cookie or app_cookie; AWS reports source_ip on a TCP group. */
  type: string;
  /** The cookie's lifetime for `type` (lb_cookie and app_cookie each have their own). */
  durationSeconds: number;
  /** app_cookie only. */
  cookieName?: string;
}

/** The attributes the tool manages, always all of them: left out of the spec, they are AWS's defaults. */
export interface TargetGroupAttributes {
  deregistrationDelaySeconds: number;
  stickiness: Stickiness;
}

/** What AWS cannot change in place. null: does not apply (port, protocol and VPC of a lambda group; protocolVersion off HTTP/HTTPS). */
export interface TargetGroupImmutables {
  port: number | null;
  protocol: string | null;
  protocolVersion: string | null;
  targetType: string;
  vpcId: string | KnownAfterApply | null;
}

export interface TargetGroupDesired extends TargetGroupImmutables {
  /** The spec's name (explicit or `<stack>-<logical>`): what the group is called whenever it can be. */
  name: string;
  /** `targetGroups/<logical>`, the value of the ownership tag observe looks for. */
  ownershipId: string;
  /** The name `create` gives the group when it is not `name`: set by `successor` for a replacement. */
  createAs?: string;
  /** Only the fields the spec sets. */
  healthCheck: HealthCheck;
  attributes: TargetGroupAttributes;
  tags: Tags;
}

export interface ObservedTargetGroup extends Observed, TargetGroupImmutables {
  vpcId: string | null;
  /** Every field AWS reports. */
  healthCheck: HealthCheck;
  /** AWS's attributes, key by key, as DescribeTargetGroupAttributes lists them (a missing key has AWS's default). */
  attributes: Record<string, string>;
  loadBalancerArns: string[];
}

const NOT_FOUND = "TargetGroupNotFound";

// ---------------------------------------------------------------------------------------------------------
// Normalisation: the spec's values and AWS's, into the forms above.

const HTTP_PROTOCOLS = new Set(["HTTP", "HTTPS"]);

/** AWS's protocol version: HTTP1 on an HTTP or HTTPS group that names none, nothing on any other protocol. */
export const normaliseProtocolVersion = (protocol: string | null, version: string | undefined): string | null =>
  version ?? (protocol !== null && HTTP_PROTOCOLS.has(protocol) ? "HTTP1" : null);

export function normaliseMatcher(matcher: NonNullable<NonNullable<TargetGroupSpec["healthCheck"]>["matcher"]>): HealthCheckMatcher {
  if (typeof matcher === "string") return { httpCode: matcher };
  return "httpCode" in matcher ? { httpCode: matcher.httpCode } : { grpcCode: matcher.grpcCode };
}

/** The spec's health check, only the fields it sets, in a fixed order. */
export function normaliseHealthCheck(spec: TargetGroupSpec["healthCheck"]): HealthCheck {
  if (!spec) return {};
  return {
    ...(spec.enabled !== undefined && { enabled: spec.enabled }),
    ...(spec.protocol !== undefined && { protocol: spec.protocol }),
    ...(spec.port !== undefined && { port: String(spec.port) }),
    ...(spec.path !== undefined && { path: spec.path }),
    ...(spec.healthyThreshold !== undefined && { healthyThreshold: spec.healthyThreshold }),
    ...(spec.unhealthyThreshold !== undefined && { unhealthyThreshold: spec.unhealthyThreshold }),
    ...(spec.timeoutSeconds !== undefined && { timeoutSeconds: spec.timeoutSeconds }),
    ...(spec.intervalSeconds !== undefined && { intervalSeconds: spec.intervalSeconds }),
    ...(spec.matcher !== undefined && { matcher: normaliseMatcher(spec.matcher) }),
  };
}

/** The health check AWS reports for a group. */
export function healthCheckOf(group: TargetGroup): HealthCheck {
  const matcher = group.Matcher?.HttpCode
    ? { httpCode: group.Matcher.HttpCode }
    : group.Matcher?.GrpcCode
      ? { grpcCode: group.Matcher.GrpcCode }
      : undefined;
  return {
    ...(group.HealthCheckEnabled !== undefined && { enabled: group.HealthCheckEnabled }),
    ...(group.HealthCheckProtocol !== undefined && { protocol: group.HealthCheckProtocol }),
    ...(group.HealthCheckPort !== undefined && { port: group.HealthCheckPort }),
    ...(group.HealthCheckPath !== undefined && { path: group.HealthCheckPath }),
    ...(group.HealthyThresholdCount !== undefined && { healthyThreshold: group.HealthyThresholdCount }),
    ...(group.UnhealthyThresholdCount !== undefined && { unhealthyThreshold: group.UnhealthyThresholdCount }),
    ...(group.HealthCheckTimeoutSeconds !== undefined && { timeoutSeconds: group.HealthCheckTimeoutSeconds }),
    ...(group.HealthCheckIntervalSeconds !== undefined && { intervalSeconds: group.HealthCheckIntervalSeconds }),
    ...(matcher && { matcher }),
  };
}

const DEREGISTRATION_DELAY = "deregistration_delay.timeout_seconds";
const STICKINESS_ENABLED = "stickiness.enabled";
const STICKINESS_TYPE = "stickiness.type";
const APP_COOKIE_NAME = "stickiness.app_cookie.cookie_name";
const durationKey = (type: string) => `stickiness.${type}.duration_seconds`;

/** AWS's documented defaults, which a key missing from DescribeTargetGroupAttributes' answer has. */
export const ATTRIBUTE_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  [DEREGISTRATION_DELAY]: "300",
  [STICKINESS_ENABLED]: "false",
  [STICKINESS_TYPE]: "lb_cookie",
  [durationKey("lb_cookie")]: "86400",
  [durationKey("app_cookie")]: "86400",
});
const DEFAULT_DURATION_SECONDS = 86400;

/** The spec's attributes, AWS's defaults for what it leaves out. */
export function desiredAttributes(entry: Pick<TargetGroupSpec, "deregistrationDelaySeconds" | "stickiness">): TargetGroupAttributes {
  const s = entry.stickiness;
  return {
    deregistrationDelaySeconds: entry.deregistrationDelaySeconds ?? Number(ATTRIBUTE_DEFAULTS[DEREGISTRATION_DELAY]),
    stickiness: s
      ? {
          enabled: s.enabled,
          type: s.type,
          durationSeconds: s.durationSeconds ?? DEFAULT_DURATION_SECONDS,
          ...(s.type === "app_cookie" && s.cookieName !== undefined && { cookieName: s.cookieName }),
        }
      : { enabled: false, type: "lb_cookie", durationSeconds: DEFAULT_DURATION_SECONDS },
  };
}

/**
 * AWS's attributes in the spec's form. The cookie duration is read for `stickinessType` (the desired type):
 * lb_cookie and app_cookie each keep their own, and the one that matters is the one the spec asks for.
 */
export function normaliseAttributes(aws: Readonly<Record<string, string>>, stickinessType: string): TargetGroupAttributes {
  const get = (key: string) => aws[key] ?? ATTRIBUTE_DEFAULTS[key];
  const cookieName = aws[APP_COOKIE_NAME];
  return {
    deregistrationDelaySeconds: Number(get(DEREGISTRATION_DELAY)),
    stickiness: {
      enabled: get(STICKINESS_ENABLED) === "true",
      type: get(STICKINESS_TYPE) ?? "lb_cookie",
      durationSeconds: Number(get(durationKey(stickinessType)) ?? DEFAULT_DURATION_SECONDS),
      ...(cookieName && { cookieName }),
    },
  };
}

/** A group as DescribeTargetGroups reports it, with its attributes and tags read separately. */
export function toObservedTargetGroup(group: TargetGroup, attributes: Record<string, string>, tags: Tags): ObservedTargetGroup {
  const protocol = group.Protocol ?? null;
  return {
    name: group.TargetGroupName!,
    id: group.TargetGroupArn!,
    tags,
    port: group.Port ?? null,
    protocol,
    protocolVersion: normaliseProtocolVersion(protocol, group.ProtocolVersion),
    targetType: group.TargetType ?? "instance",
    vpcId: group.VpcId ?? null,
    healthCheck: healthCheckOf(group),
    attributes,
    loadBalancerArns: group.LoadBalancerArns ?? [],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Names

type KnownImmutables = TargetGroupImmutables & { vpcId: string | null };

/** `<name cut to 24>-<7 hex of sha256 of the immutables' canonical JSON>`: at most 32 characters. */
export function generationName(name: string, immutables: KnownImmutables): string {
  // Keys in sorted order, so that the JSON (and the name) depends only on the values.
  const { port, protocol, protocolVersion, targetType, vpcId } = immutables;
  const canonical = JSON.stringify({ port, protocol, protocolVersion, targetType, vpcId });
  const hash = createHash("sha256").update(canonical).digest("hex").slice(0, 7);
  // AWS refuses two hyphens in a row in a target group name, so a cut that ends in one loses it.
  return `${name.slice(0, 24).replace(/-+$/, "")}-${hash}`;
}

const knownImmutables = (d: TargetGroupImmutables): KnownImmutables | undefined =>
  d.vpcId instanceof KnownAfterApply ? undefined : { ...d, vpcId: d.vpcId };

/** The desired group's generation name; undefined while its VPC is not known (no group can be in it yet). */
export function generationNameOf(desired: TargetGroupDesired): string | undefined {
  const immutables = knownImmutables(desired);
  return immutables && generationName(desired.name, immutables);
}

const IMMUTABLE_FIELDS = ["port", "protocol", "protocolVersion", "targetType", "vpcId"] as const;

const sameImmutables = (desired: TargetGroupImmutables, live: TargetGroupImmutables) =>
  IMMUTABLE_FIELDS.every((field) => desired[field] === live[field]);

/** The new group of a replacement: named `name` unless the live one is, then the generation name. */
export function successorOf(desired: TargetGroupDesired, observed: ObservedTargetGroup): { desired: TargetGroupDesired; name: string } {
  const immutables = { ...desired, vpcId: known(desired.vpcId, `the VPC of target group ${desired.name}`) };
  const name = observed.name === desired.name ? generationName(desired.name, immutables) : desired.name;
  return { desired: { ...desired, createAs: name }, name };
}

const isOurs = (tags: Tags, desired: TargetGroupDesired, stack: string) =>
  tags[STACK_TAG] === stack && tags[ID_TAG] === desired.ownershipId;

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/**
 * The live group a node is, among the candidates found by name and by tag: ours with the desired immutables
 * (the one named `name` first); else the one named `name`, whoever owns it; else any of ours.
 */
export function pickTargetGroup(
  desired: TargetGroupDesired,
  candidates: readonly ObservedTargetGroup[],
  stack: string,
): ObservedTargetGroup | undefined {
  const ours = candidates.filter((g) => isOurs(g.tags, desired, stack)).sort(byName);
  const current = ours.filter((g) => sameImmutables(desired, g));
  return current.find((g) => g.name === desired.name) ?? current[0] ?? candidates.find((g) => g.name === desired.name) ?? ours[0];
}

// ---------------------------------------------------------------------------------------------------------
// Diff

/** `name` changes only when the live group is neither `name` nor its generation name: the spec renamed it. */
function diffName(desired: TargetGroupDesired, observed: ObservedTargetGroup): FieldDiff[] {
  if (observed.name === desired.name || observed.name === generationNameOf(desired)) return [];
  return [{ path: "name", before: observed.name, after: desired.name, forcesReplacement: true }];
}

const HEALTH_CHECK_FIELDS = [
  "enabled",
  "protocol",
  "port",
  "path",
  "healthyThreshold",
  "unhealthyThreshold",
  "timeoutSeconds",
  "intervalSeconds",
  "matcher",
] as const satisfies ReadonlyArray<keyof HealthCheck>;

/** Only the fields the spec sets; the matcher by its kind of code (`healthCheck.matcher.httpCode`). */
function diffHealthCheck(desired: HealthCheck, observed: HealthCheck): FieldDiff[] {
  return HEALTH_CHECK_FIELDS.flatMap((field) => {
    if (desired[field] === undefined) return [];
    if (field === "matcher") {
      const [[kind, code]] = Object.entries(desired.matcher!) as [[string, string]];
      return diffField(`healthCheck.matcher.${kind}`, (observed.matcher as Record<string, string> | undefined)?.[kind], code);
    }
    return diffField(`healthCheck.${field}`, observed[field], desired[field]);
  });
}

/** Every managed attribute; the cookie's type and duration only while stickiness is on at least on one side. */
function diffAttributes(desired: TargetGroupAttributes, aws: Readonly<Record<string, string>>): FieldDiff[] {
  const live = normaliseAttributes(aws, desired.stickiness.type);
  const diffs = [
    ...diffField("attributes.deregistrationDelaySeconds", live.deregistrationDelaySeconds, desired.deregistrationDelaySeconds),
    ...diffField("attributes.stickiness.enabled", live.stickiness.enabled, desired.stickiness.enabled),
  ];
  if (!live.stickiness.enabled && !desired.stickiness.enabled) return diffs;
  return [
    ...diffs,
    ...diffField("attributes.stickiness.type", live.stickiness.type, desired.stickiness.type),
    ...diffField("attributes.stickiness.durationSeconds", live.stickiness.durationSeconds, desired.stickiness.durationSeconds),
    ...(desired.stickiness.type === "app_cookie"
      ? diffField("attributes.stickiness.cookieName", live.stickiness.cookieName, desired.stickiness.cookieName)
      : []),
  ];
}

export function diffTargetGroup(desired: TargetGroupDesired, observed: ObservedTargetGroup): FieldDiff[] {
  return [
    ...diffName(desired, observed),
    ...IMMUTABLE_FIELDS.flatMap((field) => diffField(field, observed[field], desired[field], { forcesReplacement: true })),
    ...diffHealthCheck(desired.healthCheck, observed.healthCheck),
    ...diffAttributes(desired.attributes, observed.attributes),
    ...diffTags(desired.tags, observed.tags),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Writes

function healthCheckInput(hc: HealthCheck) {
  const matcher: Matcher | undefined =
    hc.matcher && ("httpCode" in hc.matcher ? { HttpCode: hc.matcher.httpCode } : { GrpcCode: hc.matcher.grpcCode });
  return {
    ...(hc.enabled !== undefined && { HealthCheckEnabled: hc.enabled }),
    ...(hc.protocol !== undefined && { HealthCheckProtocol: hc.protocol as ProtocolEnum }),
    ...(hc.port !== undefined && { HealthCheckPort: hc.port }),
    ...(hc.path !== undefined && { HealthCheckPath: hc.path }),
    ...(hc.healthyThreshold !== undefined && { HealthyThresholdCount: hc.healthyThreshold }),
    ...(hc.unhealthyThreshold !== undefined && { UnhealthyThresholdCount: hc.unhealthyThreshold }),
    ...(hc.timeoutSeconds !== undefined && { HealthCheckTimeoutSeconds: hc.timeoutSeconds }),
    ...(hc.intervalSeconds !== undefined && { HealthCheckIntervalSeconds: hc.intervalSeconds }),
    ...(matcher && { Matcher: matcher }),
  };
}

/** The health-check fields of `desired` that the diffs change. */
function changedHealthCheck(desired: HealthCheck, diffs: readonly FieldDiff[]): HealthCheck {
  const fields = new Set(diffs.filter((d) => d.path.startsWith("healthCheck.")).map((d) => d.path.split(".")[1]));
  return Object.fromEntries(Object.entries(desired).filter(([field]) => fields.has(field)));
}

/**
 * The AWS attributes to write for the attribute lines of a diff, each only when changed. A new app_cookie
 * type takes its cookie name along: moto refuses the type without the name in the same call, and on AWS the
 * two belong together anyway.
 */
export function attributeWrites(desired: TargetGroupAttributes, diffs: readonly FieldDiff[]): Record<string, string> {
  const changed = new Set(diffs.map((d) => d.path));
  const s = desired.stickiness;
  const writes: Record<string, string> = {};
  if (changed.has("attributes.deregistrationDelaySeconds")) writes[DEREGISTRATION_DELAY] = String(desired.deregistrationDelaySeconds);
  if (changed.has("attributes.stickiness.enabled")) writes[STICKINESS_ENABLED] = String(s.enabled);
  if (changed.has("attributes.stickiness.type")) writes[STICKINESS_TYPE] = s.type;
  if (changed.has("attributes.stickiness.durationSeconds")) writes[durationKey(s.type)] = String(s.durationSeconds);
  const newAppCookie = changed.has("attributes.stickiness.type") && s.type === "app_cookie";
  if (s.cookieName !== undefined && (changed.has("attributes.stickiness.cookieName") || newAppCookie))
    writes[APP_COOKIE_NAME] = s.cookieName;
  return writes;
}

async function writeAttributes(ctx: Context, arn: string, writes: Record<string, string>): Promise<void> {
  if (Object.keys(writes).length === 0) return;
  await ctx.clients.elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: attributeList(writes) }));
}

/** One CreateTargetGroup with the tags; one ModifyTargetGroupAttributes only when an attribute is not AWS's default. */
async function createTargetGroup(desired: TargetGroupDesired, ctx: Context): Promise<ObservedTargetGroup> {
  const name = desired.createAs ?? desired.name;
  const vpcId = desired.vpcId === null ? null : known(desired.vpcId, `the VPC of target group ${name}`);
  const { TargetGroups } = await ctx.clients.elbv2.send(
    new CreateTargetGroupCommand({
      Name: name,
      TargetType: desired.targetType as TargetTypeEnum,
      ...(desired.protocol !== null && { Protocol: desired.protocol as ProtocolEnum }),
      ...(desired.protocolVersion !== null && { ProtocolVersion: desired.protocolVersion }),
      ...(desired.port !== null && { Port: desired.port }),
      ...(vpcId !== null && { VpcId: vpcId }),
      ...healthCheckInput(desired.healthCheck),
      Tags: toTagList(desired.tags),
    }),
  );
  const group = TargetGroups?.[0];
  if (!group?.TargetGroupArn) throw new Error(`target group ${name}: CreateTargetGroup answered without the group`);
  // A new group has AWS's defaults: only what differs from them is written.
  const writes = attributeWrites(desired.attributes, diffAttributes(desired.attributes, {}));
  await writeAttributes(ctx, group.TargetGroupArn, writes);
  return toObservedTargetGroup(group, writes, { ...desired.tags });
}

/** One ModifyTargetGroup for every changed health-check field, one ModifyTargetGroupAttributes for every changed attribute, then the tags. */
async function updateTargetGroup(
  desired: TargetGroupDesired,
  observed: ObservedTargetGroup,
  diffs: readonly FieldDiff[],
  ctx: Context,
): Promise<ObservedTargetGroup> {
  refuseReplacementDiffs(`target group ${observed.name}`, diffs);

  const healthCheck = changedHealthCheck(desired.healthCheck, diffs);
  if (Object.keys(healthCheck).length > 0) {
    await ctx.clients.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: observed.id, ...healthCheckInput(healthCheck) }));
  }
  const writes = attributeWrites(desired.attributes, diffs);
  await writeAttributes(ctx, observed.id, writes);
  const tags = await updateElbTags(ctx, observed.id, observed.tags, desired.tags, diffs);
  return {
    ...observed,
    healthCheck: { ...observed.healthCheck, ...healthCheck },
    attributes: { ...observed.attributes, ...writes },
    tags,
  };
}

/** Gone already is success. A group a listener or rule still forwards to cannot go (after the AWS layer's retries). */
async function deleteTargetGroup(observed: ObservedTargetGroup, ctx: Context): Promise<void> {
  try {
    await ctx.clients.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: observed.id }));
  } catch (error) {
    if (awsErrorIs(error, NOT_FOUND)) return;
    if (awsErrorIs(error, "ResourceInUse")) {
      const message = `target group ${observed.name} is still used by a listener or rule, so it cannot be deleted: ${formatAwsError(error)}`;
      throw new Error(message, { cause: error });
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reads

const describeByNames = (ctx: Context, names: readonly string[]) =>
  describeEach(
    names,
    NOT_FOUND,
    async (batch) => (await ctx.clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: batch }))).TargetGroups ?? [],
  );

const describeByArns = (ctx: Context, arns: readonly string[]) =>
  describeEach(
    arns,
    NOT_FOUND,
    async (batch) => (await ctx.clients.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: batch }))).TargetGroups ?? [],
  );

/** The target groups the Tagging API lists as the stack's (possibly one deleted a moment ago). */
async function stackTargetGroups(ctx: Context) {
  return resourcesOfType(await findTaggedResources(ctx), "elasticloadbalancing", "targetgroup");
}

/** The group's attributes; undefined when it was deleted since it was described. */
async function readAttributes(ctx: Context, arn: string): Promise<Record<string, string> | undefined> {
  try {
    const { Attributes } = await ctx.clients.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }));
    return attributeMap(Attributes);
  } catch (error) {
    if (awsErrorIs(error, NOT_FOUND)) return undefined;
    throw error;
  }
}

/** Described groups with their attributes (one call each); those deleted since are left out. */
async function withDetails(ctx: Context, groups: readonly ObservedTargetGroup[]): Promise<ObservedTargetGroup[]> {
  const complete = await Promise.all(
    groups.map(async (group) => {
      const attributes = await readAttributes(ctx, group.id);
      return attributes && { ...group, attributes };
    }),
  );
  return complete.filter((g): g is ObservedTargetGroup => g !== undefined);
}

/**
 * Every group that may be one of the nodes': named `name`, tagged with a node's ownership id, or named the
 * generation name, each with its tags read afresh (the Tagging API may lag behind, so ownership is judged on
 * DescribeTags).
 */
async function findCandidates(desired: readonly TargetGroupDesired[], ctx: Context): Promise<ObservedTargetGroup[]> {
  const names = desired.map((d) => d.name);
  const [tagged, named] = await Promise.all([stackTargetGroups(ctx), describeByNames(ctx, names)]);
  const found = new Map(named.map((g) => [g.TargetGroupArn!, g]));
  const ids = new Set(desired.map((d) => d.ownershipId));
  const ownedArns = tagged.filter((r) => ids.has(r.tags[ID_TAG] ?? "") && !found.has(r.arn)).map((r) => r.arn);
  for (const g of await describeByArns(ctx, ownedArns)) found.set(g.TargetGroupArn!, g);

  // The generation name is only looked up for a node with no group of ours with the desired immutables among
  // those found so far (as the Tagging API tags them): then it may be a successor the Tagging API does not
  // list yet. Every other run saves the call, which would fail as not found.
  const taggedAs = new Map(tagged.map((r) => [r.arn, r.tags]));
  const settled = (value: TargetGroupDesired) =>
    [...found.values()].some(
      (g) => isOurs(taggedAs.get(g.TargetGroupArn!) ?? {}, value, ctx.stack) && sameImmutables(value, toObservedTargetGroup(g, {}, {})),
    );
  const generations = desired.flatMap((value) => (settled(value) ? [] : [generationNameOf(value)].filter((n) => n !== undefined)));
  for (const g of await describeByNames(ctx, generations)) found.set(g.TargetGroupArn!, g);

  const tags = await describeElbTags(ctx, [...found.keys()]);
  return [...found.values()].map((g) => toObservedTargetGroup(g, {}, tags.get(g.TargetGroupArn!) ?? {}));
}

async function observeTargetGroups(
  desired: ReadonlyArray<{ address: string; value: TargetGroupDesired }>,
  ctx: Context,
): Promise<Map<string, ObservedTargetGroup>> {
  if (desired.length === 0) return new Map();
  const values = desired.map((d) => d.value);
  const candidates = await findCandidates(values, ctx);
  const picked = desired.flatMap(({ address, value }) => {
    const group = pickTargetGroup(value, candidates, ctx.stack);
    return group ? [{ address, group }] : [];
  });
  // Attributes only for the picked groups; one deleted since it was described is left out.
  const groups = picked.map((p) => p.group);
  const complete = new Map((await withDetails(ctx, groups)).map((g) => [g.id, g]));
  return new Map(picked.flatMap(({ address, group }) => (complete.has(group.id) ? [[address, complete.get(group.id)!] as const] : [])));
}

/** Every group the Tagging API lists as the stack's, not in `known`, confirmed live and still the stack's. */
async function discoverTargetGroups(ctx: Context, knownIds: ReadonlySet<string>): Promise<ObservedTargetGroup[]> {
  const arns = (await stackTargetGroups(ctx)).map((r) => r.arn).filter((arn) => !knownIds.has(arn));
  const groups = await describeByArns(ctx, arns);
  if (groups.length === 0) return [];
  const arnsFound = groups.map((g) => g.TargetGroupArn!);
  const tags = await describeElbTags(ctx, arnsFound);
  const owned = groups
    .map((g) => toObservedTargetGroup(g, {}, tags.get(g.TargetGroupArn!) ?? {}))
    .filter((g) => g.tags[STACK_TAG] === ctx.stack);
  return (await withDetails(ctx, owned)).sort(byName);
}

// ---------------------------------------------------------------------------------------------------------
// Nodes and preview

export function desiredTargetGroup(
  spec: Spec,
  logical: string,
  entry: TargetGroupSpec,
  vpcId: string | KnownAfterApply,
): TargetGroupDesired {
  // A lambda group has no port, protocol or VPC: AWS refuses them.
  const lambda = entry.targetType === "lambda";
  const protocol = lambda ? null : entry.protocol;
  return {
    name: physicalName(spec, "targetGroups", logical),
    ownershipId: `targetGroups/${logical}`,
    port: lambda ? null : entry.port,
    protocol,
    protocolVersion: lambda ? null : normaliseProtocolVersion(protocol, entry.protocolVersion),
    targetType: entry.targetType,
    vpcId: lambda ? null : vpcId,
    healthCheck: normaliseHealthCheck(entry.healthCheck),
    attributes: desiredAttributes(entry),
    tags: ownedTags(spec, "targetGroups", logical, entry.tags),
  };
}

function targetGroupNode(spec: Spec, logical: string, entry: TargetGroupSpec): DesiredNode<TargetGroupDesired> {
  return {
    kind: "targetGroups",
    logical,
    address: addressOf("targetGroups", logical),
    name: physicalName(spec, "targetGroups", logical),
    dependsOn: ["network"],
    adopt: entry.adopt ?? false,
    readOnly: false,
    build: (outputs: Outputs) => desiredTargetGroup(spec, logical, entry, outputs.string("network", "vpcId")),
  };
}

export function previewTargetGroup(desired: TargetGroupDesired): FieldDiff[] {
  const { stickiness } = desired.attributes;
  const lines: Array<[string, unknown]> = [
    ["name", desired.createAs ?? desired.name],
    ...IMMUTABLE_FIELDS.map((field): [string, unknown] => [field, desired[field]]),
    ...HEALTH_CHECK_FIELDS.flatMap((field): Array<[string, unknown]> =>
      field === "matcher"
        ? Object.entries(desired.healthCheck.matcher ?? {}).map(([kind, code]) => [`healthCheck.matcher.${kind}`, code])
        : [[`healthCheck.${field}`, desired.healthCheck[field]]],
    ),
    ["attributes.deregistrationDelaySeconds", desired.attributes.deregistrationDelaySeconds],
    ["attributes.stickiness.enabled", stickiness.enabled],
    ...(stickiness.enabled
      ? ([
          ["attributes.stickiness.type", stickiness.type],
          ["attributes.stickiness.durationSeconds", stickiness.durationSeconds],
          ["attributes.stickiness.cookieName", stickiness.cookieName],
        ] as Array<[string, unknown]>)
      : []),
    ...Object.entries(desired.tags).map(([key, value]): [string, unknown] => [`tags.${key}`, value]),
  ];
  return lines.filter(([, after]) => after !== undefined && after !== null).map(([path, after]) => ({ path, after }));
}

/** Target groups: replaced beside the old group under an alternating name (see the header). */
export const targetGroupsReconciler: LegacyReconciler<TargetGroupDesired, ObservedTargetGroup> = {
  kind: "targetGroups",
  refersTo: ["network"],
  looksUp: ["network"],
  nodes: (spec) => Object.entries(spec.targetGroups).map(([logical, entry]) => targetGroupNode(spec, logical, entry)),
  observe: observeTargetGroups,
  discover: discoverTargetGroups,
  diff: diffTargetGroup,
  create: createTargetGroup,
  update: updateTargetGroup,
  delete: deleteTargetGroup,
  preview: previewTargetGroup,
  outputs: (observed) => ({ arn: observed.id, name: observed.name, arnSuffix: arnSuffix(observed.id) }),
  successor: successorOf,
};
