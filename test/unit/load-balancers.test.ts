import { readFileSync } from "node:fs";
import type { LoadBalancer } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import { UNKNOWN, type FieldDiff } from "../../src/plan/model.js";
import { fromTagList } from "../../src/reconcilers/diff-helpers.js";
import { loadBalancersReconciler } from "../../src/reconcilers/elb/load-balancers/index.js";
import {
  DEFAULT_ATTRIBUTES,
  desiredAttributes,
  diffLoadBalancer,
  normaliseAttributes,
  normaliseLoadBalancer,
  type LoadBalancerAttributes,
  type LoadBalancerChange,
  type LoadBalancerDesired,
  type ObservedLoadBalancer,
} from "../../src/reconcilers/elb/load-balancers/model.js";
import type { Context, Outputs } from "../../src/reconcilers/contract.js";
import { specSchema, type SpecInput } from "../../src/schema/index.js";

const ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo-web/50dc6c495c0c9188";
const OWNERSHIP = { "reconcile:stack": "demo", "reconcile:id": "loadBalancers/web" };

const desired: LoadBalancerDesired = {
  name: "demo-web",
  type: "application",
  scheme: "internet-facing",
  ipAddressType: "ipv4",
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupIds: ["sg-1"],
  attributes: DEFAULT_ATTRIBUTES,
  tags: { ...OWNERSHIP, team: "web" },
};

const observed: ObservedLoadBalancer = {
  name: "demo-web",
  id: ARN,
  tags: { ...OWNERSHIP, team: "web" },
  type: "application",
  scheme: "internet-facing",
  ipAddressType: "ipv4",
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupIds: ["sg-1"],
  vpcId: "vpc-1",
  dnsName: "demo-web-1.us-east-1.elb.amazonaws.com",
  canonicalHostedZoneId: "Z35SXDOTRQ7X7K",
  state: "active",
  attributes: DEFAULT_ATTRIBUTES,
};

