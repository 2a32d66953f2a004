import { CreateSecurityGroupCommand, DeleteSecurityGroupCommand, DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { AddTagsCommand, DescribeLoadBalancersCommand, DescribeTagsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsErrorIs } from "../../src/aws/errors.js";
import { createClients } from "../../src/aws/index.js";
import { UNKNOWN } from "../../src/plan/model.js";
import { loadBalancersReconciler as reconciler } from "../../src/reconcilers/elb/load-balancers/index.js";
import type { LoadBalancerDesired, ObservedLoadBalancer } from "../../src/reconcilers/elb/load-balancers/model.js";
import { lookupNetwork } from "../../src/reconcilers/ec2/network-lookup.js";
import type { Context, Outputs } from "../../src/reconcilers/contract.js";
import { specSchema, type SpecInput } from "../../src/schema/index.js";
import { motoClientConfig } from "../support/moto-env.js";
import { recordCalls, uniqueName } from "../support/reconciler-tests.js";

// Where moto differs from AWS, worked around here only:
// - moto's DescribeLoadBalancerAttributes leaves out idle_timeout.timeout_seconds and access_logs.s3.enabled
//   until they are set; the reconciler reads a missing attribute as AWS's default, which these tests rely on.
// - moto does not check that an access-log bucket exists or lets Elastic Load Balancing write to it (AWS refuses
//   ModifyLoadBalancerAttributes otherwise), so the bucket below is a name only.
// - moto deletes a load balancer with deletion protection on (AWS refuses with OperationNotPermitted): the
//   reconciler refuses first, so no test here depends on either.
// - moto accepts dual-stack on subnets without IPv6 blocks (AWS refuses): SetIpAddressType is tested as a call.
// - moto's load balancers are `provisioning` when created and `active` from the next describe.

const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

const recorded = recordCalls(clients.elbv2);
const contextOf = (stack: string): Context => ({ stack, region: "us-east-1", clients });

let vpcId = "";
/** Two groups of this file's own, in the default VPC: `alb` and `other`. */
const groups = { alb: "", other: "" };

beforeAll(async () => {
  const { Vpcs } = await clients.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }));
  vpcId = Vpcs![0]!.VpcId!;
  for (const key of ["alb", "other"] as const) {
    const created = await clients.ec2.send(
      new CreateSecurityGroupCommand({ GroupName: uniqueName(), Description: "load balancer tests", VpcId: vpcId }),
    );
    groups[key] = created.GroupId!;
  }
});

afterAll(async () => {
  for (const id of Object.values(groups)) if (id) await clients.ec2.send(new DeleteSecurityGroupCommand({ GroupId: id }));
});

type LoadBalancerInput = NonNullable<SpecInput["loadBalancers"]>[string];

/** The reference ALB of examples/microblog.yaml (internet-facing, ipv4, one group), changed by `changes`. */
function specOf(
  stack: string,
  loadBalancers: Record<string, Partial<LoadBalancerInput>>,
  availabilityZones = ["us-east-1a", "us-east-1b"],
) {
  return specSchema.parse({
    stack,
    region: "us-east-1",
    tags: { suite: "load-balancers" },
    network: { vpc: "default", subnets: { availabilityZones } },
    securityGroups: { alb: { existing: { id: groups.alb } }, other: { existing: { id: groups.other } } },
    loadBalancers: Object.fromEntries(
      Object.entries(loadBalancers).map(([logical, changes]) => [
        logical,
        { scheme: "internet-facing", ipAddressType: "ipv4", securityGroups: ["alb"], ...changes },
      ]),
    ),
  });
}

/** The desired values as the engine builds them: from the network's subnets and the groups' ids. */
async function desiredOf(spec: ReturnType<typeof specOf>): Promise<Array<{ address: string; value: LoadBalancerDesired }>> {
  const network = await lookupNetwork(spec.network, clients);
  const known: Record<string, Record<string, string | string[]>> = {
    network: { vpcId: network.vpcId, subnetIds: network.subnets.map((s) => s.id) },
    "securityGroups.alb": { id: groups.alb },
    "securityGroups.other": { id: groups.other },
  };
  const outputs: Outputs = {
    string: (address, output) => (typeof known[address]?.[output] === "string" ? (known[address]![output] as string) : UNKNOWN),
    list: (address, output) => (Array.isArray(known[address]?.[output]) ? (known[address]![output] as string[]) : UNKNOWN),
  };
  return reconciler.nodes(spec).map((node) => ({ address: node.address, value: node.build(outputs) }));
}

