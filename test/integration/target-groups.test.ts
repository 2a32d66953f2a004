import { DescribeSubnetsCommand, DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DescribeTargetGroupsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { awsErrorIs, createClients } from "../../src/aws/index.js";
import { UNKNOWN } from "../../src/plan/model.js";
import { targetGroupsReconciler as reconciler } from "../../src/reconcilers/elb/target-groups/index.js";
import { generationName, type ObservedTargetGroup, type TargetGroupDesired } from "../../src/reconcilers/elb/target-groups/model.js";
import type { Context, Outputs } from "../../src/reconcilers/contract.js";
import { specSchema, type SpecInput } from "../../src/schema/index.js";
import { motoClientConfig } from "../support/moto-env.js";
import { REFERENCE_INPUT, REFERENCE_TARGET_GROUP_AWS } from "../support/specs.js";
import { recordCalls, uniqueName } from "../support/reconciler-tests.js";

// Where moto differs from AWS, worked around here only:
// - moto ignores HealthCheckEnabled=false at create, so no group here turns its health check off.
// - moto's DeleteTargetGroup answers TargetGroupNotFound for a group already gone, an error AWS's API reference
//   does not list for that action; delete takes it as success, as it does AWS's silent success.

// maxAttempts 2: moto answers 500 to an unimplemented action, which the SDK would otherwise retry for a while.
const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

const elb = recordCalls(clients.elbv2);
const tagging = recordCalls(clients.tagging);
beforeEach(() => {
  elb.reset();
  tagging.reset();
});

type TargetGroupInput = NonNullable<SpecInput["targetGroups"]>[string];

/** examples/microblog.yaml's `tgCurso107`, under a name no other test uses. */
const reference = (name: string): TargetGroupInput => ({ ...REFERENCE_INPUT.targetGroups!.web!, name });

let vpcId = "";
let subnetIds: string[] = [];
beforeAll(async () => {
  const { Vpcs } = await clients.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }));
  vpcId = Vpcs![0]!.VpcId!;
  const { Subnets } = await clients.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }));
  subnetIds = Subnets!.map((s) => s.SubnetId!).slice(0, 2);
});

const contextOf = (stack: string, with_ = clients): Context => ({ stack, region: "us-east-1", clients: with_ });

const networkOutputs = (): Outputs => ({ string: () => vpcId, list: () => UNKNOWN });

/** The one node of a spec with this target group, built as the engine builds it. */
function desiredOf(stack: string, entry: TargetGroupInput): { address: string; value: TargetGroupDesired } {
  const spec = specSchema.parse({
    stack,
    region: "us-east-1",
    tags: { suite: "target-groups" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    targetGroups: { web: entry },
  });
  const [node] = reconciler.nodes(spec);
  return { address: node!.address, value: node!.build(networkOutputs()) };
}

async function observe(stack: string, entry: TargetGroupInput): Promise<ObservedTargetGroup | undefined> {
  const desired = desiredOf(stack, entry);
  // As in a plan, whose reads the kinds share (the Tagging API's answer among them).
  return (await reconciler.observe([desired], { ...contextOf(stack), planReads: new Map() })).get(desired.address);
}

async function liveGroup(arn: string) {
  const { TargetGroups } = await clients.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }));
  return TargetGroups![0]!;
}

/** What one change of the spec takes: its diffs, and the writes of the update that applies them. */
async function change(stack: string, entry: TargetGroupInput) {
  const { value } = desiredOf(stack, entry);
  const live = (await observe(stack, entry))!;
  const { lines: diffs, change } = reconciler.diff(value, live);
  elb.reset();
  const updated = await reconciler.update(change, live, contextOf(stack));
  const writes = elb.sent.filter((c) => !/^(Describe|List|Get)/.test(c.action));
  // The result is what AWS now has: no diff against the spec, nor does observing again find one.
  expect(reconciler.diff(value, updated).lines).toEqual([]);
  expect(reconciler.diff(value, (await observe(stack, entry))!).lines).toEqual([]);
  return { diffs, writes };
}

