/**
 * Target groups, the pure part: the desired and observed forms, names and the pick among candidates, the diff
 * with its typed change, and the preview. How observe finds a group and why it has two names: see index.ts.
 */
import type { Matcher, ModifyTargetGroupCommandInput, ProtocolEnum, TargetGroup } from "@aws-sdk/client-elastic-load-balancing-v2";
import { KnownAfterApply, type FieldDiff } from "../../../plan/model.js";
import type { TargetGroupSpec } from "../../../schema/load-balancing.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, known, tagChange, type TagChange } from "../../diff-helpers.js";
import { fingerprint } from "../../fingerprint.js";
import {
  desiredNode,
  ID_TAG,
  ownedTags,
  STACK_TAG,
  type DesiredNode,
  type Diff,
  type Observed,
  type Outputs,
  type Tags,
} from "../../contract.js";

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

/** ModifyTargetGroup's input but the ARN: the health-check fields, in AWS's names. */
export type HealthCheckInput = Omit<ModifyTargetGroupCommandInput, "TargetGroupArn">;

/** What update does to a group; an empty part makes no call. */
export interface TargetGroupChange {
  /** The health-check fields that changed, at their desired values; undefined: no ModifyTargetGroup. */
  healthCheck?: HealthCheckInput;
  /** The ModifyTargetGroupAttributes keys that changed, with their desired values. */
  attributes: Record<string, string>;
  tags: TagChange;
}

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

/** The health check AWS reports for a group (or a ModifyTargetGroup input sets: the same fields). */
export function healthCheckOf(group: HealthCheckInput): HealthCheck {
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
  const { port, protocol, protocolVersion, targetType, vpcId } = immutables;
  const hash = fingerprint({ port, protocol, protocolVersion, targetType, vpcId }, 7);
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

export const sameImmutables = (desired: TargetGroupImmutables, live: TargetGroupImmutables) =>
  IMMUTABLE_FIELDS.every((field) => desired[field] === live[field]);

/** The new group of a replacement: named `name` unless the live one is, then the generation name. */
export function successorOf(desired: TargetGroupDesired, observed: ObservedTargetGroup): { desired: TargetGroupDesired; name: string } {
  const immutables = { ...desired, vpcId: known(desired.vpcId, `the VPC of target group ${desired.name}`) };
  const name = observed.name === desired.name ? generationName(desired.name, immutables) : desired.name;
  return { desired: { ...desired, createAs: name }, name };
}

export const isOurs = (tags: Tags, desired: TargetGroupDesired, stack: string) =>
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

/** A field the spec sets; the matcher by its kind of code (`healthCheck.matcher.httpCode`). */
function diffHealthCheckField(field: keyof HealthCheck, desired: HealthCheck, observed: HealthCheck): FieldDiff[] {
  if (desired[field] === undefined) return [];
  if (field === "matcher") {
    const [[kind, code]] = Object.entries(desired.matcher!) as [[string, string]];
    return diffField(`healthCheck.matcher.${kind}`, (observed.matcher as Record<string, string> | undefined)?.[kind], code);
  }
  return diffField(`healthCheck.${field}`, observed[field], desired[field]);
}

/** Only the fields the spec sets; `changed` holds those that differ, at their desired values. */
function diffHealthCheck(desired: HealthCheck, observed: HealthCheck): { lines: FieldDiff[]; changed: HealthCheck } {
  const byField = HEALTH_CHECK_FIELDS.map((field) => [field, diffHealthCheckField(field, desired, observed)] as const);
  return {
    lines: byField.flatMap(([, lines]) => lines),
    changed: Object.fromEntries(byField.filter(([, lines]) => lines.length > 0).map(([field]) => [field, desired[field]])),
  };
}

/**
 * Every managed attribute; the cookie's type and duration only while stickiness is on at least on one side.
 * `writes` are the AWS attributes to write for those lines. A new app_cookie type takes its cookie name along:
 * moto refuses the type without the name in the same call, and on AWS the two belong together anyway.
 */
export function diffAttributes(
  desired: TargetGroupAttributes,
  aws: Readonly<Record<string, string>>,
): { lines: FieldDiff[]; writes: Record<string, string> } {
  const live = normaliseAttributes(aws, desired.stickiness.type);
  const s = desired.stickiness;
  const lines: FieldDiff[] = [];
  const writes: Record<string, string> = {};
  /** One attribute's line; when there is one, the write of `value` to `key` (none for a value the spec leaves out). */
  const compare = (path: string, before: unknown, after: unknown, key: string, value: string | undefined): boolean => {
    const line = diffField(`attributes.${path}`, before, after);
    lines.push(...line);
    if (line.length > 0 && value !== undefined) writes[key] = value;
    return line.length > 0;
  };
  compare(
    "deregistrationDelaySeconds",
    live.deregistrationDelaySeconds,
    desired.deregistrationDelaySeconds,
    DEREGISTRATION_DELAY,
    String(desired.deregistrationDelaySeconds),
  );
  compare("stickiness.enabled", live.stickiness.enabled, s.enabled, STICKINESS_ENABLED, String(s.enabled));
  if (!live.stickiness.enabled && !s.enabled) return { lines, writes };
  const newType = compare("stickiness.type", live.stickiness.type, s.type, STICKINESS_TYPE, s.type);
  compare("stickiness.durationSeconds", live.stickiness.durationSeconds, s.durationSeconds, durationKey(s.type), String(s.durationSeconds));
  if (s.type === "app_cookie") compare("stickiness.cookieName", live.stickiness.cookieName, s.cookieName, APP_COOKIE_NAME, s.cookieName);
  if (newType && s.type === "app_cookie" && s.cookieName !== undefined) writes[APP_COOKIE_NAME] = s.cookieName;
  return { lines, writes };
}

export function diffTargetGroup(desired: TargetGroupDesired, observed: ObservedTargetGroup): Diff<TargetGroupChange> {
  const healthCheck = diffHealthCheck(desired.healthCheck, observed.healthCheck);
  const attributes = diffAttributes(desired.attributes, observed.attributes);
  return {
    lines: [
      ...diffName(desired, observed),
      ...IMMUTABLE_FIELDS.flatMap((field) => diffField(field, observed[field], desired[field], { forcesReplacement: true })),
      ...healthCheck.lines,
      ...attributes.lines,
      ...diffTags(desired.tags, observed.tags),
    ],
    change: {
      ...(Object.keys(healthCheck.changed).length > 0 && { healthCheck: healthCheckInput(healthCheck.changed) }),
      attributes: attributes.writes,
      tags: tagChange(desired.tags, observed.tags),
    },
  };
}

/** The fields of a health check in CreateTargetGroup's and ModifyTargetGroup's names. */
export function healthCheckInput(hc: HealthCheck): HealthCheckInput {
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
  return desiredNode({
    kind: "targetGroups",
    logical,
    name: physicalName(spec, "targetGroups", logical),
    dependsOn: ["network"],
    adopt: entry.adopt ?? false,
    build: (outputs: Outputs) => desiredTargetGroup(spec, logical, entry, outputs.string("network", "vpcId")),
  });
}

export const targetGroupNodes = (spec: Spec): DesiredNode<TargetGroupDesired>[] =>
  Object.entries(spec.targetGroups).map(([logical, entry]) => targetGroupNode(spec, logical, entry));

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
