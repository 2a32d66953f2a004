import { z } from "zod";
import { tags } from "./common.js";

/** The only values PutRetentionPolicy accepts. */
export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const logGroup = z.strictObject({
  name: z
    .string()
    .regex(/^[.\-_/#A-Za-z0-9]{1,512}$/, "a log group name is 1-512 characters of letters, digits and . - _ / #")
    .optional()
    .describe("Physical name; default `/reconcile/<stack>/<logical name>`"),
  retentionDays: z
    .number()
    .refine((d) => (RETENTION_DAYS as readonly number[]).includes(d), {
      message: `retention must be one of ${RETENTION_DAYS.join(", ")} days`,
    })
    .optional()
    .describe("Days to keep events; absent means forever"),
  kmsKeyId: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:/, "expected a KMS key ARN")
    .optional()
    .describe("KMS key ARN that encrypts the events; absent: CloudWatch Logs' own encryption"),
  tags: tags.optional(),
  adopt: z.boolean().optional().describe("Take over a log group of this name that lacks this stack's ownership tags"),
});

export type LogGroupSpec = z.infer<typeof logGroup>;