async function observeOne(entry: { address: string; value: LoadBalancerDesired }, ctx: Context) {
  return (await reconciler.observe([entry], ctx)).get(entry.address);
}

/** The subnet ids of the default VPC in these zones, sorted. */
async function subnetsIn(...availabilityZones: string[]): Promise<string[]> {
  const network = await lookupNetwork({ vpc: "default", subnets: { availabilityZones } }, clients);
  return network.subnets.map((s) => s.id).sort();
}

/** Observes, diffs and updates one load balancer as the engine does; returns the diffs and the calls the update made. */
async function converge(spec: ReturnType<typeof specOf>, ctx: Context) {
  const [entry] = await desiredOf(spec);
  const live = (await observeOne(entry!, ctx))!;
  const { lines: diffs, change } = reconciler.diff(entry!.value, live);
  recorded.reset();
  const updated = await reconciler.update(change, live, ctx);
  const writes = recorded.writes();
  const sent = [...recorded.sent];
  // Converged: observed again, nothing differs, and what update returned is what AWS now says.
  const again = (await observeOne(entry!, ctx))!;
  expect(reconciler.diff(entry!.value, again).lines).toEqual([]);
  expect(reconciler.diff(entry!.value, updated).lines).toEqual([]);
  return { diffs, writes, sent };
}