describe("the reference target group against moto", () => {
  const stack = uniqueName();
  const ctx = contextOf(stack);
  const name = uniqueName();
  let entry = reference(name);
  let first: ObservedTargetGroup;

  afterAll(async () => {
    for (const group of await reconciler.discover(ctx, new Set())) await reconciler.delete(group, ctx);
  });

  it("from nothing: observe finds nothing, and create makes exactly one CreateTargetGroup, tags included", async () => {
    expect(await observe(stack, entry)).toBeUndefined();
    const { value } = desiredOf(stack, entry);
    elb.reset();
    first = await reconciler.create(value, ctx);
    expect(elb.writes()).toEqual(["CreateTargetGroup"]);
    expect(elb.sent[0]!.input).toMatchObject({
      Name: name,
      ...REFERENCE_TARGET_GROUP_AWS,
      VpcId: vpcId,
      Tags: [
        { Key: "suite", Value: "target-groups" },
        { Key: "reconcile:stack", Value: stack },
        { Key: "reconcile:id", Value: "targetGroups/web" },
      ],
    });
    expect(first).toMatchObject({ name, port: 8080, vpcId, tags: value.tags });
    expect(reconciler.outputs(first)).toEqual({
      arn: first.id,
      name,
      arnSuffix: expect.stringMatching(new RegExp(`^targetgroup/${name}/[0-9a-f]+$`)),
    });
    expect(first.id.endsWith(`:${reconciler.outputs(first).arnSuffix}`)).toBe(true);
  });

  it("observed again it has converged: no diff, no write, in three reads", async () => {
    const live = await observe(stack, entry);
    expect(live).toEqual({ ...first, attributes: expect.any(Object) });
    expect(reconciler.diff(desiredOf(stack, entry).value, live!).lines).toEqual([]);
    expect(elb.writes()).toEqual([]);
    expect(tagging.actions()).toEqual(["GetResources"]);
    // The tags are the Tagging API's, which lists the group as the stack's: no DescribeTags.
    expect(elb.actions()).toEqual(["DescribeTargetGroups", "DescribeTargetGroupAttributes"]);
  });

  it("two health-check fields changed make exactly one ModifyTargetGroup, with only those fields", async () => {
    entry = { ...entry, healthCheck: { ...entry.healthCheck, intervalSeconds: 30, matcher: "200-399" } };
    const { diffs, writes } = await change(stack, entry);
    expect(diffs).toEqual([
      { path: "healthCheck.intervalSeconds", before: 15, after: 30 },
      { path: "healthCheck.matcher.httpCode", before: "200-299", after: "200-399" },
    ]);
    expect(writes).toEqual([
      {
        action: "ModifyTargetGroup",
        input: { TargetGroupArn: first.id, HealthCheckIntervalSeconds: 30, Matcher: { HttpCode: "200-399" } },
      },
    ]);
  });

  it("a deregistration delay makes exactly one ModifyTargetGroupAttributes, with only that key", async () => {
    entry = { ...entry, deregistrationDelaySeconds: 30 };
    const { diffs, writes } = await change(stack, entry);
    expect(diffs).toEqual([{ path: "attributes.deregistrationDelaySeconds", before: 300, after: 30 }]);
    expect(writes).toEqual([
      {
        action: "ModifyTargetGroupAttributes",
        input: { TargetGroupArn: first.id, Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "30" }] },
      },
    ]);
  });

  it("stickiness on, then off again: each one ModifyTargetGroupAttributes with the changed keys", async () => {
    const sticky = await change(stack, { ...entry, stickiness: { durationSeconds: 3600 } });
    expect(sticky.diffs).toEqual([
      { path: "attributes.stickiness.enabled", before: false, after: true },
      { path: "attributes.stickiness.durationSeconds", before: 86400, after: 3600 },
    ]);
    expect(sticky.writes).toEqual([
      {
        action: "ModifyTargetGroupAttributes",
        input: {
          TargetGroupArn: first.id,
          Attributes: [
            { Key: "stickiness.enabled", Value: "true" },
            { Key: "stickiness.lb_cookie.duration_seconds", Value: "3600" },
          ],
        },
      },
    ]);

    const plain = await change(stack, entry);
    expect(plain.diffs).toEqual([
      { path: "attributes.stickiness.enabled", before: true, after: false },
      { path: "attributes.stickiness.durationSeconds", before: 3600, after: 86400 },
    ]);
    expect(plain.writes.map((w) => w.action)).toEqual(["ModifyTargetGroupAttributes"]);
  });

  it("a tag added makes exactly one AddTags; removed, exactly one RemoveTags", async () => {
    const tagged = await change(stack, { ...entry, tags: { team: "web" } });
    expect(tagged.diffs).toEqual([{ path: "tags.team", after: "web" }]);
    expect(tagged.writes).toEqual([{ action: "AddTags", input: { ResourceArns: [first.id], Tags: [{ Key: "team", Value: "web" }] } }]);

    const untagged = await change(stack, entry);
    expect(untagged.diffs).toEqual([{ path: "tags.team", before: "web" }]);
    expect(untagged.writes).toEqual([{ action: "RemoveTags", input: { ResourceArns: [first.id], TagKeys: ["team"] } }]);
  });

  it("a new port forces a replacement: the successor is created beside the first under the generation name", async () => {
    const moved = { ...entry, port: 9090 };
    const { value } = desiredOf(stack, moved);
    const live = (await observe(stack, moved))!;
    expect(live.id).toBe(first.id);
    expect(reconciler.diff(value, live).lines).toEqual([{ path: "port", before: 8080, after: 9090, forcesReplacement: true }]);

    const generation = generationName(name, { port: 9090, protocol: "HTTP", protocolVersion: "HTTP1", targetType: "ip", vpcId });
    const next = reconciler.successor!(value, live);
    expect(next.name).toBe(generation);
    elb.reset();
    const second = await reconciler.create(next.desired, ctx);
    // The delay of 30 s is not AWS's default: the one attribute call a new group needs.
    expect(elb.writes()).toEqual(["CreateTargetGroup", "ModifyTargetGroupAttributes"]);
    expect(second).toMatchObject({ name: generation, port: 9090 });
    expect((await liveGroup(first.id)).TargetGroupName).toBe(name);

    // The new spec's group is the generation; the old spec's is still the first (a crash now leaves both).
    const picked = (await observe(stack, moved))!;
    expect([picked.id, picked.name]).toEqual([second.id, generation]);
    expect(reconciler.diff(value, picked).lines).toEqual([]);
    expect((await observe(stack, entry))!.id).toBe(first.id);

    // discover finds both; leaving out what observe found, the old copy the engine prunes.
    expect((await reconciler.discover(ctx, new Set())).map((g) => g.name).sort()).toEqual([name, generation].sort());
    const older = await reconciler.discover(ctx, new Set([second.id]));
    expect(older.map((g) => [g.id, g.tags["reconcile:id"]])).toEqual([[first.id, "targetGroups/web"]]);

    // The next replacement takes the spec's name back.
    expect(reconciler.successor!(desiredOf(stack, { ...moved, port: 9091 }).value, picked).name).toBe(name);
  });

  it("delete: the old group goes; a group already gone is success", async () => {
    await reconciler.delete(first, ctx);
    await expect(reconciler.delete(first, ctx)).resolves.toBeUndefined();
    expect((await reconciler.discover(ctx, new Set())).map((g) => g.name)).toEqual([
      generationName(name, { port: 9090, protocol: "HTTP", protocolVersion: "HTTP1", targetType: "ip", vpcId }),
    ]);
  });
});

