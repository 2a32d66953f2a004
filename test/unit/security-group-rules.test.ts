import { readFileSync } from "node:fs";
import type { AuthorizeSecurityGroupEgressCommandInput, SecurityGroupRule as AwsSecurityGroupRule } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { UNKNOWN, type FieldDiff } from "../../src/plan/model.js";
import { securityGroupRulesReconciler } from "../../src/reconcilers/ec2/security-group-rules/index.js";
import {
  authorizeInput,
  grantedByOthers,
  type ObservedSecurityGroupRules,
  type RuleWrites,
  type SecurityGroupRulesDesired,
} from "../../src/reconcilers/ec2/security-group-rules/model.js";
import {
  normaliseProtocol,
  normaliseRule,
  parseRule,
  ruleKey,
  type ObservedRule,
  type Rule,
  type RuleDirection,
} from "../../src/reconcilers/ec2/security-group-rules/rule.js";
import { securityGroupsReconciler } from "../../src/reconcilers/ec2/security-groups/index.js";
import type { ObservedSecurityGroup, SecurityGroupChange, SecurityGroupDesired } from "../../src/reconcilers/ec2/security-groups/model.js";
import type { Outputs, Tags } from "../../src/reconcilers/contract.js";
import { securityGroupRule } from "../../src/schema/security-groups.js";
import { specSchema, type Spec } from "../../src/schema/spec.js";

function specWith(securityGroups: Record<string, unknown>, tags: Record<string, string> = {}): Spec {
  return specSchema.parse({
    stack: "demo",
    region: "us-east-1",
    tags,
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    securityGroups,
  });
}

/** The outputs the engine would pass: known for what exists, UNKNOWN for what is still to be created. */
function outputsOf(known: Record<string, Record<string, string>>): Outputs {
  return { string: (address, output) => known[address]?.[output] ?? UNKNOWN, list: () => UNKNOWN };
}

const GROUP_IDS = outputsOf({
  network: { vpcId: "vpc-0aaa" },
  "securityGroups.web": { id: "sg-0web" },
  "securityGroups.alb": { id: "sg-0alb" },
});

const OURS: Tags = { "reconcile:stack": "demo", "reconcile:id": "securityGroupRules/web" };

describe("normaliseRule: the spec's rules in AWS's form", () => {
  const idOf = (logical: string) => (logical === "alb" ? "sg-0alb" : UNKNOWN);
  it.each<[string, unknown, Rule]>([
    [
      "a single port is a range of one",
      { port: 80, cidr: "0.0.0.0/0" },
      { protocol: "tcp", fromPort: 80, toPort: 80, peer: { cidr: "0.0.0.0/0" } },
    ],
    [
      "a port range keeps both ends",
      { protocol: "udp", ports: { from: 8000, to: 8100 }, cidr: "10.0.0.0/8" },
      { protocol: "udp", fromPort: 8000, toPort: 8100, peer: { cidr: "10.0.0.0/8" } },
    ],
    [
      "`all` is AWS's -1, on every port",
      { protocol: "all", cidr: "0.0.0.0/0" },
      { protocol: "-1", fromPort: -1, toPort: -1, peer: { cidr: "0.0.0.0/0" } },
    ],
    [
      "ICMP without a port is every type and code",
      { protocol: "icmp", cidr: "10.0.0.0/8" },
      { protocol: "icmp", fromPort: -1, toPort: -1, peer: { cidr: "10.0.0.0/8" } },
    ],
    [
      "ICMPv6 likewise",
      { protocol: "icmpv6", ipv6Cidr: "::/0" },
      { protocol: "icmpv6", fromPort: -1, toPort: -1, peer: { ipv6Cidr: "::/0" } },
    ],
    [
      "an IPv6 block has one spelling, lower case and compressed",
      { port: 443, ipv6Cidr: "2001:DB8:0:0::/32" },
      { protocol: "tcp", fromPort: 443, toPort: 443, peer: { ipv6Cidr: "2001:db8::/32" } },
    ],
    [
      "a peer group that exists is its id",
      { port: 8080, securityGroup: "alb" },
      { protocol: "tcp", fromPort: 8080, toPort: 8080, peer: { groupId: "sg-0alb", securityGroup: "alb" } },
    ],
    [
      "a peer group still to be created is known after apply",
      { port: 8080, securityGroup: "api" },
      { protocol: "tcp", fromPort: 8080, toPort: 8080, peer: { groupId: UNKNOWN, securityGroup: "api" } },
    ],
    [
      "a prefix list, with its description",
      { port: 443, prefixList: "pl-63a5400a", description: "S3" },
      { protocol: "tcp", fromPort: 443, toPort: 443, peer: { prefixListId: "pl-63a5400a" }, description: "S3" },
    ],
    [
      "an empty description is none (AWS reports none)",
      { port: 22, cidr: "10.0.0.0/8", description: "" },
      { protocol: "tcp", fromPort: 22, toPort: 22, peer: { cidr: "10.0.0.0/8" } },
    ],
  ])("%s", (_reason, input, expected) => {
    expect(normaliseRule(securityGroupRule.parse(input), idOf)).toEqual(expected);
  });
});