describe("the reference load balancer", () => {
  const stack = uniqueName();
  const ctx = contextOf(stack);
  const name = `${stack}-web`;
  let lb: Partial<LoadBalancerInput> = {};
  let zones = ["us-east-1a", "us-east-1b"];
  const spec = () => specOf(stack, { web: lb }, zones);

  it("does not exist yet: observe finds nothing, and the preview shows what will be created", async () => {
    const [entry] = await desiredOf(spec());
    recorded.reset();
    expect(await reconciler.observe([entry!], ctx)).toEqual(new Map());
    expect(recorded.actions()).toEqual(["DescribeLoadBalancers"]);
    expect(reconciler.preview!(entry!.value).map((d) => d.path)).toEqual([
      "name",
      "type",
      "scheme",
      "ipAddressType",
      "subnets",
      "securityGroups",
      "idleTimeoutSeconds",
      "deletionProtection",
      "accessLogs.enabled",
      "tags.suite",
      "tags.reconcile:stack",
      "tags.reconcile:id",
    ]);
  });

  it("is created with its tags in CreateLoadBalancer and no other write (its attributes are AWS's defaults)", async () => {
    const [entry] = await desiredOf(spec());
    recorded.reset();
    const created = await reconciler.create(entry!.value, ctx);
    expect(recorded.writes()).toEqual(["CreateLoadBalancer"]);
    expect(recorded.sent[0]!.input).toEqual({
      Name: name,
      Type: "application",
      Scheme: "internet-facing",
      IpAddressType: "ipv4",
      Subnets: await subnetsIn("us-east-1a", "us-east-1b"),
      SecurityGroups: [groups.alb],
      Tags: [
        { Key: "suite", Value: "load-balancers" },
        { Key: "reconcile:stack", Value: stack },
        { Key: "reconcile:id", Value: "loadBalancers/web" },
      ],
    });
    expect(created).toMatchObject({ name, vpcId, scheme: "internet-facing", type: "application", state: "provisioning" });

    const { TagDescriptions } = await clients.elbv2.send(new DescribeTagsCommand({ ResourceArns: [created.id] }));
    expect(TagDescriptions![0]!.Tags).toEqual(
      expect.arrayContaining([
        { Key: "reconcile:stack", Value: stack },
        { Key: "reconcile:id", Value: "loadBalancers/web" },
      ]),
    );
  });

  it("converges: observed again, nothing differs and nothing is written; reads are one call of each kind", async () => {
    const [entry] = await desiredOf(spec());
    recorded.reset();
    const live = (await observeOne(entry!, ctx))!;
    expect(recorded.writes()).toEqual([]);
    // The tags come from the Tagging API, which lists the load balancer as the stack's: no DescribeTags.
    expect(recorded.actions().sort()).toEqual(["DescribeLoadBalancerAttributes", "DescribeLoadBalancers"]);
    expect(reconciler.diff(entry!.value, live).lines).toEqual([]);
    expect(live.subnetIds).toEqual(await subnetsIn("us-east-1a", "us-east-1b"));
    expect(live.attributes).toEqual({
      idleTimeoutSeconds: 60,
      deletionProtection: false,
      accessLogs: { enabled: false, bucket: "", prefix: "" },
    });

    const outputs = reconciler.outputs(live);
    expect(outputs).toMatchObject({ arn: live.id, name, arnSuffix: expect.stringMatching(new RegExp(`^app/${name}/[0-9a-f]+$`)) });
    expect(outputs.dnsName).toMatch(/\.elb\.amazonaws\.com$/);
    expect(outputs.canonicalHostedZoneId).toBeTruthy();
  });

  it("a subnet added (us-east-1c) is exactly one SetSubnets", async () => {
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
    const { diffs, writes, sent } = await converge(spec(), ctx);
    expect(diffs).toEqual([
      {
        path: "subnets",
        before: await subnetsIn("us-east-1a", "us-east-1b"),
        after: await subnetsIn("us-east-1a", "us-east-1b", "us-east-1c"),
      },
    ]);
    expect(writes).toEqual(["SetSubnets"]);
    expect((sent[0]!.input.Subnets as string[]).slice().sort()).toEqual(await subnetsIn("us-east-1a", "us-east-1b", "us-east-1c"));
  });

  it("a security group added is exactly one SetSecurityGroups", async () => {
    lb = { ...lb, securityGroups: ["alb", "other"] };
    const { diffs, writes } = await converge(spec(), ctx);
    expect(diffs).toEqual([{ path: "securityGroups", before: [groups.alb], after: [groups.alb, groups.other].sort() }]);
    expect(writes).toEqual(["SetSecurityGroups"]);
  });

  it("dual-stack is exactly one SetIpAddressType", async () => {
    lb = { ...lb, ipAddressType: "dualstack" };
    const { diffs, writes } = await converge(spec(), ctx);
    expect(diffs).toEqual([{ path: "ipAddressType", before: "ipv4", after: "dualstack" }]);
    expect(writes).toEqual(["SetIpAddressType"]);
  });

  it("an idle timeout is one ModifyLoadBalancerAttributes with that key alone; left out again, it is set back to 60", async () => {
    lb = { ...lb, idleTimeoutSeconds: 120 };
    const set = await converge(spec(), ctx);
    expect(set.diffs).toEqual([{ path: "idleTimeoutSeconds", before: 60, after: 120 }]);
    expect(set.writes).toEqual(["ModifyLoadBalancerAttributes"]);
    expect(set.sent[0]!.input.Attributes).toEqual([{ Key: "idle_timeout.timeout_seconds", Value: "120" }]);

    const { idleTimeoutSeconds: _, ...rest } = lb;
    lb = rest;
    const reset = await converge(spec(), ctx);
    expect(reset.diffs).toEqual([{ path: "idleTimeoutSeconds", before: 120, after: 60 }]);
    expect(reset.writes).toEqual(["ModifyLoadBalancerAttributes"]);
    expect(reset.sent[0]!.input.Attributes).toEqual([{ Key: "idle_timeout.timeout_seconds", Value: "60" }]);
  });

  it("access logs are one ModifyLoadBalancerAttributes to turn them on, and one with the flag alone to turn them off", async () => {
    const bucket = `logs-${uniqueName()}`;
    lb = { ...lb, accessLogs: { bucket, prefix: "alb" } };
    const on = await converge(spec(), ctx);
    expect(on.diffs.map((d) => d.path)).toEqual(["accessLogs.enabled", "accessLogs.bucket", "accessLogs.prefix"]);
    expect(on.writes).toEqual(["ModifyLoadBalancerAttributes"]);
    expect(on.sent[0]!.input.Attributes).toEqual([
      { Key: "access_logs.s3.enabled", Value: "true" },
      { Key: "access_logs.s3.bucket", Value: bucket },
      { Key: "access_logs.s3.prefix", Value: "alb" },
    ]);

    const { accessLogs: _, ...rest } = lb;
    lb = rest;
    const off = await converge(spec(), ctx);
    expect(off.diffs).toEqual([{ path: "accessLogs.enabled", before: true, after: false }]);
    expect(off.writes).toEqual(["ModifyLoadBalancerAttributes"]);
    expect(off.sent[0]!.input.Attributes).toEqual([{ Key: "access_logs.s3.enabled", Value: "false" }]);
  });

  it("a tag added out of band is removed and the spec's new tag added: one RemoveTags, one AddTags", async () => {
    const [entry] = await desiredOf(spec());
    await clients.elbv2.send(
      new AddTagsCommand({ ResourceArns: [(await observeOne(entry!, ctx))!.id], Tags: [{ Key: "owner", Value: "someone" }] }),
    );
    lb = { ...lb, tags: { team: "web" } };
    const { diffs, writes, sent } = await converge(spec(), ctx);
    expect(diffs).toEqual([
      { path: "tags.owner", before: "someone" },
      { path: "tags.team", after: "web" },
    ]);
    expect(writes).toEqual(["RemoveTags", "AddTags"]);
    expect(sent.map((c) => [c.input.TagKeys, c.input.Tags])).toEqual([
      [["owner"], undefined],
      [undefined, [{ Key: "team", Value: "web" }]],
    ]);
  });

  it("deletion protection is one ModifyLoadBalancerAttributes, and then delete refuses without any call", async () => {
    lb = { ...lb, deletionProtection: true };
    const { diffs, writes } = await converge(spec(), ctx);
    expect(diffs).toEqual([{ path: "deletionProtection", before: false, after: true }]);
    expect(writes).toEqual(["ModifyLoadBalancerAttributes"]);

    const [entry] = await desiredOf(spec());
    const live = (await observeOne(entry!, ctx))!;
    recorded.reset();
    await expect(reconciler.delete(live, ctx)).rejects.toThrow(`load balancer ${name} has deletion protection on`);
    expect(recorded.actions()).toEqual([]);
    expect(await observeOne(entry!, ctx)).toBeDefined();
  });

  it("with protection turned off by an apply, delete removes it and waits until it is gone; a second delete succeeds", async () => {
    const { deletionProtection: _, ...rest } = lb;
    lb = rest;
    const { diffs } = await converge(spec(), ctx);
    expect(diffs).toEqual([{ path: "deletionProtection", before: true, after: false }]);

    const [entry] = await desiredOf(spec());
    const live = (await observeOne(entry!, ctx))!;
    recorded.reset();
    await reconciler.delete(live, ctx);
    // The waiter's DescribeLoadBalancers: moto drops a load balancer at once, so its first look finds it gone.
    expect(recorded.actions()).toEqual(["DeleteLoadBalancer", "DescribeLoadBalancers"]);
    const gone = await clients.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [live.id] })).then(
      () => false,
      (error: unknown) => awsErrorIs(error, "LoadBalancerNotFound"),
    );
    expect(gone).toBe(true);
    expect(await observeOne(entry!, ctx)).toBeUndefined();

    await expect(reconciler.delete(live, ctx)).resolves.toBeUndefined();
  });
});

