import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { UNKNOWN } from "../../src/plan/model.js";
import { securityGroupRulesReconciler as rulesReconciler } from "../../src/reconcilers/ec2/security-group-rules/index.js";
import {
  grantedByOthers,
  type ObservedSecurityGroupRules,
  type SecurityGroupRulesDesired,
} from "../../src/reconcilers/ec2/security-group-rules/model.js";
import { securityGroupsReconciler as groupsReconciler } from "../../src/reconcilers/ec2/security-groups/index.js";
import type { ObservedSecurityGroup } from "../../src/reconcilers/ec2/security-groups/model.js";
import type { Context, Outputs } from "../../src/reconcilers/contract.js";
import { specSchema, type Spec } from "../../src/schema/spec.js";
import { motoClientConfig } from "../support/moto-env.js";
import { recordCalls, uniqueName } from "../support/reconciler-tests.js";

// moto 5.2.5 honours both things these reconcilers rely on (checked in its source, ec2/models/security_groups.py,
// and by these tests): TagSpecifications of type security-group-rule on Authorize* tag the new rules, and
// DescribeSecurityGroupRules filters by tag:<key> as well as by group-id.
//
// Where moto differs from AWS, worked around here only:
// - moto's DescribeSecurityGroupRules drops the Description of a rule whose peer is a group or a prefix list
//   (it keeps only those of CIDR rules); AWS returns it. For a group peer the reconciler reads it from
//   DescribeSecurityGroups, which moto answers right (withPeerRuleDescriptions): the observe below makes that
//   extra read on moto only, and the described rule between groups compares equal.
// - moto's default security group has no self-referencing ingress rule (AWS's has one); nothing here depends on it.

const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

const randomInt = (from: number, to: number) => from + Math.floor(Math.random() * (to - from + 1));
const contextOf = (stack: string): Context => ({ stack, region: "us-east-1", clients });

/** EC2 actions called, in order, while `run` runs. */
const recorded = recordCalls(clients.ec2);
async function recording<T>(run: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
  recorded.reset();
  const result = await run();
  return { result, calls: recorded.actions() };
}

let vpcId = "";
beforeAll(async () => {
  const { Vpcs } = await clients.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }));
  vpcId = Vpcs![0]!.VpcId!;
});

function specOf(stack: string, securityGroups: Record<string, unknown>): Spec {
  return specSchema.parse({
    stack,
    region: "us-east-1",
    tags: { suite: "security-groups" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    securityGroups,
  });
}

function outputsOf(known: Record<string, Record<string, string | string[]>>): Outputs {
  return {
    string: (address, output) => {
      const value = known[address]?.[output];
      return typeof value === "string" ? value : UNKNOWN;
    },
    list: () => UNKNOWN,
  };
}

interface Live {
  groups: Map<string, ObservedSecurityGroup>;
  rules: Map<string, ObservedSecurityGroupRules>;
  desiredRules: Map<string, SecurityGroupRulesDesired>;
  outputs: Record<string, Record<string, string | string[]>>;
}

/** Reads both kinds as the engine does: groups first, whose ids the rules are built from. Never writes. */
async function observeStack(spec: Spec, ctx: Context): Promise<Live> {
  const outputs: Live["outputs"] = { network: { vpcId } };
  const groupDesired = groupsReconciler.nodes(spec).map((n) => ({ address: n.address, value: n.build(outputsOf(outputs)) }));
  const groups = await groupsReconciler.observe(groupDesired, ctx);
  for (const [address, live] of groups) outputs[address] = groupsReconciler.outputs(live);
  const ruleDesired = rulesReconciler.nodes(spec).map((n) => ({ address: n.address, value: n.build(outputsOf(outputs)) }));
  const rules = await rulesReconciler.observe(ruleDesired, ctx);
  return { groups, rules, desiredRules: new Map(ruleDesired.map((d) => [d.address, d.value])), outputs };
}

/** Converges both kinds in the engine's order: each group, then each rule set, built from the groups' ids. */
async function converge(spec: Spec, ctx: Context): Promise<void> {
  const outputs: Live["outputs"] = { network: { vpcId } };
  const groupNodes = groupsReconciler.nodes(spec);
  const groupDesired = groupNodes.map((n) => ({ address: n.address, value: n.build(outputsOf(outputs)) }));
  const groups = await groupsReconciler.observe(groupDesired, ctx);
  for (const { address, value } of groupDesired) {
    let live = groups.get(address);
    if (!live) live = await groupsReconciler.create(value, ctx);
    else {
      const { lines, change } = groupsReconciler.diff(value, live);
      if (lines.length > 0) live = await groupsReconciler.update(change, live, ctx);
    }
    outputs[address] = groupsReconciler.outputs(live);
  }
  const ruleDesired = rulesReconciler.nodes(spec).map((n) => ({ address: n.address, value: n.build(outputsOf(outputs)) }));
  const rules = await rulesReconciler.observe(ruleDesired, ctx);
  for (const { address, value } of ruleDesired) {
    const live = rules.get(address);
    if (!live) await rulesReconciler.create(value, ctx);
    else {
      const { lines, change } = rulesReconciler.diff(value, live);
      if (lines.length > 0) await rulesReconciler.update(change, live, ctx);
    }
  }
}

async function rulesOf(groupId: string): Promise<SecurityGroupRule[]> {
  const { SecurityGroupRules } = await clients.ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [groupId] }] }),
  );
  return SecurityGroupRules ?? [];
}

