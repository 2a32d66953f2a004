import { z } from "zod";
import { tags } from "./common.js";

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const statement = z.looseObject({
  Sid: z.string().optional().describe("The statement's id"),
  Effect: z.enum(["Allow", "Deny"]).describe("Whether the statement allows or denies"),
  Action: stringOrList.optional().describe("Actions it applies to, such as `s3:GetObject` or `logs:*`"),
  NotAction: stringOrList.optional().describe("Every action but these"),
  Resource: stringOrList.optional().describe("Resource ARNs it applies to (`*` for all)"),
  NotResource: stringOrList.optional().describe("Every resource but these ARNs"),
  Condition: z
    .record(z.string(), z.record(z.string(), z.unknown()))
    .optional()
    .describe('Conditions, as IAM writes them: `{ StringEquals: { "aws:SourceAccount": "123456789012" } }`'),
});

export const policyDocument = z
  .strictObject({
    Version: z.enum(["2012-10-17", "2008-10-17"]).default("2012-10-17").describe("The policy language version; default 2012-10-17"),
    Id: z.string().optional().describe("The policy's id"),
    Statement: z.array(statement).min(1).describe("The policy's statements (at least one)"),
  })
  .describe("An IAM policy document, as AWS writes it");

const managedPolicy = z
  .string()
  .regex(
    /^(arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+|[\w+=,.@-]+)$/,
    "expected a managed policy name (AmazonECSTaskExecutionRolePolicy) or ARN",
  );

export const role = z.strictObject({
  name: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, "an IAM role name is 1-64 characters of letters, digits and +=,.@_-")
    .optional()
    .describe("Physical role name; default `<stack>-<logical name>`"),
  path: z
    .string()
    .regex(/^\/([\w+=,.@-]+\/)*$/, "a path starts and ends with `/`")
    .optional()
    .describe("The role's IAM path, such as `/service-roles/`; default `/`"),
  description: z.string().max(1000).optional().describe("The role's description"),
  trustedServices: z
    .array(z.string().regex(/^[a-z0-9.-]+\.amazonaws\.com$/, "expected a service principal such as ecs-tasks.amazonaws.com"))
    .min(1)
    .describe("Service principals allowed to sts:AssumeRole this role"),
  managedPolicies: z.array(managedPolicy).default([]).describe("AWS or customer managed policies, by name or ARN"),
  inlinePolicies: z
    .record(z.string().regex(/^[\w+=,.@-]{1,128}$/, "invalid inline policy name"), policyDocument)
    .default({})
    .describe("Policies embedded in the role, keyed by policy name"),
  maxSessionDurationSeconds: z
    .number()
    .int()
    .min(3600)
    .max(43200)
    .optional()
    .describe("Longest session when the role is assumed, in seconds (3600-43200); default AWS's 3600"),
  tags: tags.optional(),
  adopt: z.boolean().optional().describe("Take over a role of this name that lacks this stack's ownership tags"),
});

export type RoleSpec = z.infer<typeof role>;
export type PolicyDocument = z.infer<typeof policyDocument>;