describe("discovery", () => {
  const stack = uniqueName();
  const otherStack = uniqueName();
  const ctx = contextOf(stack);
  const made: ObservedLoadBalancer[] = [];

  afterAll(async () => {
    // Best effort: deletion protection off first, so that the load balancers can go.
    for (const live of made) await reconciler.delete({ ...live, attributes: { ...live.attributes, deletionProtection: false } }, ctx);
  });

  it("finds every load balancer tagged with the stack, with its attributes, and leaves out the known ones and other stacks'", async () => {
    const ours = await desiredOf(specOf(stack, { web: {}, api: { deletionProtection: true } }));
    const theirs = await desiredOf(specOf(otherStack, { web: {} }));
    const byLogical: Record<string, ObservedLoadBalancer> = {};
    for (const { address, value } of ours) {
      recorded.reset();
      byLogical[address] = await reconciler.create(value, ctx);
      made.push(byLogical[address]!);
      // Only the protected one differs from AWS's defaults: one ModifyLoadBalancerAttributes after the create.
      expect(recorded.writes()).toEqual(
        address === "loadBalancers.api" ? ["CreateLoadBalancer", "ModifyLoadBalancerAttributes"] : ["CreateLoadBalancer"],
      );
    }
    made.push(await reconciler.create(theirs[0]!.value, contextOf(otherStack)));
    const web = byLogical["loadBalancers.web"]!;
    const api = byLogical["loadBalancers.api"]!;

    const all = await reconciler.discover(ctx, new Set());
    expect(all.map((lb) => lb.name)).toEqual([`${stack}-api`, `${stack}-web`]);
    expect(all.map((lb) => lb.attributes.deletionProtection)).toEqual([true, false]);
    expect(all.every((lb) => lb.tags["reconcile:stack"] === stack)).toBe(true);

    const unknown = await reconciler.discover(ctx, new Set([web.id]));
    expect(unknown.map((lb) => lb.id)).toEqual([api.id]);
    expect(reconciler.diff(ours.find((o) => o.address === "loadBalancers.api")!.value, unknown[0]!).lines).toEqual([]);

    expect(await reconciler.discover(ctx, new Set([web.id, api.id]))).toEqual([]);
  });
});