describe("looking for groups that do not exist yet", () => {
  it("costs a failed batch and one listing of the region's groups, not a DescribeTargetGroups per name", async () => {
    const stack = uniqueName();
    const desired = [0, 1, 2, 3, 4].map((i) => ({ ...desiredOf(stack, reference(uniqueName())), address: `targetGroups.g${i}` }));
    elb.reset();
    expect(await reconciler.observe(desired, { ...contextOf(stack), planReads: new Map() })).toEqual(new Map());
    // ELBv2 fails a batch of names as soon as one does not exist. The names' batch, then the generation names'
    // batch, fail; both fall back on one listing. Before: each name was asked again alone (1 + 5 + 1 + 5 calls).
    expect(elb.actions()).toEqual(["DescribeTargetGroups", "DescribeTargetGroups", "DescribeTargetGroups"]);
  });
});

describe("deleting a group a listener forwards to", () => {
  const stack = uniqueName();
  // Our retry policy, fast: ResourceInUse is retried (AWS clears it once a deleted listener is gone) and
  // still fails while the listener stays.
  const fast = createClients({
    ...motoClientConfig(),
    retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 5, factor: 2, maxRetryTimeMs: 5_000 },
  });
  afterAll(() => fast.destroy());
  let group: ObservedTargetGroup;
  let loadBalancerArn = "";
  let listenerArn = "";

  beforeAll(async () => {
    group = await reconciler.create(desiredOf(stack, reference(uniqueName())).value, contextOf(stack));
    const { LoadBalancers } = await clients.elbv2.send(new CreateLoadBalancerCommand({ Name: uniqueName(), Subnets: subnetIds }));
    loadBalancerArn = LoadBalancers![0]!.LoadBalancerArn!;
    const { Listeners } = await clients.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: loadBalancerArn,
        Protocol: "HTTP",
        Port: 8080,
        DefaultActions: [{ Type: "forward", TargetGroupArn: group.id }],
      }),
    );
    listenerArn = Listeners![0]!.ListenerArn!;
  });

  afterAll(async () => {
    if (listenerArn) await clients.elbv2.send(new DeleteListenerCommand({ ListenerArn: listenerArn }));
    if (loadBalancerArn) await clients.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: loadBalancerArn }));
  });

  it("fails, after the AWS layer's retries, with an error that says a listener or rule still uses it", async () => {
    const error = await reconciler.delete(group, contextOf(stack, fast)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(
      new RegExp(`^target group ${group.name} is still used by a listener or rule, so it cannot be deleted: `),
    );
    expect(error?.message).toMatch(/elasticloadbalancing DeleteTargetGroup: ResourceInUse: .* \(retryable; gave up after 3 attempts\)$/);
    expect(awsErrorIs(error?.cause, "ResourceInUse")).toBe(true);
    expect((await liveGroup(group.id)).TargetGroupArn).toBe(group.id);
  });

  it("once the listener is gone, the delete succeeds", async () => {
    await clients.elbv2.send(new DeleteListenerCommand({ ListenerArn: listenerArn }));
    listenerArn = "";
    await reconciler.delete(group, contextOf(stack));
    expect(await reconciler.discover(contextOf(stack), new Set())).toEqual([]);
  });
});