/** AWS's attributes with some of them changed. */
const live = (changes: Partial<LoadBalancerAttributes>): LoadBalancerAttributes => ({ ...DEFAULT_ATTRIBUTES, ...changes });

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/aws/${name}`, import.meta.url), "utf8")) as T;

function specOf(loadBalancers: SpecInput["loadBalancers"], securityGroups: SpecInput["securityGroups"] = { alb: {} }) {
  return specSchema.parse({
    stack: "demo",
    region: "us-east-1",
    tags: { env: "prod" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a", "us-east-1b"] } },
    securityGroups,
    loadBalancers,
  });
}

/** Outputs of the nodes a load balancer refers to; anything not given is still unknown. */
function outputsOf(known: Record<string, Record<string, string | string[]>>): Outputs {
  return {
    string: (address, output) => {
      const value = known[address]?.[output];
      return typeof value === "string" ? value : UNKNOWN;
    },
    list: (address, output) => {
      const value = known[address]?.[output];
      return Array.isArray(value) ? value : UNKNOWN;
    },
  };
}

describe("load balancer diff", () => {
  it.each<{ why: string; desired?: Partial<LoadBalancerDesired>; observed?: Partial<ObservedLoadBalancer>; diffs: FieldDiff[] }>([
    { why: "the same load balancer is no change", diffs: [] },
    {
      why: "another scheme forces a replacement: AWS cannot change it",
      desired: { scheme: "internal" },
      diffs: [{ path: "scheme", before: "internet-facing", after: "internal", forcesReplacement: true }],
    },
    {
      why: "a load balancer of another type under the name forces a replacement",
      observed: { type: "network" },
      diffs: [{ path: "type", before: "network", after: "application", forcesReplacement: true }],
    },
    {
      why: "subnets in another order are the same set",
      desired: { subnetIds: ["subnet-b", "subnet-a"] },
      observed: { subnetIds: ["subnet-b", "subnet-a"] },
      diffs: [],
    },
    {
      why: "security groups in another order are the same set",
      desired: { securityGroupIds: ["sg-2", "sg-1"] },
      observed: { securityGroupIds: ["sg-1", "sg-2"] },
      diffs: [],
    },
    {
      why: "a subnet added is changed in place, shown as the sorted set",
      desired: { subnetIds: ["subnet-c", "subnet-a", "subnet-b"] },
      diffs: [{ path: "subnets", before: ["subnet-a", "subnet-b"], after: ["subnet-a", "subnet-b", "subnet-c"] }],
    },
    {
      why: "another security group is changed in place",
      desired: { securityGroupIds: ["sg-2"] },
      diffs: [{ path: "securityGroups", before: ["sg-1"], after: ["sg-2"] }],
    },
    {
      why: "security groups still to be created are known after apply",
      desired: { securityGroupIds: UNKNOWN },
      diffs: [{ path: "securityGroups", before: ["sg-1"], after: UNKNOWN }],
    },
    {
      why: "dual-stack is changed in place",
      desired: { ipAddressType: "dualstack" },
      diffs: [{ path: "ipAddressType", before: "ipv4", after: "dualstack" }],
    },
    {
      why: "the spec's idle timeout is set",
      desired: { attributes: desiredAttributes({ idleTimeoutSeconds: 120 }) },
      diffs: [{ path: "idleTimeoutSeconds", before: 60, after: 120 }],
    },
    {
      why: "an idle timeout the spec leaves out is set back to AWS's default of 60 (enforced)",
      observed: { attributes: live({ idleTimeoutSeconds: 300 }) },
      diffs: [{ path: "idleTimeoutSeconds", before: 300, after: 60 }],
    },
    {
      why: "deletion protection the spec asks for is turned on",
      desired: { attributes: desiredAttributes({ deletionProtection: true }) },
      diffs: [{ path: "deletionProtection", before: false, after: true }],
    },
    {
      why: "deletion protection the spec leaves out is turned off (enforced default false)",
      observed: { attributes: live({ deletionProtection: true }) },
      diffs: [{ path: "deletionProtection", before: true, after: false }],
    },
    {
      why: "access logs the spec asks for are turned on, to its bucket and prefix",
      desired: { attributes: desiredAttributes({ accessLogs: { bucket: "logs-bucket", prefix: "alb" } }) },
      diffs: [
        { path: "accessLogs.enabled", before: false, after: true },
        { path: "accessLogs.bucket", before: "", after: "logs-bucket" },
        { path: "accessLogs.prefix", before: "", after: "alb" },
      ],
    },
    {
      why: "a prefix left out is the empty prefix, AWS's default: no line for it",
      desired: { attributes: desiredAttributes({ accessLogs: { bucket: "logs-bucket" } }) },
      diffs: [
        { path: "accessLogs.enabled", before: false, after: true },
        { path: "accessLogs.bucket", before: "", after: "logs-bucket" },
      ],
    },
    {
      why: "access logs going to another bucket are moved, nothing else",
      desired: { attributes: desiredAttributes({ accessLogs: { bucket: "logs-bucket" } }) },
      observed: { attributes: live({ accessLogs: { enabled: true, bucket: "old-bucket", prefix: "" } }) },
      diffs: [{ path: "accessLogs.bucket", before: "old-bucket", after: "logs-bucket" }],
    },
    {
      why: "access logs the spec leaves out are turned off; their bucket is not the spec's business",
      observed: { attributes: live({ accessLogs: { enabled: true, bucket: "old-bucket", prefix: "p" } }) },
      diffs: [{ path: "accessLogs.enabled", before: true, after: false }],
    },
    {
      why: "the bucket of access logs off on both sides is no change (AWS keeps it after turning logs off)",
      observed: { attributes: live({ accessLogs: { enabled: false, bucket: "old-bucket", prefix: "p" } }) },
      diffs: [],
    },
    {
      why: "a tag added out of band is removed, a changed one set back, AWS's own aws: tags left alone",
      observed: { tags: { ...OWNERSHIP, team: "data", owner: "someone", "aws:cloudformation:stack-name": "legacy" } },
      diffs: [
        { path: "tags.owner", before: "someone" },
        { path: "tags.team", before: "data", after: "web" },
      ],
    },
    {
      why: "several changes in a stable order: immutables, placement, attributes, then tags",
      desired: {
        scheme: "internal",
        ipAddressType: "dualstack",
        attributes: desiredAttributes({ deletionProtection: true }),
        tags: OWNERSHIP,
      },
      observed: { subnetIds: ["subnet-a"] },
      diffs: [
        { path: "scheme", before: "internet-facing", after: "internal", forcesReplacement: true },
        { path: "subnets", before: ["subnet-a"], after: ["subnet-a", "subnet-b"] },
        { path: "ipAddressType", before: "ipv4", after: "dualstack" },
        { path: "deletionProtection", before: false, after: true },
        { path: "tags.team", before: "web" },
      ],
    },
  ])("$why", (row) => {
    const d = { ...desired, ...row.desired };
    const o = { ...observed, ...row.observed };
    expect(diffLoadBalancer(d, o).lines).toEqual(row.diffs);
    expect(loadBalancersReconciler.diff(d, o).lines).toEqual(row.diffs);
  });
});

describe("attributes as AWS answers them", () => {
  const attrs = (map: Record<string, string>) => Object.entries(map).map(([Key, Value]) => ({ Key, Value }));

  it.each<{ why: string; answer: Array<{ Key: string; Value: string }> | undefined; attributes: LoadBalancerAttributes }>([
    {
      why: "AWS's API reference example: every default",
      answer: fixture<{ Attributes: Array<{ Key: string; Value: string }> }>("describe-load-balancer-attributes-alb.json").Attributes,
      attributes: DEFAULT_ATTRIBUTES,
    },
    {
      why: "AWS's CLI reference example, with an attribute the tool does not manage (HTTP/2): every default",
      answer: fixture<{ Attributes: Array<{ Key: string; Value: string }> }>("describe-load-balancer-attributes-alb-http2.json").Attributes,
      attributes: DEFAULT_ATTRIBUTES,
    },
    {
      why: "moto's answer leaves out idle_timeout.timeout_seconds and access_logs.s3.enabled: missing is the default",
      answer: attrs({
        "access_logs.s3.bucket": "",
        "access_logs.s3.prefix": "",
        "deletion_protection.enabled": "false",
        "load_balancing.cross_zone.enabled": "false",
      }),
      attributes: DEFAULT_ATTRIBUTES,
    },
    { why: "no attributes at all: every default", answer: undefined, attributes: DEFAULT_ATTRIBUTES },
    {
      why: "values AWS holds are read as numbers and booleans",
      answer: attrs({
        "idle_timeout.timeout_seconds": "4000",
        "deletion_protection.enabled": "true",
        "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": "logs-bucket",
        "access_logs.s3.prefix": "alb",
      }),
      attributes: {
        idleTimeoutSeconds: 4000,
        deletionProtection: true,
        accessLogs: { enabled: true, bucket: "logs-bucket", prefix: "alb" },
      },
    },
  ])("$why", ({ answer, attributes }) => {
    expect(normaliseAttributes(answer)).toEqual(attributes);
  });

  it("a spec that leaves every attribute out wants exactly AWS's defaults", () => {
    expect(desiredAttributes({})).toEqual(DEFAULT_ATTRIBUTES);
    expect(DEFAULT_ATTRIBUTES).toEqual({
      idleTimeoutSeconds: 60,
      deletionProtection: false,
      accessLogs: { enabled: false, bucket: "", prefix: "" },
    });
  });

  it.each<{ why: string; want: LoadBalancerAttributes; from: LoadBalancerAttributes; sent: Record<string, string> }>([
    { why: "nothing changed: nothing to send", want: DEFAULT_ATTRIBUTES, from: DEFAULT_ATTRIBUTES, sent: {} },
    {
      why: "one attribute changed: only its key, as AWS's string",
      want: desiredAttributes({ idleTimeoutSeconds: 120 }),
      from: DEFAULT_ATTRIBUTES,
      sent: { "idle_timeout.timeout_seconds": "120" },
    },
    {
      why: "access logs turned on: the flag, bucket and prefix",
      want: desiredAttributes({ accessLogs: { bucket: "logs-bucket", prefix: "alb" }, deletionProtection: true }),
      from: DEFAULT_ATTRIBUTES,
      sent: {
        "deletion_protection.enabled": "true",
        "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": "logs-bucket",
        "access_logs.s3.prefix": "alb",
      },
    },
    {
      why: "access logs turned off: the flag alone",
      want: DEFAULT_ATTRIBUTES,
      from: live({ accessLogs: { enabled: true, bucket: "logs-bucket", prefix: "" } }),
      sent: { "access_logs.s3.enabled": "false" },
    },
  ])("what ModifyLoadBalancerAttributes is sent: $why", ({ want, from, sent }) => {
    const { change } = diffLoadBalancer({ ...desired, attributes: want }, { ...observed, attributes: from });
    expect(change.attributes).toEqual(sent);
  });
});

describe("a real DescribeLoadBalancers answer (AWS's API reference example)", () => {
  const [lb] = fixture<{ LoadBalancers: LoadBalancer[] }>("describe-load-balancers-alb.json").LoadBalancers;
  const attributes = normaliseAttributes(
    fixture<{ Attributes: Array<{ Key: string; Value: string }> }>("describe-load-balancer-attributes-alb.json").Attributes,
  );
  const awsTags = fromTagList(
    fixture<{ TagDescriptions: Array<{ Tags: Array<{ Key: string; Value: string }> }> }>("describe-tags-load-balancer.json")
      .TagDescriptions[0]!.Tags,
  );
  const spec = specOf({
    web: { name: "my-load-balancer", securityGroups: ["alb"], tags: { project: "lima", department: "digital-media" } },
  });
  const [node] = loadBalancersReconciler.nodes(spec);
  const value = node!.build(
    outputsOf({
      // The network's subnets come in whatever order the lookup finds them.
      network: { subnetIds: ["subnet-b7d581c0", "subnet-8360a9e7"] },
      "securityGroups.alb": { id: "sg-5943793c" },
    }),
  );

  it("is read into the canonical form, with ipv4 for the IpAddressType the example predates", () => {
    expect(normaliseLoadBalancer(lb!, awsTags, attributes)).toEqual({
      name: "my-load-balancer",
      id: "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/my-load-balancer/50dc6c495c0c9188",
      tags: { project: "lima", department: "digital-media" },
      type: "application",
      scheme: "internet-facing",
      ipAddressType: "ipv4",
      subnetIds: ["subnet-8360a9e7", "subnet-b7d581c0"],
      securityGroupIds: ["sg-5943793c"],
      vpcId: "vpc-3ac0fb5f",
      dnsName: "my-load-balancer-424835706.us-west-2.elb.amazonaws.com",
      canonicalHostedZoneId: "Z2P70J7EXAMPLE",
      state: "active",
      attributes: DEFAULT_ATTRIBUTES,
    });
  });

  it("compares equal to the spec it echoes, once it carries the ownership tags", () => {
    const echoed = normaliseLoadBalancer(lb!, { ...awsTags, ...OWNERSHIP, env: "prod" }, attributes);
    expect(loadBalancersReconciler.diff(value, echoed).lines).toEqual([]);
  });

  it("without the ownership tags (created by someone else, adopted) only those tags differ", () => {
    const echoed = normaliseLoadBalancer(lb!, { ...awsTags, env: "prod" }, attributes);
    expect(loadBalancersReconciler.diff(value, echoed).lines).toEqual([
      { path: "tags.reconcile:id", after: "loadBalancers/web" },
      { path: "tags.reconcile:stack", after: "demo" },
    ]);
  });

  it("outputs the ARN, name, DNS name, hosted zone and the ARN suffix CloudWatch uses", () => {
    const observedLb = normaliseLoadBalancer(lb!, awsTags, attributes);
    expect(loadBalancersReconciler.outputs(observedLb)).toEqual({
      arn: observedLb.id,
      name: "my-load-balancer",
      dnsName: "my-load-balancer-424835706.us-west-2.elb.amazonaws.com",
      arnSuffix: "app/my-load-balancer/50dc6c495c0c9188",
      canonicalHostedZoneId: "Z2P70J7EXAMPLE",
    });
    expect(loadBalancersReconciler.shownOutputs).toEqual(["dnsName"]);
  });
});

describe("load balancer nodes", () => {
  it.each<{ why: string; entry: NonNullable<SpecInput["loadBalancers"]>[string]; name: string; dependsOn: string[] }>([
    {
      why: "the default name, the network's subnets and each security group",
      entry: { securityGroups: ["alb", "shared"] },
      name: "demo-web",
      dependsOn: ["network", "securityGroups.alb", "securityGroups.shared"],
    },
    {
      why: "an explicit name; its own subnets come from its own lookup node; a group named twice is one dependency",
      entry: { name: "albCurso107", subnets: { availabilityZones: ["us-east-1c", "us-east-1d"] }, securityGroups: ["alb", "alb"] },
      name: "albCurso107",
      dependsOn: ["network.loadBalancers.web", "securityGroups.alb"],
    },
  ])("$why", ({ entry, name, dependsOn }) => {
    const [node, ...rest] = loadBalancersReconciler.nodes(specOf({ web: entry }, { alb: {}, shared: { existing: { name: "default" } } }));
    expect(rest).toEqual([]);
    expect(node).toMatchObject({
      kind: "loadBalancers",
      logical: "web",
      address: "loadBalancers.web",
      name,
      dependsOn,
      adopt: false,
      readOnly: false,
    });
  });

  it("builds the desired value with the schema's defaults, the enforced attributes and the ownership tags", () => {
    const [node] = loadBalancersReconciler.nodes(specOf({ web: { securityGroups: ["alb"], adopt: true, tags: { team: "web" } } }));
    expect(node!.adopt).toBe(true);
    expect(node!.build(outputsOf({ network: { subnetIds: ["subnet-b", "subnet-a"] }, "securityGroups.alb": { id: "sg-1" } }))).toEqual({
      ...desired,
      tags: { env: "prod", team: "web", ...OWNERSHIP },
    });
  });

  it.each<{ why: string; known: Record<string, Record<string, string | string[]>>; subnetIds: unknown; securityGroupIds: unknown }>([
    {
      why: "a security group still to be created makes the whole list unknown",
      known: { network: { subnetIds: ["subnet-a"] }, "securityGroups.alb": { id: "sg-1" } },
      subnetIds: ["subnet-a"],
      securityGroupIds: UNKNOWN,
    },
    {
      why: "subnets not looked up yet are unknown",
      known: { "securityGroups.alb": { id: "sg-1" }, "securityGroups.shared": { id: "sg-2" } },
      subnetIds: UNKNOWN,
      securityGroupIds: ["sg-1", "sg-2"],
    },
  ])("$why", ({ known, subnetIds, securityGroupIds }) => {
    const [node] = loadBalancersReconciler.nodes(
      specOf({ web: { securityGroups: ["shared", "alb"] } }, { alb: {}, shared: { existing: { name: "default" } } }),
    );
    expect(node!.build(outputsOf(known))).toMatchObject({ subnetIds, securityGroupIds });
  });

  it("previews a new load balancer field by field, access logs included when asked for", () => {
    const value = { ...desired, securityGroupIds: UNKNOWN, attributes: desiredAttributes({ accessLogs: { bucket: "logs-bucket" } }) };
    expect(loadBalancersReconciler.preview!(value)).toEqual([
      { path: "name", after: "demo-web" },
      { path: "type", after: "application" },
      { path: "scheme", after: "internet-facing" },
      { path: "ipAddressType", after: "ipv4" },
      { path: "subnets", after: ["subnet-a", "subnet-b"] },
      { path: "securityGroups", after: UNKNOWN },
      { path: "idleTimeoutSeconds", after: 60 },
      { path: "deletionProtection", after: false },
      { path: "accessLogs.enabled", after: true },
      { path: "accessLogs.bucket", after: "logs-bucket" },
      { path: "accessLogs.prefix", after: "" },
      { path: "tags.reconcile:stack", after: "demo" },
      { path: "tags.reconcile:id", after: "loadBalancers/web" },
      { path: "tags.team", after: "web" },
    ]);
  });
});

describe("the typed change update carries out", () => {
  const none = { set: {}, remove: [] };
  const unchanged = { attributes: {}, attributesAfter: DEFAULT_ATTRIBUTES, tags: none };

  it.each<{ why: string; desired?: Partial<LoadBalancerDesired>; observed?: Partial<ObservedLoadBalancer>; change: LoadBalancerChange }>([
    { why: "the same load balancer: nothing to call", change: unchanged },
    {
      why: "a subnet added: SetSubnets with the whole sorted set",
      desired: { subnetIds: ["subnet-c", "subnet-a", "subnet-b"] },
      change: { ...unchanged, subnets: ["subnet-a", "subnet-b", "subnet-c"] },
    },
    {
      why: "security groups still to be created: SetSecurityGroups with what they are at apply time",
      desired: { securityGroupIds: UNKNOWN },
      change: { ...unchanged, securityGroups: UNKNOWN },
    },
    { why: "dual-stack: SetIpAddressType", desired: { ipAddressType: "dualstack" }, change: { ...unchanged, ipAddressType: "dualstack" } },
    {
      why: "access logs turned off: the flag alone is written; AWS keeps their bucket and prefix",
      observed: { attributes: live({ accessLogs: { enabled: true, bucket: "logs-bucket", prefix: "p" } }) },
      change: {
        ...unchanged,
        attributes: { "access_logs.s3.enabled": "false" },
        attributesAfter: live({ accessLogs: { enabled: false, bucket: "logs-bucket", prefix: "p" } }),
      },
    },
    {
      why: "a tag added out of band is removed, a changed one set back",
      observed: { tags: { ...OWNERSHIP, team: "data", owner: "someone", "aws:cloudformation:stack-name": "legacy" } },
      change: { ...unchanged, tags: { set: { team: "web" }, remove: ["owner"] } },
    },
    {
      why: "a new scheme is not in the change: the engine replaces the load balancer, update is never called for it",
      desired: { scheme: "internal", ipAddressType: "dualstack" },
      change: { ...unchanged, ipAddressType: "dualstack" },
    },
  ])("$why", (row) => {
    expect(diffLoadBalancer({ ...desired, ...row.desired }, { ...observed, ...row.observed }).change).toEqual(row.change);
  });
});

describe("what the reconciler refuses before any call", () => {
  const sent: unknown[] = [];
  const ctx = {
    stack: "demo",
    region: "us-east-1",
    clients: { elbv2: { send: async (c: unknown) => void sent.push(c) } },
  } as unknown as Context;

  it("a delete of a load balancer with deletion protection on, saying how to turn it off", async () => {
    sent.length = 0;
    const protectedLb = { ...observed, attributes: live({ deletionProtection: true }) };
    await expect(loadBalancersReconciler.delete(protectedLb, ctx)).rejects.toThrow(
      /demo-web has deletion protection on.*set `deletionProtection: false` in the spec and apply first/,
    );
    expect(sent).toEqual([]);
  });
});