describe("parseRule: a real DescribeSecurityGroupRules answer", () => {
  // The first three rules are AWS's documented example (aws-cli, describe-security-group-rules, example 1),
  // verbatim; the others are in the same shape, with the fields that example leaves out (Description, Tags).
  const fixture = JSON.parse(readFileSync(new URL("../fixtures/aws/describe-security-group-rules.json", import.meta.url), "utf8")) as {
    SecurityGroupRules: AwsSecurityGroupRule[];
  };
  const byId = new Map(fixture.SecurityGroupRules.map((r) => [r.SecurityGroupRuleId!, r]));

  it.each<[string, string, Omit<ObservedRule, "id">, string]>([
    [
      "all traffic from the group itself: -1 with ports -1, a referenced group",
      "sgr-abcdef01234567890",
      { direction: "ingress", protocol: "-1", fromPort: -1, toPort: -1, peer: { groupId: "sg-1234567890abcdef0" }, tags: {}, ours: false },
      "ingress[all from sg-1234567890abcdef0]",
    ],
    [
      "AWS's default IPv6 egress",
      "sgr-bcdef01234567890a",
      { direction: "egress", protocol: "-1", fromPort: -1, toPort: -1, peer: { ipv6Cidr: "::/0" }, tags: {}, ours: false },
      "egress[all to ::/0]",
    ],
    [
      "AWS's default IPv4 egress",
      "sgr-cdef01234567890ab",
      { direction: "egress", protocol: "-1", fromPort: -1, toPort: -1, peer: { cidr: "0.0.0.0/0" }, tags: {}, ours: false },
      "egress[all to 0.0.0.0/0]",
    ],
    [
      "tagged with this node's stack and id: the stack's, other tags kept",
      "sgr-0d1e2f3a4b5c6d7e8",
      {
        direction: "ingress",
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        peer: { cidr: "0.0.0.0/0" },
        description: "public https",
        tags: { team: "web", ...OURS },
        ours: true,
      },
      "ingress[tcp/443 from 0.0.0.0/0]",
    ],
    [
      "tagged by another stack with the same id: not ours",
      "sgr-1a2b3c4d5e6f7a8b9",
      {
        direction: "ingress",
        protocol: "tcp",
        fromPort: 8000,
        toPort: 8100,
        peer: { groupId: "sg-0abc1234def567890" },
        tags: { "reconcile:stack": "other", "reconcile:id": "securityGroupRules/web" },
        ours: false,
      },
      "ingress[tcp/8000-8100 from sg-0abc1234def567890]",
    ],
    [
      "a prefix list with a description",
      "sgr-2b3c4d5e6f7a8b9c0",
      {
        direction: "egress",
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        peer: { prefixListId: "pl-63a5400a" },
        description: "S3",
        tags: {},
        ours: false,
      },
      "egress[tcp/443 to pl-63a5400a]",
    ],
    [
      "every ICMPv6 type",
      "sgr-3c4d5e6f7a8b9c0d1",
      { direction: "ingress", protocol: "icmpv6", fromPort: -1, toPort: -1, peer: { ipv6Cidr: "2001:db8::/32" }, tags: {}, ours: false },
      "ingress[icmpv6 from 2001:db8::/32]",
    ],
    [
      "ICMP echo (type 8), every code",
      "sgr-4d5e6f7a8b9c0d1e2",
      { direction: "ingress", protocol: "icmp", fromPort: 8, toPort: -1, peer: { cidr: "10.0.0.0/8" }, tags: {}, ours: false },
      "ingress[icmp/8 from 10.0.0.0/8]",
    ],
  ])("%s", (_reason, id, expected, key) => {
    const parsed = parseRule(byId.get(id)!, OURS);
    expect(parsed).toEqual({ id, ...expected });
    expect(ruleKey(parsed, parsed.direction)).toBe(key);
  });

  it.each([
    ["6", "tcp", "a protocol number AWS names"],
    ["17", "udp", "a protocol number AWS names"],
    ["1", "icmp", "a protocol number AWS names"],
    ["58", "icmpv6", "a protocol number AWS names"],
    ["ALL", "-1", "`all`, in any case, is -1"],
    ["TCP", "tcp", "names are lower case"],
    ["50", "50", "a protocol without a name stays a number"],
  ])("protocol %s is %s: %s", (input, expected) => {
    expect(normaliseProtocol(input)).toBe(expected);
  });
});

