/** One rule: the spec's and AWS's both normalised into `Rule`, its identity, and its shapes in AWS's requests. */
import type { IpPermission, SecurityGroupRule as AwsSecurityGroupRule, SecurityGroupRuleRequest } from "@aws-sdk/client-ec2";
import { KnownAfterApply } from "../../../plan/model.js";
import type { SecurityGroupRuleSpec } from "../../../schema/security-groups.js";
import { fromTagList, known } from "../../diff-helpers.js";
import { ID_TAG, STACK_TAG, type Tags } from "../../contract.js";

export type RuleDirection = "ingress" | "egress";
export const DIRECTIONS: readonly RuleDirection[] = ["ingress", "egress"];
export type ByDirection<T> = Record<RuleDirection, T>;

/** Who a rule admits (ingress) or reaches (egress): exactly one of these, in AWS's terms. */
export type RulePeer =
  | { cidr: string }
  | { ipv6Cidr: string }
  /** `securityGroup`: the spec's logical name, to say which group a still unknown id will be. */
  | { groupId: string | KnownAfterApply; securityGroup?: string }
  | { prefixListId: string };

/** A rule in AWS's form, as DescribeSecurityGroupRules reports it. */
export interface Rule {
  /** tcp, udp, icmp, icmpv6, or -1 for every protocol. */
  protocol: string;
  /** -1 with protocol -1; for ICMP the type (-1: every type). */
  fromPort: number;
  /** -1 with protocol -1; for ICMP the code (-1: every code). */
  toPort: number;
  peer: RulePeer;
  description?: string;
}