/** A rule as the test compares it: what, which way, and whose. */
const summary = (r: SecurityGroupRule) => ({
  egress: r.IsEgress,
  protocol: r.IpProtocol,
  ports: `${r.FromPort}-${r.ToPort}`,
  peer: r.CidrIpv4 ?? r.CidrIpv6 ?? r.ReferencedGroupInfo?.GroupId ?? r.PrefixListId,
  ...(r.Description !== undefined && { description: r.Description }),
  stack: r.Tags?.find((t) => t.Key === "reconcile:stack")?.Value,
});
const byPeerAndPort = (a: ReturnType<typeof summary>, b: ReturnType<typeof summary>) =>
  `${a.egress} ${a.ports} ${a.peer}`.localeCompare(`${b.egress} ${b.ports} ${b.peer}`);

describe("an owned group and its rules", () => {
  const stack = uniqueName();
  const ctx = contextOf(stack);
  const groups = (albDescription: string) => ({
    alb: { ingress: [{ port: 80, cidr: "0.0.0.0/0", description: albDescription }], egress: [{ port: 443, cidr: "0.0.0.0/0" }] },
    app: {
      ingress: [
        { port: 8080, securityGroup: "alb", description: "from the load balancer" },
        { protocol: "icmp", cidr: "10.0.0.0/8" },
      ],
    },
  });
  const spec = specOf(stack, groups("web"));
  let ids: { alb: string; app: string } = { alb: "", app: "" };

  it("from nothing: the groups are absent, so are their rules, whose peers are known after apply", async () => {
    const live = await observeStack(spec, ctx);
    expect(live.groups.size).toBe(0);
    expect(live.rules.size).toBe(0);
    const app = live.desiredRules.get("securityGroupRules.app")!;
    expect(rulesReconciler.preview!(app).map((d) => d.path)).toEqual([
      "ingress[tcp/8080 from securityGroups.alb (known after apply)]",
      "ingress[icmp from 10.0.0.0/8]",
    ]);
  });

  it("creates the groups with their tags and the rules tagged; AWS's default egress goes only where the spec lists egress", async () => {
    await converge(spec, ctx);
    const { SecurityGroups } = await clients.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: "tag:reconcile:stack", Values: [stack] }] }),
    );
    const byName = new Map(SecurityGroups!.map((g) => [g.GroupName, g]));
    ids = { alb: byName.get(`${stack}-alb`)!.GroupId!, app: byName.get(`${stack}-app`)!.GroupId! };
    expect(byName.get(`${stack}-alb`)!.Tags).toEqual(
      expect.arrayContaining([
        { Key: "reconcile:stack", Value: stack },
        { Key: "reconcile:id", Value: "securityGroups/alb" },
        { Key: "suite", Value: "security-groups" },
      ]),
    );
    expect(byName.get(`${stack}-app`)!.Description).toBe(`Managed by reconcile: stack ${stack}, app`);

    expect((await rulesOf(ids.alb)).map(summary).sort(byPeerAndPort)).toEqual([
      { egress: false, protocol: "tcp", ports: "80-80", peer: "0.0.0.0/0", description: "web", stack },
      { egress: true, protocol: "tcp", ports: "443-443", peer: "0.0.0.0/0", stack },
    ]);
    expect((await rulesOf(ids.app)).map(summary).sort(byPeerAndPort)).toEqual([
      { egress: false, protocol: "icmp", ports: "-1--1", peer: "10.0.0.0/8", stack },
      // moto drops the description here (see the top); DescribeSecurityGroups has it.
      { egress: false, protocol: "tcp", ports: "8080-8080", peer: ids.alb, stack },
      // The spec lists no egress for app: AWS's default stays, untagged.
      { egress: true, protocol: "-1", ports: "-1--1", peer: "0.0.0.0/0", stack: undefined },
    ]);
  });

  it("observed again, nothing differs, in one describe call per kind (and moto's description read) and no write", async () => {
    const { result: live, calls: made } = await recording(() => observeStack(spec, ctx));
    // The groups by name, and the stack's groups by tag (a group of ours under an older name; in a plan, discover
    // shares that read); the last DescribeSecurityGroups fills in the group-peer rule's description moto leaves out
    // (see the top).
    expect(made).toEqual(["DescribeSecurityGroups", "DescribeSecurityGroups", "DescribeSecurityGroupRules", "DescribeSecurityGroups"]);
    for (const node of groupsReconciler.nodes(spec)) {
      const desired = node.build(outputsOf(live.outputs));
      expect(groupsReconciler.diff(desired, live.groups.get(node.address)!).lines).toEqual([]);
    }
    for (const [address, desired] of live.desiredRules) expect(rulesReconciler.diff(desired, live.rules.get(address)!).lines).toEqual([]);
  });

  it("a rule added out of band is reported, and the update revokes it and nothing else", async () => {
    await clients.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: ids.app,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "203.0.113.0/24" }] }],
      }),
    );
    const before = await rulesOf(ids.app);
    const live = await observeStack(spec, ctx);
    const desired = live.desiredRules.get("securityGroupRules.app")!;
    const observed = live.rules.get("securityGroupRules.app")!;
    const { lines, change } = rulesReconciler.diff(desired, observed);
    expect(lines).toEqual([{ path: "ingress[tcp/22 from 203.0.113.0/24]", before: "allowed" }]);
    expect(rulesReconciler.diff(live.desiredRules.get("securityGroupRules.alb")!, live.rules.get("securityGroupRules.alb")!).lines).toEqual(
      [],
    );

    const { calls: made } = await recording(() => rulesReconciler.update(change, observed, ctx));
    expect(made.filter((c) => !c.startsWith("Describe"))).toEqual(["RevokeSecurityGroupIngress"]);
    const after = await rulesOf(ids.app);
    const ssh = before.find((r) => r.FromPort === 22)!;
    expect(after.map((r) => r.SecurityGroupRuleId).sort()).toEqual(
      before
        .filter((r) => r !== ssh)
        .map((r) => r.SecurityGroupRuleId)
        .sort(),
    );
  });

  it("a new description is set on the rule in place: same rule id, new description", async () => {
    const changed = specOf(stack, groups("public web"));
    const [ruleBefore] = (await rulesOf(ids.alb)).filter((r) => !r.IsEgress);
    const live = await observeStack(changed, ctx);
    const desired = live.desiredRules.get("securityGroupRules.alb")!;
    const observed = live.rules.get("securityGroupRules.alb")!;
    const { lines, change } = rulesReconciler.diff(desired, observed);
    expect(lines).toEqual([{ path: "ingress[tcp/80 from 0.0.0.0/0].description", before: "web", after: "public web" }]);
    const updated = await rulesReconciler.update(change, observed, ctx);
    expect(rulesReconciler.diff(desired, updated).lines).toEqual([]);
    const [ruleAfter] = (await rulesOf(ids.alb)).filter((r) => !r.IsEgress);
    expect([ruleAfter!.SecurityGroupRuleId, ruleAfter!.Description]).toEqual([ruleBefore!.SecurityGroupRuleId, "public web"]);
  });

  it("a group's tags change in place: the spec's added, one added out of band removed, in one CreateTags and one DeleteTags", async () => {
    await clients.ec2.send(new CreateTagsCommand({ Resources: [ids.alb], Tags: [{ Key: "by-hand", Value: "x" }] }));
    const tagged = specOf(stack, { ...groups("public web"), alb: { ...groups("public web").alb, tags: { tier: "edge" } } });
    const live = await observeStack(tagged, ctx);
    const node = groupsReconciler.nodes(tagged).find((n) => n.address === "securityGroups.alb")!;
    const observed = live.groups.get(node.address)!;
    const { lines, change } = groupsReconciler.diff(node.build(outputsOf(live.outputs)), observed);
    expect(lines).toEqual([
      { path: "tags.by-hand", before: "x" },
      { path: "tags.tier", after: "edge" },
    ]);

    const { result: updated, calls: made } = await recording(() => groupsReconciler.update(change, observed, ctx));
    expect(made).toEqual(["CreateTags", "DeleteTags"]);
    const { SecurityGroups } = await clients.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-id", Values: [ids.alb] }] }),
    );
    const tags = Object.fromEntries(SecurityGroups![0]!.Tags!.map((t) => [t.Key, t.Value]));
    expect(tags).toEqual({ "reconcile:stack": stack, "reconcile:id": "securityGroups/alb", suite: "security-groups", tier: "edge" });
    expect(updated.tags).toEqual(tags);
  });

  it("discover finds exactly this stack's groups and rules, by their tags", async () => {
    const found = await groupsReconciler.discover(ctx, new Set());
    expect(found.map((g) => g.id).sort()).toEqual([ids.alb, ids.app].sort());
    expect(found.every((g) => g.tags["reconcile:stack"] === stack && g.vpcId === vpcId)).toBe(true);

    const sets = await rulesReconciler.discover(ctx, new Set());
    expect(sets.map((s) => [s.tags["reconcile:id"], s.id, s.name]).sort()).toEqual(
      [
        ["securityGroupRules/alb", ids.alb, `rules of ${stack}-alb`],
        ["securityGroupRules/app", ids.app, `rules of ${stack}-app`],
      ].sort(),
    );
    // Only the tagged rules: app's default egress is not the stack's tagged rule.
    expect(sets.flatMap((s) => s.rules).every((r) => r.ours)).toBe(true);
    expect(sets.find((s) => s.id === ids.app)!.rules).toHaveLength(2);
  });

  it("delete: rules first, then the groups; deleting what is already gone succeeds", async () => {
    const live = await observeStack(spec, ctx);
    // One of alb's rules goes out of band between the look and the delete: the rest still go.
    const [gone] = (await rulesOf(ids.alb)).filter((r) => !r.IsEgress);
    await clients.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: ids.alb, SecurityGroupRuleIds: [gone!.SecurityGroupRuleId!] }));
    for (const set of live.rules.values()) await rulesReconciler.delete(set, ctx);
    expect(await rulesOf(ids.alb)).toEqual([]);
    // app's egress is AWS's and unmanaged: left to go with the group.
    expect((await rulesOf(ids.app)).map(summary)).toEqual([
      { egress: true, protocol: "-1", ports: "-1--1", peer: "0.0.0.0/0", stack: undefined },
    ]);
    for (const group of live.groups.values()) await groupsReconciler.delete(group, ctx);
    const { SecurityGroups } = await clients.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-id", Values: [ids.alb, ids.app] }] }),
    );
    expect(SecurityGroups).toEqual([]);

    for (const group of live.groups.values()) await expect(groupsReconciler.delete(group, ctx)).resolves.toBeUndefined();
    for (const set of live.rules.values()) await expect(rulesReconciler.delete(set, ctx)).resolves.toBeUndefined();
    expect(await groupsReconciler.discover(ctx, new Set())).toEqual([]);
    expect(await rulesReconciler.discover(ctx, new Set())).toEqual([]);
  });
});