describe("rule keys: the paths diffs are shown at", () => {
  const rule = (protocol: string, fromPort: number, toPort: number, peer: Rule["peer"]): Rule => ({ protocol, fromPort, toPort, peer });
  it.each<[string, Rule, RuleDirection, string]>([
    ["one port", rule("tcp", 80, 80, { cidr: "0.0.0.0/0" }), "ingress", "ingress[tcp/80 from 0.0.0.0/0]"],
    ["a range, from a group", rule("tcp", 8000, 8100, { groupId: "sg-0abc" }), "ingress", "ingress[tcp/8000-8100 from sg-0abc]"],
    ["every protocol, outbound", rule("-1", -1, -1, { cidr: "0.0.0.0/0" }), "egress", "egress[all to 0.0.0.0/0]"],
    [
      "a group not created yet, named so that two such rules differ",
      rule("tcp", 8080, 8080, { groupId: UNKNOWN, securityGroup: "alb" }),
      "ingress",
      "ingress[tcp/8080 from securityGroups.alb (known after apply)]",
    ],
    ["every ICMP type", rule("icmp", -1, -1, { cidr: "10.0.0.0/8" }), "ingress", "ingress[icmp from 10.0.0.0/8]"],
    ["an ICMP type and code", rule("icmp", 3, 4, { cidr: "10.0.0.0/8" }), "ingress", "ingress[icmp/3:4 from 10.0.0.0/8]"],
    ["a prefix list", rule("udp", 53, 53, { prefixListId: "pl-0123" }), "egress", "egress[udp/53 to pl-0123]"],
  ])("%s", (_reason, r, direction, key) => {
    expect(ruleKey(r, direction)).toBe(key);
  });
});

