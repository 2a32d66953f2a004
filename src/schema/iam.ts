import { z } from "zod";
import { tags } from "./common.js";

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const statement = z.looseObject({
  Sid: z.string().optional(),
  Effect: z.enum(["Allow", "Deny"]),
  Action: stringOrList.optional(),
  NotAction: stringOrList.optional(),
  Resource: stringOrList.optional(),
  NotResource: stringOrList.optional(),
  Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});

export const policyDocument = z
  .strictObject({
    Version: z.enum(["2012-10-17", "2008-10-17"]).default("2012-10-17"),
    Id: z.string().optional(),
    Statement: z.array(statement).min(1),
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
    .optional(),
  description: z.string().max(1000).optional(),
  trustedServices: z
    .array(z.string().regex(/^[a-z0-9.-]+\.amazonaws\.com$/, "expected a service principal such as ecs-tasks.amazonaws.com"))
    .min(1)
    .describe("Service principals allowed to sts:AssumeRole this role"),
  managedPolicies: z.array(managedPolicy).default([]).describe("AWS or customer managed policies, by name or ARN"),
  inlinePolicies: z.record(z.string().regex(/^[\w+=,.@-]{1,128}$/, "invalid inline policy name"), policyDocument).default({}),
  maxSessionDurationSeconds: z.number().int().min(3600).max(43200).optional(),
  tags: tags.optional(),
  adopt: z.boolean().optional(),
});

export type RoleSpec = z.infer<typeof role>;
export type PolicyDocument = z.infer<typeof policyDocument>;