describe("rules of a group replaced since they were read", () => {
  const stack = uniqueName();
  const ctx = contextOf(stack);
  const spec = specOf(stack, { web: { ingress: [{ port: 80, cidr: "0.0.0.0/0" }], egress: [{ port: 443, cidr: "0.0.0.0/0" }] } });
  let successor = "";

  afterAll(async () => {
    for (const group of await groupsReconciler.discover(ctx, new Set())) await groupsReconciler.delete(group, ctx);
    if (successor) await clients.ec2.send(new DeleteSecurityGroupCommand({ GroupId: successor }));
  });

  it("converges the new group's rules, which the old group's say nothing of: AWS's default egress goes there too", async () => {
    await converge(spec, ctx);
    const live = await observeStack(spec, ctx);
    const address = "securityGroupRules.web";
    const observed = live.rules.get(address)!;
    // What the engine does for a replaced group: the rules, read on the old group, are diffed against the new one's id.
    successor = (
      await clients.ec2.send(new CreateSecurityGroupCommand({ GroupName: uniqueName(), Description: "successor", VpcId: vpcId }))
    ).GroupId!;
    const node = rulesReconciler.nodes(spec).find((n) => n.address === address)!;
    const desired = node.build(outputsOf({ ...live.outputs, "securityGroups.web": { id: successor } }));
    const { lines, change } = rulesReconciler.diff(desired, observed);
    expect(lines).toEqual([
      { path: "groupId", before: observed.id, after: successor },
      { path: "egress[tcp/443 to 0.0.0.0/0]", after: "allowed" },
      { path: "ingress[tcp/80 from 0.0.0.0/0]", after: "allowed" },
    ]);

    const updated = await rulesReconciler.update(change, observed, ctx);
    expect(updated.id).toBe(successor);
    expect((await rulesOf(successor)).map(summary).sort(byPeerAndPort)).toEqual([
      { egress: false, protocol: "tcp", ports: "80-80", peer: "0.0.0.0/0", stack },
      { egress: true, protocol: "tcp", ports: "443-443", peer: "0.0.0.0/0", stack },
    ]);
    expect(rulesReconciler.diff(desired, updated).lines).toEqual([]);
    await rulesReconciler.delete(updated, ctx);
  });
});

