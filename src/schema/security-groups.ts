import { z } from "zod";
import { logicalName, port, tags } from "./common.js";

const protocol = z.enum(["tcp", "udp", "icmp", "icmpv6", "all"]).describe("IP protocol; `all` means every protocol and port (AWS's -1)");

const portRange = z
  .strictObject({ from: port.describe("First port of the range"), to: port.describe("Last port of the range (included)") })
  .refine((r) => r.from <= r.to, { message: "`from` must not exceed `to`", path: ["to"] });

/** One rule: what (protocol, ports) and who (exactly one peer). */
export const securityGroupRule = z
  .strictObject({
    protocol: protocol.default("tcp"),
    port: port.optional().describe("A single port"),
    ports: portRange.optional().describe("A port range, both ends included"),
    cidr: z
      .cidrv4({ error: "expected an IPv4 CIDR block such as 10.0.0.0/16" })
      .optional()
      .describe("An IPv4 CIDR block, such as 0.0.0.0/0"),
    ipv6Cidr: z.cidrv6({ error: "expected an IPv6 CIDR block such as ::/0" }).optional().describe("An IPv6 CIDR block, such as ::/0"),
    securityGroup: logicalName.optional().describe("Another security group of this spec (its logical name)"),
    prefixList: z
      .string()
      .regex(/^pl-[0-9a-f]+$/, "expected a prefix list id (pl-…)")
      .optional()
      .describe("A managed prefix list, by id (pl-…), such as the one of CloudFront's origin-facing addresses"),
    description: z.string().max(255).optional().describe("The rule's description, shown in the EC2 console (at most 255 characters)"),
  })
  .superRefine((rule, ctx) => {
    const peers = (["cidr", "ipv6Cidr", "securityGroup", "prefixList"] as const).filter((k) => rule[k] !== undefined);
    if (peers.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `a rule needs exactly one peer of cidr, ipv6Cidr, securityGroup, prefixList (found ${peers.length === 0 ? "none" : peers.join(", ")})`,
      });
    }
    const portless = rule.protocol === "all" || rule.protocol === "icmp" || rule.protocol === "icmpv6";
    if (rule.port !== undefined && rule.ports !== undefined) {
      ctx.addIssue({ code: "custom", message: "give `port` or `ports`, not both", path: ["ports"] });
    } else if (!portless && rule.port === undefined && rule.ports === undefined) {
      ctx.addIssue({ code: "custom", message: `a ${rule.protocol} rule needs \`port\` or \`ports\`` });
    } else if (rule.protocol === "all" && (rule.port !== undefined || rule.ports !== undefined)) {
      ctx.addIssue({ code: "custom", message: "a rule for protocol `all` covers every port: remove `port`/`ports`", path: ["protocol"] });
    }
  });

export const securityGroup = z
  .strictObject({
    existing: z
      .union([
        z.strictObject({ name: z.string().min(1).describe("Group name in the spec's VPC, such as `default`") }),
        z.strictObject({
          id: z
            .string()
            .regex(/^sg-[0-9a-f]+$/, "expected a security group id (sg-…)")
            .describe("Group id (sg-…)"),
        }),
      ])
      .optional()
      .describe("A group this stack does not own: only the rules listed here are added, managed and removed"),
    name: z.string().min(1).max(255).optional().describe("Physical group name; default `<stack>-<logical name>`"),
    description: z
      .string()
      .max(255)
      .optional()
      .describe(
        "The group's description (at most 255 characters); default `Managed by reconcile: stack <stack>, <logical name>`; AWS cannot change it, so a change replaces the group",
      ),
    ingress: z.array(securityGroupRule).default([]).describe("Inbound rules; default none"),
    egress: z.array(securityGroupRule).optional().describe("Outbound rules; when absent the group keeps AWS's default allow-all egress"),
    tags: tags.optional(),
    adopt: z.boolean().optional().describe("Take over a group of this name that lacks this stack's ownership tag"),
  })
  .superRefine((group, ctx) => {
    if (!group.existing) return;
    for (const field of ["name", "description", "tags", "adopt"] as const) {
      if (group[field] !== undefined) {
        ctx.addIssue({ code: "custom", path: [field], message: `\`${field}\` does not apply to an existing group the stack does not own` });
      }
    }
  });

export type SecurityGroupRuleSpec = z.infer<typeof securityGroupRule>;
export type SecurityGroupSpec = z.infer<typeof securityGroup>;
