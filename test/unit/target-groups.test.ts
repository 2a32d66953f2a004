import { readFileSync } from "node:fs";
import type { TargetGroup, TargetGroupAttribute } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import { UNKNOWN, type FieldDiff } from "../../src/plan/model.js";
import { attributeMap } from "../../src/reconcilers/elb/model.js";
import { targetGroupsReconciler } from "../../src/reconcilers/elb/target-groups/index.js";
import {
  desiredAttributes,
  desiredTargetGroup,
  diffAttributes,
  diffTargetGroup,
  generationName,
  normaliseAttributes,
  normaliseHealthCheck,
  pickTargetGroup,
  successorOf,
  toObservedTargetGroup,
  type ObservedTargetGroup,
  type TargetGroupChange,
  type TargetGroupDesired,
} from "../../src/reconcilers/elb/target-groups/model.js";
import type { Outputs } from "../../src/reconcilers/contract.js";
import { REFERENCE_INPUT } from "../support/specs.js";
import { ELB_NAME } from "../../src/schema/load-balancing.js";
import { specSchema, type Spec, type SpecInput } from "../../src/schema/index.js";

const VPC = "vpc-0123456789abcdef0";
const OTHER_VPC = "vpc-0fedcba9876543210";
const ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tgCurso107/0123456789abcdef";
const OWNERSHIP = { "reconcile:stack": "microblog", "reconcile:id": "targetGroups/web" };

type TargetGroupInput = NonNullable<SpecInput["targetGroups"]>[string];

/** examples/microblog.yaml's `tgCurso107`. */
const REFERENCE: TargetGroupInput = REFERENCE_INPUT.targetGroups!.web!;