describe("diff of a group's rules", () => {
  let nextId = 0;
  /** One rule as DescribeSecurityGroupRules reports it, on sg-0web unless said otherwise. */
  function aws(rule: Partial<AwsSecurityGroupRule>): AwsSecurityGroupRule {
    return {
      SecurityGroupRuleId: `sgr-${(nextId++).toString(16).padStart(17, "0")}`,
      GroupId: "sg-0web",
      IsEgress: false,
      Tags: [],
      ...rule,
    };
  }
  const DEFAULT_EGRESS = aws({ IsEgress: true, IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv4: "0.0.0.0/0" });
  const tcp = (port: number, cidr: string, extra: Partial<AwsSecurityGroupRule> = {}) =>
    aws({ IpProtocol: "tcp", FromPort: port, ToPort: port, CidrIpv4: cidr, ...extra });
  const tagged = (tags: Tags) => ({ Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });

  function desiredFor(group: Record<string, unknown>): SecurityGroupRulesDesired {
    const spec = specWith({ web: group, alb: { ingress: [] } });
    return securityGroupRulesReconciler
      .nodes(spec)
      .find((n) => n.logical === "web")!
      .build(GROUP_IDS);
  }
  function observedFor(desired: SecurityGroupRulesDesired, rules: AwsSecurityGroupRule[], groupId = "sg-0web"): ObservedSecurityGroupRules {
    return {
      name: desired.groupName,
      id: groupId,
      tags: desired.tags,
      rules: rules.map((r) => parseRule(r, desired.tags)),
      claimsUntagged: { ingress: desired.groupOwned, egress: desired.groupOwned && desired.manageEgress },
    };
  }

  const EXISTING = { existing: { name: "default" } };

  it.each<[string, Record<string, unknown>, AwsSecurityGroupRule[], FieldDiff[]]>([
    [
      "the same rules in another order are no change",
      {
        ingress: [
          { port: 80, cidr: "0.0.0.0/0" },
          { port: 443, cidr: "0.0.0.0/0" },
        ],
      },
      [tcp(443, "0.0.0.0/0"), DEFAULT_EGRESS, tcp(80, "0.0.0.0/0")],
      [],
    ],
    [
      "`all` in the spec is AWS's -1 with ports -1",
      { ingress: [], egress: [{ protocol: "all", cidr: "0.0.0.0/0" }] },
      [DEFAULT_EGRESS],
      [],
    ],
    [
      "ICMP without a port is AWS's -1/-1",
      { ingress: [{ protocol: "icmp", cidr: "10.0.0.0/8" }] },
      [aws({ IpProtocol: "icmp", FromPort: -1, ToPort: -1, CidrIpv4: "10.0.0.0/8" })],
      [],
    ],
    [
      "a peer group not created yet is a rule to add, shown as known after apply",
      { ingress: [{ port: 8080, securityGroup: "api" }] },
      [],
      [
        {
          path: "ingress[tcp/8080 from securityGroups.api (known after apply)]",
          after: "allowed",
        },
      ],
    ],
    [
      "a new description changes the rule in place, not the rule",
      { ingress: [{ port: 80, cidr: "0.0.0.0/0", description: "public web" }] },
      [tcp(80, "0.0.0.0/0", { Description: "web" })],
      [{ path: "ingress[tcp/80 from 0.0.0.0/0].description", before: "web", after: "public web" }],
    ],
    [
      "a description the spec leaves out is not drift",
      { ingress: [{ port: 80, cidr: "0.0.0.0/0" }] },
      [tcp(80, "0.0.0.0/0", { Description: "web" })],
      [],
    ],
    [
      "egress the spec does not list is AWS's default, left alone, and so is anything else outbound",
      { ingress: [] },
      [DEFAULT_EGRESS, aws({ IsEgress: true, IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, CidrIpv4: "10.0.0.0/8" })],
      [],
    ],
    [
      "egress the spec lists is all of it: AWS's default allow-all goes",
      { ingress: [], egress: [{ port: 443, cidr: "0.0.0.0/0" }] },
      [DEFAULT_EGRESS],
      [
        { path: "egress[all to 0.0.0.0/0]", before: "allowed" },
        { path: "egress[tcp/443 to 0.0.0.0/0]", after: "allowed" },
      ],
    ],
    [
      "a rule added out of band to a group the stack owns is removed",
      { ingress: [{ port: 80, cidr: "0.0.0.0/0" }] },
      [tcp(80, "0.0.0.0/0"), tcp(22, "203.0.113.0/24", { Description: "ssh" })],
      [{ path: "ingress[tcp/22 from 203.0.113.0/24]", before: "allowed: ssh" }],
    ],
    [
      "an untagged rule identical to the spec's, on a group the stack does not own, satisfies it: nothing added",
      { ...EXISTING, ingress: [{ port: 80, cidr: "0.0.0.0/0" }] },
      [tcp(80, "0.0.0.0/0")],
      [],
    ],
    [
      "an untagged rule on a group the stack does not own is never revoked",
      { ...EXISTING, ingress: [] },
      [tcp(22, "203.0.113.0/24"), DEFAULT_EGRESS],
      [],
    ],
    [
      "nor is its description changed: the rule is not the stack's",
      { ...EXISTING, ingress: [{ port: 80, cidr: "0.0.0.0/0", description: "mine" }] },
      [tcp(80, "0.0.0.0/0", { Description: "theirs" })],
      [],
    ],
    [
      "a rule the stack tagged on a group it does not own goes when the spec drops it",
      { ...EXISTING, ingress: [] },
      [tcp(22, "203.0.113.0/24", tagged({ ...OURS, "reconcile:id": "securityGroupRules/web" }))],
      [{ path: "ingress[tcp/22 from 203.0.113.0/24]", before: "allowed" }],
    ],
    [
      "a rule another stack tagged is that stack's",
      { ...EXISTING, ingress: [] },
      [tcp(22, "203.0.113.0/24", tagged({ "reconcile:stack": "other", "reconcile:id": "securityGroupRules/web" }))],
      [],
    ],
    [
      "egress rules listed for a group the stack does not own are added all the same",
      { ...EXISTING, ingress: [], egress: [{ port: 443, cidr: "10.0.0.0/8" }] },
      [DEFAULT_EGRESS],
      [{ path: "egress[tcp/443 to 10.0.0.0/8]", after: "allowed" }],
    ],
  ])("%s", (_reason, group, rules, expected) => {
    const desired = desiredFor(group);
    expect(securityGroupRulesReconciler.diff(desired, observedFor(desired, rules)).lines).toEqual(expected);
  });

  it("says which desired rules another's rule grants", () => {
    const desired = desiredFor({
      ...EXISTING,
      ingress: [
        { port: 80, cidr: "0.0.0.0/0" },
        { port: 443, cidr: "0.0.0.0/0" },
      ],
    });
    const observed = observedFor(desired, [tcp(80, "0.0.0.0/0"), tcp(443, "0.0.0.0/0", tagged(desired.tags))]);
    expect(grantedByOthers(desired, observed)).toEqual(["ingress[tcp/80 from 0.0.0.0/0]"]);
  });

  it("a group replaced since: the rules seen were the old group's, so every rule is to be added on the new one", () => {
    const desired = desiredFor({ ingress: [{ port: 80, cidr: "0.0.0.0/0" }] });
    const { lines, change } = securityGroupRulesReconciler.diff(desired, observedFor(desired, [tcp(80, "0.0.0.0/0")], "sg-0old"));
    expect(lines).toEqual([
      { path: "groupId", before: "sg-0old", after: "sg-0web" },
      { path: "ingress[tcp/80 from 0.0.0.0/0]", after: "allowed" },
    ]);
    // What the new group has (AWS's default egress, say) is unknown here: update reads it and converges, as create does.
    expect(change).toEqual({ converge: desired });
  });

  const NO_RULES = { ingress: [], egress: [] };
  it.each<[string, Record<string, unknown>, AwsSecurityGroupRule[], Partial<RuleWrites>]>([
    ["the same rules: nothing to write", { ingress: [{ port: 80, cidr: "0.0.0.0/0" }] }, [tcp(80, "0.0.0.0/0"), DEFAULT_EGRESS], {}],
    [
      "a rule added out of band to an owned group: revoked by its id, as ingress",
      { ingress: [{ port: 80, cidr: "0.0.0.0/0" }] },
      [tcp(80, "0.0.0.0/0"), tcp(22, "203.0.113.0/24", { SecurityGroupRuleId: "sgr-0ssh" })],
      { revoke: { ingress: ["sgr-0ssh"], egress: [] } },
    ],
    [
      "egress the spec lists: its rule authorized as egress, AWS's default revoked as egress",
      { ingress: [], egress: [{ port: 443, cidr: "0.0.0.0/0" }] },
      [{ ...DEFAULT_EGRESS, SecurityGroupRuleId: "sgr-0default" }],
      {
        authorize: { ingress: [], egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, peer: { cidr: "0.0.0.0/0" } }] },
        revoke: { ingress: [], egress: ["sgr-0default"] },
      },
    ],
    [
      "a peer group not created yet: carried as a rule, its id known only at apply",
      { ingress: [{ port: 8080, securityGroup: "api", description: "api" }] },
      [],
      {
        authorize: {
          ingress: [
            { protocol: "tcp", fromPort: 8080, toPort: 8080, peer: { groupId: UNKNOWN, securityGroup: "api" }, description: "api" },
          ],
          egress: [],
        },
      },
    ],
    [
      "a new description: the rule whole, with it, for ModifySecurityGroupRules",
      { ingress: [{ port: 80, cidr: "0.0.0.0/0", description: "public web" }] },
      [tcp(80, "0.0.0.0/0", { SecurityGroupRuleId: "sgr-0web", Description: "web" })],
      {
        redescribe: [
          {
            SecurityGroupRuleId: "sgr-0web",
            SecurityGroupRule: { IpProtocol: "tcp", FromPort: 80, ToPort: 80, CidrIpv4: "0.0.0.0/0", Description: "public web" },
          },
        ],
      },
    ],
    [
      "a new description of a rule to a group: the group by its id",
      { ingress: [{ port: 8080, securityGroup: "alb", description: "from the load balancer" }] },
      [
        aws({
          SecurityGroupRuleId: "sgr-0alb",
          IpProtocol: "tcp",
          FromPort: 8080,
          ToPort: 8080,
          ReferencedGroupInfo: { GroupId: "sg-0alb" },
        }),
      ],
      {
        redescribe: [
          {
            SecurityGroupRuleId: "sgr-0alb",
            SecurityGroupRule: {
              IpProtocol: "tcp",
              FromPort: 8080,
              ToPort: 8080,
              ReferencedGroupId: "sg-0alb",
              Description: "from the load balancer",
            },
          },
        ],
      },
    ],
    [
      "on a group the stack does not own: its own tagged rule revoked, another's untouched",
      { ...EXISTING, ingress: [{ port: 80, cidr: "0.0.0.0/0" }] },
      [tcp(80, "0.0.0.0/0"), tcp(22, "203.0.113.0/24", { SecurityGroupRuleId: "sgr-0mine", ...tagged(OURS) }), tcp(23, "203.0.113.0/24")],
      { revoke: { ingress: ["sgr-0mine"], egress: [] } },
    ],
  ])("the change: %s", (_reason, group, rules, expected) => {
    const desired = desiredFor(group);
    expect(securityGroupRulesReconciler.diff(desired, observedFor(desired, rules)).change).toEqual({
      writes: { groupId: "sg-0web", authorize: NO_RULES, tags: desired.tags, redescribe: [], revoke: NO_RULES, ...expected },
    });
  });

  it.each<[string, Rule[], AuthorizeSecurityGroupEgressCommandInput["IpPermissions"]]>([
    [
      "a CIDR rule with its description, tagged as the set's",
      [{ protocol: "tcp", fromPort: 80, toPort: 80, peer: { cidr: "0.0.0.0/0" }, description: "web" }],
      [{ IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "web" }] }],
    ],
    [
      "every protocol: no ports",
      [{ protocol: "-1", fromPort: -1, toPort: -1, peer: { ipv6Cidr: "::/0" } }],
      [{ IpProtocol: "-1", Ipv6Ranges: [{ CidrIpv6: "::/0" }] }],
    ],
    [
      "a peer group and a prefix list, in one call",
      [
        { protocol: "tcp", fromPort: 8080, toPort: 8080, peer: { groupId: "sg-0alb", securityGroup: "alb" } },
        { protocol: "tcp", fromPort: 443, toPort: 443, peer: { prefixListId: "pl-0123" } },
      ],
      [
        { IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: "sg-0alb" }] },
        { IpProtocol: "tcp", FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: "pl-0123" }] },
      ],
    ],
  ])("authorizes: %s", (_reason, rules, permissions) => {
    expect(authorizeInput("sg-0web", rules, OURS)).toEqual({
      GroupId: "sg-0web",
      IpPermissions: permissions,
      TagSpecifications: [
        {
          ResourceType: "security-group-rule",
          Tags: [
            { Key: "reconcile:stack", Value: "demo" },
            { Key: "reconcile:id", Value: "securityGroupRules/web" },
          ],
        },
      ],
    });
  });

  it("refuses to authorize a rule to a group whose id is still unknown (the engine creates that group first)", () => {
    const rule: Rule = { protocol: "tcp", fromPort: 8080, toPort: 8080, peer: { groupId: UNKNOWN, securityGroup: "api" } };
    expect(() => authorizeInput("sg-0web", [rule], OURS)).toThrow("the id of security group api is not known yet");
  });
});