describe("rules on groups the stack does not own", () => {
  const stack = uniqueName();
  const ctx = contextOf(stack);
  // The default group is shared with every other test: a port and block no one else uses.
  const port = randomInt(10000, 60000);
  const cidr = `10.${randomInt(0, 255)}.${randomInt(0, 255)}.0/24`;
  const rule = { port, cidr };
  let otherId = "";
  let defaultId = "";
  let spec: Spec;

  beforeAll(async () => {
    const created = await clients.ec2.send(
      new CreateSecurityGroupCommand({ GroupName: uniqueName(), Description: "someone else's", VpcId: vpcId }),
    );
    otherId = created.GroupId!;
    await clients.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: otherId,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] }],
      }),
    );
    const { SecurityGroups } = await clients.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: "vpc-id", Values: [vpcId] },
          { Name: "group-name", Values: ["default"] },
        ],
      }),
    );
    defaultId = SecurityGroups![0]!.GroupId!;
    spec = specOf(stack, {
      shared: { existing: { name: "default" }, ingress: [rule] },
      other: { existing: { id: otherId }, ingress: [rule] },
    });
  });

  afterAll(async () => {
    if (otherId) await clients.ec2.send(new DeleteSecurityGroupCommand({ GroupId: otherId }));
  });

  const mineOn = async (groupId: string) => (await rulesOf(groupId)).filter((r) => r.FromPort === port).map(summary);

  it("adds the rule, tagged, to the default group; on the other group an identical untagged rule satisfies the spec", async () => {
    const otherBefore = await rulesOf(otherId);
    await converge(spec, ctx);
    expect(await mineOn(defaultId)).toEqual([{ egress: false, protocol: "tcp", ports: `${port}-${port}`, peer: cidr, stack }]);
    // Nothing added to the other group, and its own rule untouched.
    expect(await rulesOf(otherId)).toEqual(otherBefore);

    const live = await observeStack(spec, ctx);
    expect([...live.groups.values()].map((g) => g.id).sort()).toEqual([defaultId, otherId].sort());
    for (const [address, desired] of live.desiredRules) expect(rulesReconciler.diff(desired, live.rules.get(address)!).lines).toEqual([]);
    const other = "securityGroupRules.other";
    expect(grantedByOthers(live.desiredRules.get(other)!, live.rules.get(other)!)).toEqual([`ingress[tcp/${port} from ${cidr}]`]);
    // The sets carry the node's ownership tags, so the engine sees them as the stack's; the rules are told apart one by one.
    expect(live.rules.get(other)!.tags["reconcile:stack"]).toBe(stack);
    expect(
      live.rules
        .get(other)!
        .rules.filter((r) => r.fromPort === port)
        .map((r) => r.ours),
    ).toEqual([false]);
  });

  it("discover finds the stack's rule on the default group, and nothing of another stack", async () => {
    const sets = await rulesReconciler.discover(ctx, new Set());
    expect(sets.map((s) => [s.tags["reconcile:id"], s.id, s.name, s.rules.length])).toEqual([
      ["securityGroupRules/shared", defaultId, "rules of default", 1],
    ]);
    expect(await groupsReconciler.discover(ctx, new Set())).toEqual([]);
  });

  it("delete revokes the stack's rule and leaves the untagged one alone", async () => {
    const live = await observeStack(spec, ctx);
    for (const set of live.rules.values()) await rulesReconciler.delete(set, ctx);
    expect(await mineOn(defaultId)).toEqual([]);
    expect(await mineOn(otherId)).toEqual([{ egress: false, protocol: "tcp", ports: `${port}-${port}`, peer: cidr, stack: undefined }]);
    expect(await rulesReconciler.discover(ctx, new Set())).toEqual([]);
  });
});