export interface ObservedRule extends Rule {
  /** sgr-… */
  id: string;
  direction: RuleDirection;
  tags: Tags;
  /** Tagged as this node's (stack and id): the stack may revoke it even on a group it does not own. */
  ours: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Normalisation: the spec's rules and AWS's, both into `Rule`.

const EVERY_PORT = { fromPort: -1, toPort: -1 };

/** The spec's rule in AWS's form: `all` is -1, a rule without ports covers every port (-1/-1), `port: 80` is 80/80. */
export function normaliseRule(rule: SecurityGroupRuleSpec, groupIdOf: (logical: string) => string | KnownAfterApply): Rule {
  const protocol = rule.protocol === "all" ? "-1" : rule.protocol;
  const ports =
    protocol === "-1"
      ? EVERY_PORT
      : rule.port !== undefined
        ? { fromPort: rule.port, toPort: rule.port }
        : rule.ports !== undefined
          ? { fromPort: rule.ports.from, toPort: rule.ports.to }
          : EVERY_PORT;
  return { protocol, ...ports, peer: specPeer(rule, groupIdOf), ...(rule.description && { description: rule.description }) };
}

function specPeer(rule: SecurityGroupRuleSpec, groupIdOf: (logical: string) => string | KnownAfterApply): RulePeer {
  if (rule.cidr !== undefined) return { cidr: rule.cidr };
  if (rule.ipv6Cidr !== undefined) return { ipv6Cidr: canonicalIpv6Cidr(rule.ipv6Cidr) };
  if (rule.securityGroup !== undefined) return { groupId: groupIdOf(rule.securityGroup), securityGroup: rule.securityGroup };
  if (rule.prefixList !== undefined) return { prefixListId: rule.prefixList };
  throw new Error("a security group rule without a peer (the schema requires exactly one)");
}

/** One spelling per IPv6 block (`2001:DB8:0::/32` is `2001:db8::/32`), as the URL standard serialises IPv6 addresses. */
function canonicalIpv6Cidr(cidr: string): string {
  const slash = cidr.indexOf("/");
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  let canonical: string;
  try {
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return cidr.toLowerCase();
  }
  return slash < 0 ? canonical : `${canonical}${cidr.slice(slash)}`;
}

/** AWS reports the protocols it names by name; a number or `all` given at creation is read back the same way. */
const PROTOCOL_NAMES: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", all: "-1" };

export function normaliseProtocol(protocol: string): string {
  const lower = protocol.toLowerCase();
  return PROTOCOL_NAMES[lower] ?? lower;
}

/** One rule of a DescribeSecurityGroupRules answer; `ownerTags` are the node's, to tell the stack's rules apart. */
export function parseRule(rule: AwsSecurityGroupRule, ownerTags: Tags): ObservedRule {
  const protocol = normaliseProtocol(rule.IpProtocol ?? "-1");
  const tags = fromTagList(rule.Tags);
  const ports = protocol === "-1" ? EVERY_PORT : { fromPort: rule.FromPort ?? -1, toPort: rule.ToPort ?? -1 };
  return {
    id: rule.SecurityGroupRuleId!,
    direction: rule.IsEgress ? "egress" : "ingress",
    protocol,
    ...ports,
    peer: awsPeer(rule),
    ...(rule.Description && { description: rule.Description }),
    tags,
    ours: tags[STACK_TAG] !== undefined && tags[STACK_TAG] === ownerTags[STACK_TAG] && tags[ID_TAG] === ownerTags[ID_TAG],
  };
}

function awsPeer(rule: AwsSecurityGroupRule): RulePeer {
  if (rule.CidrIpv4 !== undefined) return { cidr: rule.CidrIpv4 };
  if (rule.CidrIpv6 !== undefined) return { ipv6Cidr: canonicalIpv6Cidr(rule.CidrIpv6) };
  if (rule.ReferencedGroupInfo?.GroupId !== undefined) return { groupId: rule.ReferencedGroupInfo.GroupId };
  if (rule.PrefixListId !== undefined) return { prefixListId: rule.PrefixListId };
  throw new Error(
    `security group rule ${rule.SecurityGroupRuleId} of ${rule.GroupId} has none of CidrIpv4, CidrIpv6, ReferencedGroupInfo, PrefixListId`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Identity: a rule is its direction, protocol, ports and peer; the description is a detail of it.

function portsLabel(rule: Rule): string {
  const { protocol, fromPort, toPort } = rule;
  if (protocol === "-1") return "all";
  if (fromPort === -1) return protocol;
  if (protocol === "icmp" || protocol === "icmpv6") return toPort === -1 ? `${protocol}/${fromPort}` : `${protocol}/${fromPort}:${toPort}`;
  return fromPort === toPort ? `${protocol}/${fromPort}` : `${protocol}/${fromPort}-${toPort}`;
}

function peerLabel(peer: RulePeer): string {
  if ("cidr" in peer) return peer.cidr;
  if ("ipv6Cidr" in peer) return peer.ipv6Cidr;
  if ("prefixListId" in peer) return peer.prefixListId;
  if (peer.groupId instanceof KnownAfterApply) {
    // The group's logical name keeps two rules to groups not created yet apart.
    return peer.securityGroup === undefined ? String(peer.groupId) : `securityGroups.${peer.securityGroup} ${peer.groupId}`;
  }
  return peer.groupId;
}

/** `tcp/80 from 0.0.0.0/0`, `all to 0.0.0.0/0`, `tcp/8080 from securityGroups.alb (known after apply)`. */
function ruleLabel(rule: Rule, direction: RuleDirection): string {
  return `${portsLabel(rule)} ${direction === "ingress" ? "from" : "to"} ${peerLabel(rule.peer)}`;
}

/** The rule's identity and its path in diffs: `ingress[tcp/80 from 0.0.0.0/0]`. */
export function ruleKey(rule: Rule, direction: RuleDirection): string {
  return `${direction}[${ruleLabel(rule, direction)}]`;
}

// ---------------------------------------------------------------------------------------------------------
// In AWS's requests.

const peerGroupId = (groupId: string | KnownAfterApply, logical: string | undefined) =>
  known(groupId, `the id of security group ${logical ?? "(peer)"}`);

/** The rule as Authorize* takes it. */
export function toIpPermission(rule: Rule): IpPermission {
  const described = rule.description !== undefined ? { Description: rule.description } : {};
  const { peer } = rule;
  return {
    IpProtocol: rule.protocol,
    ...(rule.protocol !== "-1" && { FromPort: rule.fromPort, ToPort: rule.toPort }),
    ...("cidr" in peer
      ? { IpRanges: [{ CidrIp: peer.cidr, ...described }] }
      : "ipv6Cidr" in peer
        ? { Ipv6Ranges: [{ CidrIpv6: peer.ipv6Cidr, ...described }] }
        : "prefixListId" in peer
          ? { PrefixListIds: [{ PrefixListId: peer.prefixListId, ...described }] }
          : { UserIdGroupPairs: [{ GroupId: peerGroupId(peer.groupId, peer.securityGroup), ...described }] }),
  };
}

/** ModifySecurityGroupRules replaces a rule whole: the same rule, with the new description. */
export function withDescription(rule: ObservedRule, description: string): SecurityGroupRuleRequest {
  const { peer } = rule;
  return {
    IpProtocol: rule.protocol,
    FromPort: rule.fromPort,
    ToPort: rule.toPort,
    ...("cidr" in peer
      ? { CidrIpv4: peer.cidr }
      : "ipv6Cidr" in peer
        ? { CidrIpv6: peer.ipv6Cidr }
        : "prefixListId" in peer
          ? { PrefixListId: peer.prefixListId }
          : { ReferencedGroupId: peerGroupId(peer.groupId, peer.securityGroup) }),
    Description: description,
  };
}