describe("nodes", () => {
  const spec = specWith(
    {
      alb: { ingress: [{ port: 80, cidr: "0.0.0.0/0" }], description: "load balancer", tags: { tier: "edge" } },
      tasks: {
        ingress: [
          { port: 8080, securityGroup: "alb" },
          { port: 9000, securityGroup: "tasks" },
        ],
        egress: [],
      },
      shared: { existing: { name: "default" }, ingress: [{ port: 5432, securityGroup: "tasks" }] },
      byId: { existing: { id: "sg-0123456789abcdef0" }, ingress: [] },
    },
    { team: "web" },
  );

  it("one rule set per group: after its group and every peer group, named as the group's rules (not as the group)", () => {
    const nodes = securityGroupRulesReconciler.nodes(spec);
    expect(nodes.map((n) => [n.address, n.name, n.dependsOn, n.adopt, n.readOnly])).toEqual([
      ["securityGroupRules.alb", "rules of demo-alb", ["securityGroups.alb"], false, false],
      ["securityGroupRules.tasks", "rules of demo-tasks", ["securityGroups.tasks", "securityGroups.alb"], false, false],
      ["securityGroupRules.shared", "rules of default", ["securityGroups.shared", "securityGroups.tasks"], false, false],
      ["securityGroupRules.byId", "rules of sg-0123456789abcdef0", ["securityGroups.byId"], false, false],
    ]);
  });

  it("a rule set knows whose group it is and whether it manages egress; its tags are the stack's", () => {
    const [alb, tasks, shared] = securityGroupRulesReconciler.nodes(spec).map((n) => n.build(GROUP_IDS));
    expect([alb!.groupOwned, alb!.manageEgress, tasks!.groupOwned, tasks!.manageEgress, shared!.groupOwned, shared!.manageEgress]).toEqual([
      true,
      false,
      true,
      true,
      false,
      false,
    ]);
    expect([alb!.groupId, tasks!.groupId]).toEqual(["sg-0alb", UNKNOWN]);
    expect(shared!.tags).toEqual({ team: "web", "reconcile:stack": "demo", "reconcile:id": "securityGroupRules/shared" });
  });

  it("owned groups are created with a default description; existing ones are lookups", () => {
    const nodes = securityGroupsReconciler.nodes(spec);
    expect(nodes.map((n) => [n.address, n.name, n.dependsOn, n.readOnly])).toEqual([
      ["securityGroups.alb", "demo-alb", ["network"], false],
      ["securityGroups.tasks", "demo-tasks", ["network"], false],
      ["securityGroups.shared", "default", ["network"], true],
      ["securityGroups.byId", "sg-0123456789abcdef0", ["network"], true],
    ]);
    const [alb, tasks, shared] = nodes.map((n) => n.build(GROUP_IDS));
    expect(alb).toEqual({
      owned: true,
      name: "demo-alb",
      vpcId: "vpc-0aaa",
      description: "load balancer",
      descriptionSet: true,
      tags: { team: "web", tier: "edge", "reconcile:stack": "demo", "reconcile:id": "securityGroups/alb" },
    });
    expect(tasks).toMatchObject({ description: "Managed by reconcile: stack demo, tasks", descriptionSet: false });
    expect(shared).toEqual({ owned: false, existing: { name: "default" }, vpcId: "vpc-0aaa" });
  });
});