function specOf(targetGroups: Record<string, TargetGroupInput>, stack = "microblog"): Spec {
  return specSchema.parse({
    stack,
    region: "us-east-1",
    tags: { project: "curso107" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    targetGroups,
  });
}

function desiredOf(entry: TargetGroupInput, vpcId: string | typeof UNKNOWN = VPC, stack = "microblog"): TargetGroupDesired {
  const spec = specOf({ web: entry }, stack);
  return desiredTargetGroup(spec, "web", spec.targetGroups.web!, vpcId);
}

/** The reference group as AWS reports it once created. */
const ECHO: ObservedTargetGroup = {
  name: "tgCurso107",
  id: ARN,
  tags: { project: "curso107", ...OWNERSHIP },
  port: 8080,
  protocol: "HTTP",
  protocolVersion: "HTTP1",
  targetType: "ip",
  vpcId: VPC,
  healthCheck: {
    enabled: true,
    protocol: "HTTP",
    port: "traffic-port",
    path: "/",
    healthyThreshold: 5,
    unhealthyThreshold: 2,
    timeoutSeconds: 5,
    intervalSeconds: 15,
    matcher: { httpCode: "200-299" },
  },
  attributes: {
    "deregistration_delay.timeout_seconds": "300",
    "stickiness.enabled": "false",
    "stickiness.type": "lb_cookie",
    "stickiness.lb_cookie.duration_seconds": "86400",
    "stickiness.app_cookie.cookie_name": "",
    "stickiness.app_cookie.duration_seconds": "86400",
    "slow_start.duration_seconds": "0",
    "load_balancing.algorithm.type": "round_robin",
  },
  loadBalancerArns: [],
};

const REFERENCE_IMMUTABLES = { port: 8080, protocol: "HTTP", protocolVersion: "HTTP1", targetType: "ip", vpcId: VPC };
const REFERENCE_GENERATION = generationName("tgCurso107", REFERENCE_IMMUTABLES);
const forced = (path: string, before: unknown, after: unknown): FieldDiff => ({ path, before, after, forcesReplacement: true });

describe("target group diff", () => {
  it.each<{
    why: string;
    spec?: Partial<TargetGroupInput>;
    vpcId?: string | typeof UNKNOWN;
    observed?: Partial<ObservedTargetGroup>;
    diffs: FieldDiff[];
  }>([
    { why: "the reference group and AWS's echo of it are the same", diffs: [] },
    {
      why: "protocolVersion left out of an HTTP group is HTTP1, which AWS echoes",
      spec: { protocolVersion: undefined },
      diffs: [],
    },
    { why: "a new port forces a replacement", spec: { port: 9090 }, diffs: [forced("port", 8080, 9090)] },
    { why: "a new protocol forces a replacement", spec: { protocol: "HTTPS" }, diffs: [forced("protocol", "HTTP", "HTTPS")] },
    {
      why: "a new protocol version forces a replacement",
      spec: { protocolVersion: "HTTP2" },
      diffs: [forced("protocolVersion", "HTTP1", "HTTP2")],
    },
    { why: "a new target type forces a replacement", spec: { targetType: "instance" }, diffs: [forced("targetType", "ip", "instance")] },
    { why: "another VPC forces a replacement", vpcId: OTHER_VPC, diffs: [forced("vpcId", VPC, OTHER_VPC)] },
    {
      why: "a VPC still to be created is a replacement whose VPC is known after apply",
      vpcId: UNKNOWN,
      diffs: [forced("vpcId", VPC, UNKNOWN)],
    },
    {
      why: "a health-check field the spec changes is an in-place change",
      spec: { healthCheck: { ...REFERENCE.healthCheck, intervalSeconds: 30 } },
      diffs: [{ path: "healthCheck.intervalSeconds", before: 15, after: 30 }],
    },
    {
      why: "health-check fields the spec leaves out are not drift, whatever AWS says",
      spec: { healthCheck: { path: "/" } },
      observed: { healthCheck: { ...ECHO.healthCheck, intervalSeconds: 30, timeoutSeconds: 10, matcher: { httpCode: "200" } } },
      diffs: [],
    },
    {
      why: "no health check in the spec at all is no drift either",
      spec: { healthCheck: undefined },
      observed: { healthCheck: { enabled: false, protocol: "HTTPS", port: "443", path: "/ping" } },
      diffs: [],
    },
    {
      why: "the matcher `200-299` is AWS's {HttpCode: 200-299}; another code is a change of the HTTP code",
      observed: { healthCheck: { ...ECHO.healthCheck, matcher: { httpCode: "200" } } },
      diffs: [{ path: "healthCheck.matcher.httpCode", before: "200", after: "200-299" }],
    },
    {
      why: "the matcher's object form is the same as its string form",
      spec: { healthCheck: { ...REFERENCE.healthCheck, matcher: { httpCode: "200-299" } } },
      diffs: [],
    },
    {
      why: "a gRPC matcher on a group that checks HTTP codes",
      spec: { healthCheck: { matcher: { grpcCode: "12" } } },
      diffs: [{ path: "healthCheck.matcher.grpcCode", after: "12" }],
    },
    {
      why: "a health-check port number is AWS's string",
      spec: { healthCheck: { port: 8080 } },
      observed: { healthCheck: { ...ECHO.healthCheck, port: "8080" } },
      diffs: [],
    },
    {
      why: "a health-check port number where AWS checks the traffic port",
      spec: { healthCheck: { port: 8081 } },
      diffs: [{ path: "healthCheck.port", before: "traffic-port", after: "8081" }],
    },
    {
      why: "a deregistration delay changed out of band is set back to AWS's default, which the tool enforces",
      observed: { attributes: { ...ECHO.attributes, "deregistration_delay.timeout_seconds": "30" } },
      diffs: [{ path: "attributes.deregistrationDelaySeconds", before: 30, after: 300 }],
    },
    { why: "attributes missing from AWS's answer have AWS's defaults", observed: { attributes: {} }, diffs: [] },
    {
      why: "the spec's deregistration delay",
      spec: { deregistrationDelaySeconds: 60 },
      diffs: [{ path: "attributes.deregistrationDelaySeconds", before: 300, after: 60 }],
    },
    {
      why: "stickiness turned on reads as one line, the cookie's defaults being AWS's own",
      spec: { stickiness: {} },
      diffs: [{ path: "attributes.stickiness.enabled", before: false, after: true }],
    },
    {
      why: "while stickiness is off on both sides, its type and duration are not drift",
      observed: {
        attributes: { "stickiness.enabled": "false", "stickiness.type": "app_cookie", "stickiness.lb_cookie.duration_seconds": "60" },
      },
      diffs: [],
    },
    {
      why: "stickiness left out of the spec is turned off, and the cookie's settings go back to AWS's defaults",
      observed: { attributes: { "stickiness.enabled": "true", "stickiness.lb_cookie.duration_seconds": "3600" } },
      diffs: [
        { path: "attributes.stickiness.enabled", before: true, after: false },
        { path: "attributes.stickiness.durationSeconds", before: 3600, after: 86400 },
      ],
    },
    {
      why: "an application cookie: type and cookie name (its duration is the app cookie's, AWS's default)",
      spec: { stickiness: { type: "app_cookie", cookieName: "SESSION" } },
      observed: { attributes: { "stickiness.enabled": "true", "stickiness.lb_cookie.duration_seconds": "3600" } },
      diffs: [
        { path: "attributes.stickiness.type", before: "lb_cookie", after: "app_cookie" },
        { path: "attributes.stickiness.cookieName", after: "SESSION" },
      ],
    },
    {
      why: "a tag added out of band is removed; AWS's own aws: tags are left alone",
      observed: { tags: { ...ECHO.tags, owner: "someone", "aws:cloudformation:stack-name": "legacy" } },
      diffs: [{ path: "tags.owner", before: "someone" }],
    },
    {
      why: "a live group under the generation name of the desired immutables is the same group",
      observed: { name: REFERENCE_GENERATION },
      diffs: [],
    },
    {
      why: "a live group under another name was renamed in the spec: a replacement",
      observed: { name: "tgOld" },
      diffs: [forced("name", "tgOld", "tgCurso107")],
    },
    {
      why: "an older generation with other immutables is both a rename and the immutable's change",
      spec: { port: 9090 },
      observed: { name: REFERENCE_GENERATION },
      diffs: [forced("name", REFERENCE_GENERATION, "tgCurso107"), forced("port", 8080, 9090)],
    },
  ])("$why", (row) => {
    const desired = desiredOf({ ...REFERENCE, ...row.spec }, row.vpcId);
    const observed = { ...ECHO, ...row.observed };
    expect(diffTargetGroup(desired, observed).lines).toEqual(row.diffs);
    expect(targetGroupsReconciler.diff(desired, observed).lines).toEqual(row.diffs);
  });
});

describe("generationName", () => {
  it("is the name cut to 24 characters, a hyphen and 7 hex digits: at most 32, a valid target group name", () => {
    const long = "a".repeat(32);
    const name = generationName(long, REFERENCE_IMMUTABLES);
    expect(name).toMatch(/^a{24}-[0-9a-f]{7}$/);
    expect(name).toHaveLength(32);
    expect(REFERENCE_GENERATION).toMatch(/^tgCurso107-[0-9a-f]{7}$/);
    expect([name, REFERENCE_GENERATION].every((n) => ELB_NAME.test(n))).toBe(true);
  });

  it("drops a hyphen the cut ends with: AWS refuses two in a row", () => {
    expect(generationName("abcdefghijklmnopqrstuvw-xyz", REFERENCE_IMMUTABLES)).toMatch(/^abcdefghijklmnopqrstuvw-[0-9a-f]{7}$/);
  });

  it("is deterministic, whatever the order of the fields", () => {
    const reordered = { vpcId: VPC, targetType: "ip", protocolVersion: "HTTP1", protocol: "HTTP", port: 8080 };
    expect(generationName("tgCurso107", reordered)).toBe(REFERENCE_GENERATION);
    expect(generationName("tgCurso107", { ...REFERENCE_IMMUTABLES })).toBe(REFERENCE_GENERATION);
  });

  it.each<{ why: string; change: Partial<typeof REFERENCE_IMMUTABLES> }>([
    { why: "port", change: { port: 8081 } },
    { why: "protocol", change: { protocol: "HTTPS" } },
    { why: "protocolVersion", change: { protocolVersion: "HTTP2" } },
    { why: "targetType", change: { targetType: "instance" } },
    { why: "vpcId", change: { vpcId: OTHER_VPC } },
  ])("changes with $why", ({ change }) => {
    expect(generationName("tgCurso107", { ...REFERENCE_IMMUTABLES, ...change })).not.toBe(REFERENCE_GENERATION);
  });

  it("is the same for a spec that leaves protocolVersion out of an HTTP group and one that says HTTP1", () => {
    const implicit = desiredOf({ ...REFERENCE, protocolVersion: undefined });
    expect(generationName(implicit.name, { ...implicit, vpcId: VPC })).toBe(REFERENCE_GENERATION);
  });
});

describe("successor", () => {
  const at = (port: number) => desiredOf({ ...REFERENCE, port });
  const live = (name: string): ObservedTargetGroup => ({ ...ECHO, name });

  it.each<{ why: string; live: string; port: number; name: string }>([
    {
      why: "the live group holds the spec's name: the new one takes the generation name",
      live: "tgCurso107",
      port: 9090,
      name: generationName("tgCurso107", { ...REFERENCE_IMMUTABLES, port: 9090 }),
    },
    {
      why: "the live group holds a generation name: the new one takes the spec's name back",
      live: REFERENCE_GENERATION,
      port: 9090,
      name: "tgCurso107",
    },
    { why: "the spec renamed the group: the new one takes the new name", live: "tgOld", port: 8080, name: "tgCurso107" },
  ])("$why", (row) => {
    const desired = at(row.port);
    const next = successorOf(desired, live(row.live));
    expect(next.name).toBe(row.name);
    expect(next.desired).toEqual({ ...desired, createAs: row.name });
    expect(targetGroupsReconciler.successor!(desired, live(row.live))).toEqual(next);
  });

  it("alternates over successive replacements, and each successor is no change against its own spec", () => {
    let current = live("tgCurso107");
    const names: string[] = [];
    for (const port of [9090, 9091, 9092]) {
      const { desired, name } = successorOf(at(port), current);
      names.push(name);
      current = { ...current, name, port };
      expect(diffTargetGroup(at(port), current).lines).toEqual([]);
      expect(diffTargetGroup(desired, current).lines).toEqual([]);
    }
    expect(names[0]).toMatch(/^tgCurso107-[0-9a-f]{7}$/);
    expect(names[1]).toBe("tgCurso107");
    expect(names[2]).toMatch(/^tgCurso107-[0-9a-f]{7}$/);
    expect(names[2]).not.toBe(names[0]);
  });

  it("needs the VPC: a successor is made at apply time, after the network", () => {
    expect(() => successorOf(desiredOf(REFERENCE, UNKNOWN), ECHO)).toThrow(/VPC of target group tgCurso107 is not known yet/);
  });
});

describe("pickTargetGroup", () => {
  const desired = desiredOf(REFERENCE);
  const group = (name: string, extra: Partial<ObservedTargetGroup> = {}): ObservedTargetGroup => ({
    ...ECHO,
    name,
    id: `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0000000000000000`,
    ...extra,
  });
  const untagged = { tags: {} };
  const otherStack = { tags: { ...OWNERSHIP, "reconcile:stack": "other" } };

  it.each<{ why: string; candidates: ObservedTargetGroup[]; picked: string | undefined }>([
    { why: "nothing found", candidates: [], picked: undefined },
    { why: "ours under the spec's name", candidates: [group("tgCurso107")], picked: "tgCurso107" },
    {
      why: "ours with the desired immutables under both names (a crash mid-replacement): the spec's name first",
      candidates: [group(REFERENCE_GENERATION), group("tgCurso107")],
      picked: "tgCurso107",
    },
    {
      why: "ours with the desired immutables over ours with old ones, whatever their names",
      candidates: [group("tgCurso107", { port: 7070 }), group(REFERENCE_GENERATION)],
      picked: REFERENCE_GENERATION,
    },
    {
      why: "ours renamed in the spec, with the desired immutables",
      candidates: [group("tgOld")],
      picked: "tgOld",
    },
    {
      why: "someone else's group under the spec's name (the planner reports the conflict)",
      candidates: [group("tgCurso107", untagged)],
      picked: "tgCurso107",
    },
    {
      why: "another stack's group under the spec's name rather than our old copy elsewhere",
      candidates: [group("tgOld", { port: 7070 }), group("tgCurso107", otherStack)],
      picked: "tgCurso107",
    },
    {
      why: "only ours with old immutables: it is the group, to be replaced",
      candidates: [group(REFERENCE_GENERATION, { port: 7070 })],
      picked: REFERENCE_GENERATION,
    },
    {
      why: "a group of ours by another logical name is not this node's",
      candidates: [group("tgOther", { tags: { ...OWNERSHIP, "reconcile:id": "targetGroups/api" } })],
      picked: undefined,
    },
    { why: "an untagged group under another name is not a candidate", candidates: [group("tgOld", untagged)], picked: undefined },
  ])("$why", ({ candidates, picked }) => {
    expect(pickTargetGroup(desired, candidates, "microblog")?.name).toBe(picked);
  });
});

describe("a real DescribeTargetGroups + DescribeTargetGroupAttributes answer", () => {
  // AWS's documented examples (aws-cli: describe-target-groups example 1 and describe-target-group-attributes,
  // instance/ip and TCP outputs), verbatim.
  const read = <T>(file: string) => JSON.parse(readFileSync(new URL(`../fixtures/aws/${file}`, import.meta.url), "utf8")) as T;
  const [group] = read<{ TargetGroups: TargetGroup[] }>("describe-target-groups-http-instance.json").TargetGroups;
  const attributes = attributeMap(
    read<{ Attributes: TargetGroupAttribute[] }>("describe-target-group-attributes-http-instance.json").Attributes,
  );
  const tcpAttributes = attributeMap(read<{ Attributes: TargetGroupAttribute[] }>("describe-target-group-attributes-tcp.json").Attributes);
  const vpcId = "vpc-3ac0fb5f";
  const base: TargetGroupInput = { name: "my-targets", targetType: "instance", protocol: "HTTP", port: 80 };

  it.each<{ why: string; entry: TargetGroupInput }>([
    { why: "the spec that names only what it must", entry: base },
    {
      why: "the spec that states every value AWS reports, defaults included",
      entry: {
        ...base,
        protocolVersion: "HTTP1",
        healthCheck: {
          enabled: true,
          protocol: "HTTP",
          port: "traffic-port",
          path: "/",
          healthyThreshold: 5,
          unhealthyThreshold: 2,
          timeoutSeconds: 5,
          intervalSeconds: 30,
          matcher: "200",
        },
        deregistrationDelaySeconds: 300,
        stickiness: { enabled: false, durationSeconds: 86400 },
      },
    },
  ])("compares equal to $why", ({ entry }) => {
    const spec = specOf({ web: entry }, "demo");
    const desired = desiredTargetGroup(spec, "web", spec.targetGroups.web!, vpcId);
    // The examples carry no tags: the group is given the ones the spec asks for.
    const observed = toObservedTargetGroup(group!, attributes, desired.tags);
    expect(diffTargetGroup(desired, observed).lines).toEqual([]);
    expect(targetGroupsReconciler.outputs(observed)).toEqual({
      arn: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067",
      name: "my-targets",
      arnSuffix: "targetgroup/my-targets/73e2d6bc24d8a067",
    });
  });

  it("reads the group in the spec's form", () => {
    const observed = toObservedTargetGroup(group!, attributes, {});
    expect(observed).toMatchObject({
      name: "my-targets",
      port: 80,
      protocol: "HTTP",
      protocolVersion: "HTTP1",
      targetType: "instance",
      vpcId,
      healthCheck: { enabled: true, port: "traffic-port", intervalSeconds: 30, matcher: { httpCode: "200" } },
      loadBalancerArns: ["arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/my-load-balancer/50dc6c495c0c9188"],
    });
    expect(normaliseAttributes(observed.attributes, "lb_cookie")).toEqual(desiredAttributes({}));
  });

  it("a TCP group's answer, without stickiness keys, has AWS's defaults for them", () => {
    expect(normaliseAttributes(tcpAttributes, "lb_cookie")).toEqual({
      deregistrationDelaySeconds: 300,
      stickiness: { enabled: false, type: "lb_cookie", durationSeconds: 86400 },
    });
  });
});

describe("normalisers", () => {
  it.each<{ why: string; input: NonNullable<TargetGroupInput["healthCheck"]>; expected: object }>([
    { why: "only the fields the spec sets", input: { path: "/health" }, expected: { path: "/health" } },
    { why: "a port number becomes AWS's string", input: { port: 8080 }, expected: { port: "8080" } },
    { why: "traffic-port stays", input: { port: "traffic-port" }, expected: { port: "traffic-port" } },
    { why: "a matcher string is an HTTP code", input: { matcher: "200,302" }, expected: { matcher: { httpCode: "200,302" } } },
    { why: "a gRPC matcher stays one", input: { matcher: { grpcCode: "0-99" } }, expected: { matcher: { grpcCode: "0-99" } } },
  ])("health check: $why", ({ input, expected }) => {
    expect(normaliseHealthCheck(input)).toEqual(expected);
  });

  it("reads the cookie duration of the type the spec asks for", () => {
    const aws = { "stickiness.lb_cookie.duration_seconds": "60", "stickiness.app_cookie.duration_seconds": "120" };
    expect(normaliseAttributes(aws, "lb_cookie").stickiness.durationSeconds).toBe(60);
    expect(normaliseAttributes(aws, "app_cookie").stickiness.durationSeconds).toBe(120);
  });
});

describe("the attribute writes of a diff", () => {
  /** AWS's answer with the reference group's attributes, some of them changed. */
  const aws = (changes: Record<string, string>) => ({ ...ECHO.attributes, ...changes });

  it.each<{ why: string; spec: Partial<TargetGroupInput>; live: Record<string, string>; writes: Record<string, string> }>([
    {
      why: "nothing changed, nothing written",
      spec: { deregistrationDelaySeconds: 30 },
      live: aws({ "deregistration_delay.timeout_seconds": "30" }),
      writes: {},
    },
    {
      why: "only the changed key",
      spec: { deregistrationDelaySeconds: 30, stickiness: { durationSeconds: 60 } },
      live: aws({ "stickiness.enabled": "true", "stickiness.lb_cookie.duration_seconds": "60" }),
      writes: { "deregistration_delay.timeout_seconds": "30" },
    },
    {
      why: "the duration goes to the key of the desired cookie type",
      spec: { stickiness: { type: "app_cookie", cookieName: "SESSION", durationSeconds: 60 } },
      live: aws({ "stickiness.enabled": "true", "stickiness.type": "app_cookie", "stickiness.app_cookie.cookie_name": "SESSION" }),
      writes: { "stickiness.app_cookie.duration_seconds": "60" },
    },
    {
      why: "a new app_cookie type takes its cookie name along (moto refuses the type without it)",
      spec: { stickiness: { type: "app_cookie", cookieName: "SESSION" } },
      live: aws({ "stickiness.app_cookie.cookie_name": "SESSION" }),
      writes: { "stickiness.enabled": "true", "stickiness.type": "app_cookie", "stickiness.app_cookie.cookie_name": "SESSION" },
    },
  ])("$why", ({ spec, live, writes }) => {
    expect(diffAttributes(desiredOf({ ...REFERENCE, ...spec }).attributes, live).writes).toEqual(writes);
  });
});

describe("the typed change update carries out", () => {
  const none = { set: {}, remove: [] };

  it.each<{ why: string; spec?: Partial<TargetGroupInput>; observed?: Partial<ObservedTargetGroup>; change: TargetGroupChange }>([
    { why: "no difference: nothing to call", change: { attributes: {}, tags: none } },
    {
      why: "a health-check change gives exactly this ModifyTargetGroup input: the changed fields, in AWS's names",
      spec: { healthCheck: { ...REFERENCE.healthCheck, intervalSeconds: 30, matcher: "200-399" } },
      change: { healthCheck: { HealthCheckIntervalSeconds: 30, Matcher: { HttpCode: "200-399" } }, attributes: {}, tags: none },
    },
    {
      why: "a health-check port number goes as AWS's string",
      spec: { healthCheck: { port: 8081 } },
      change: { healthCheck: { HealthCheckPort: "8081" }, attributes: {}, tags: none },
    },
    {
      why: "a health-check field AWS reports but the spec leaves out is not sent",
      spec: { healthCheck: { path: "/health" } },
      observed: { healthCheck: { ...ECHO.healthCheck, intervalSeconds: 30 } },
      change: { healthCheck: { HealthCheckPath: "/health" }, attributes: {}, tags: none },
    },
    {
      why: "stickiness turned on: the changed attributes only",
      spec: { stickiness: { durationSeconds: 3600 } },
      change: {
        attributes: { "stickiness.enabled": "true", "stickiness.lb_cookie.duration_seconds": "3600" },
        tags: none,
      },
    },
    {
      why: "a tag added and one changed are set, one added out of band removed, AWS's own left alone",
      spec: { tags: { team: "web" } },
      observed: { tags: { ...ECHO.tags, project: "old", owner: "someone", "aws:cloudformation:stack-name": "legacy" } },
      change: { attributes: {}, tags: { set: { project: "curso107", team: "web" }, remove: ["owner"] } },
    },
    {
      why: "a replacement is not in the change: the engine replaces the group, update is never called for it",
      spec: { port: 9090 },
      change: { attributes: {}, tags: none },
    },
  ])("$why", (row) => {
    const desired = desiredOf({ ...REFERENCE, ...row.spec });
    expect(targetGroupsReconciler.diff(desired, { ...ECHO, ...row.observed }).change).toEqual(row.change);
  });
});

describe("target group nodes", () => {
  const outputs = (vpcId: string | typeof UNKNOWN): Outputs => ({
    string: (address, output) => {
      expect([address, output]).toEqual(["network", "vpcId"]);
      return vpcId;
    },
    list: () => UNKNOWN,
  });

  it("one node per entry, after the network, with the spec's or the default name and the ownership id", () => {
    const nodes = targetGroupsReconciler.nodes(specOf({ web: REFERENCE, api: { port: 3000, adopt: true } }));
    expect(nodes.map(({ build: _, ...n }) => n)).toEqual([
      {
        kind: "targetGroups",
        logical: "web",
        address: "targetGroups.web",
        name: "tgCurso107",
        dependsOn: ["network"],
        adopt: false,
        readOnly: false,
      },
      {
        kind: "targetGroups",
        logical: "api",
        address: "targetGroups.api",
        name: "microblog-api",
        dependsOn: ["network"],
        adopt: true,
        readOnly: false,
      },
    ]);
    expect(nodes[0]!.build(outputs(VPC))).toEqual(desiredOf(REFERENCE));
    expect(nodes[1]!.build(outputs(UNKNOWN))).toMatchObject({
      name: "microblog-api",
      ownershipId: "targetGroups/api",
      port: 3000,
      protocol: "HTTP",
      protocolVersion: "HTTP1",
      targetType: "ip",
      vpcId: UNKNOWN,
      healthCheck: {},
      attributes: { deregistrationDelaySeconds: 300, stickiness: { enabled: false, type: "lb_cookie", durationSeconds: 86400 } },
      tags: { project: "curso107", "reconcile:stack": "microblog", "reconcile:id": "targetGroups/api" },
    });
  });

  it("a lambda group has no port, protocol or VPC (AWS refuses them)", () => {
    expect(desiredOf({ port: 80, targetType: "lambda" })).toMatchObject({ port: null, protocol: null, protocolVersion: null, vpcId: null });
  });

  it("a TCP group has no protocol version", () => {
    expect(desiredOf({ port: 5432, protocol: "TCP" }).protocolVersion).toBeNull();
  });

  it("preview: the create lines, the immutables, the health check the spec sets, the attributes and the tags", () => {
    const preview = targetGroupsReconciler.preview!(desiredOf(REFERENCE));
    expect(preview).toEqual([
      { path: "name", after: "tgCurso107" },
      { path: "port", after: 8080 },
      { path: "protocol", after: "HTTP" },
      { path: "protocolVersion", after: "HTTP1" },
      { path: "targetType", after: "ip" },
      { path: "vpcId", after: VPC },
      { path: "healthCheck.protocol", after: "HTTP" },
      { path: "healthCheck.port", after: "traffic-port" },
      { path: "healthCheck.path", after: "/" },
      { path: "healthCheck.healthyThreshold", after: 5 },
      { path: "healthCheck.unhealthyThreshold", after: 2 },
      { path: "healthCheck.timeoutSeconds", after: 5 },
      { path: "healthCheck.intervalSeconds", after: 15 },
      { path: "healthCheck.matcher.httpCode", after: "200-299" },
      { path: "attributes.deregistrationDelaySeconds", after: 300 },
      { path: "attributes.stickiness.enabled", after: false },
      { path: "tags.project", after: "curso107" },
      { path: "tags.reconcile:stack", after: "microblog" },
      { path: "tags.reconcile:id", after: "targetGroups/web" },
    ]);
  });

  it("preview of a successor shows the name it is created under, and the cookie of a sticky group", () => {
    const desired = { ...desiredOf({ ...REFERENCE, stickiness: { durationSeconds: 60 } }), createAs: REFERENCE_GENERATION };
    const paths = targetGroupsReconciler.preview!(desired).filter((d) => d.path === "name" || d.path.startsWith("attributes."));
    expect(paths).toEqual([
      { path: "name", after: REFERENCE_GENERATION },
      { path: "attributes.deregistrationDelaySeconds", after: 300 },
      { path: "attributes.stickiness.enabled", after: true },
      { path: "attributes.stickiness.type", after: "lb_cookie" },
      { path: "attributes.stickiness.durationSeconds", after: 60 },
    ]);
  });
});