describe("diff of a security group", () => {
  const owned = (over: Partial<Extract<SecurityGroupDesired, { owned: true }>> = {}): SecurityGroupDesired => ({
    owned: true,
    name: "demo-web",
    vpcId: "vpc-0aaa",
    description: "Managed by reconcile: stack demo, web",
    descriptionSet: false,
    tags: { "reconcile:stack": "demo", "reconcile:id": "securityGroups/web" },
    ...over,
  });
  const live = (over: Partial<ObservedSecurityGroup> = {}): ObservedSecurityGroup => ({
    name: "demo-web",
    id: "sg-0web",
    vpcId: "vpc-0aaa",
    description: "Managed by reconcile: stack demo, web",
    tags: { "reconcile:stack": "demo", "reconcile:id": "securityGroups/web" },
    ...over,
  });

  it.each<[string, SecurityGroupDesired, ObservedSecurityGroup, FieldDiff[]]>([
    ["the same group is no change", owned(), live(), []],
    [
      "another VPC is another group: replaced",
      owned({ vpcId: "vpc-0bbb" }),
      live(),
      [{ path: "vpcId", before: "vpc-0aaa", after: "vpc-0bbb", forcesReplacement: true }],
    ],
    [
      "a description the spec sets is one AWS cannot change: replaced",
      owned({ description: "web tier", descriptionSet: true }),
      live(),
      [{ path: "description", before: "Managed by reconcile: stack demo, web", after: "web tier", forcesReplacement: true }],
    ],
    [
      "a description the spec does not set is the group's own (an adopted group keeps it)",
      owned(),
      live({ description: "made by hand" }),
      [],
    ],
    [
      "tags change in place; AWS's own aws: tags are not the stack's to remove",
      owned({ tags: { team: "web", "reconcile:stack": "demo", "reconcile:id": "securityGroups/web" } }),
      live({ tags: { old: "x", "aws:cloudformation:stack-name": "s", "reconcile:stack": "demo", "reconcile:id": "securityGroups/web" } }),
      [
        { path: "tags.old", before: "x" },
        { path: "tags.team", after: "web" },
      ],
    ],
    [
      "a group the stack does not own is never a change",
      { owned: false, existing: { name: "default" }, vpcId: "vpc-0aaa" },
      live({ name: "default", description: "default VPC security group", tags: {} }),
      [],
    ],
  ])("%s", (_reason, desired, observed, expected) => {
    expect(securityGroupsReconciler.diff(desired, observed).lines).toEqual(expected);
  });

  it.each<[string, SecurityGroupDesired, ObservedSecurityGroup, SecurityGroupChange]>([
    ["the same group: no tag to write", owned(), live(), { tags: { set: {}, remove: [] } }],
    [
      "a tag added, one changed, one removed; AWS's own aws: tags stay",
      owned({ tags: { team: "web", tier: "app", "reconcile:stack": "demo", "reconcile:id": "securityGroups/web" } }),
      live({
        tags: {
          tier: "edge",
          old: "x",
          "aws:cloudformation:stack-name": "s",
          "reconcile:stack": "demo",
          "reconcile:id": "securityGroups/web",
        },
      }),
      { tags: { set: { team: "web", tier: "app" }, remove: ["old"] } },
    ],
    [
      "adopted: the ownership tags are set",
      owned(),
      live({ tags: { Name: "made by hand" } }),
      { tags: { set: { "reconcile:id": "securityGroups/web", "reconcile:stack": "demo" }, remove: ["Name"] } },
    ],
    [
      "a group the stack does not own: nothing, whatever its tags",
      { owned: false, existing: { name: "default" }, vpcId: "vpc-0aaa" },
      live({ name: "default", tags: { team: "theirs" } }),
      { tags: { set: {}, remove: [] } },
    ],
  ])("the change: %s", (_reason, desired, observed, expected) => {
    expect(securityGroupsReconciler.diff(desired, observed).change).toEqual(expected);
  });
});
