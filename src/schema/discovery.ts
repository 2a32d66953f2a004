import { z } from "zod";
import { logicalName, tags } from "./common.js";

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const namespace = z.strictObject({
  name: z.string().regex(DNS_NAME, "expected a DNS domain such as microblog.local"),
  description: z.string().max(1024).optional(),
  tags: tags.optional(),
  adopt: z.boolean().optional(),
});

export const discoveryService = z.strictObject({
  namespace: logicalName.describe("A private DNS namespace of this spec"),
  name: z
    .string()
    .regex(DNS_LABEL, "expected one DNS label (lower case letters, digits, hyphens)")
    .optional()
    .describe("Default: the logical name"),
  description: z.string().max(1024).optional(),
  dnsRecords: z
    .array(z.strictObject({ type: z.enum(["A", "SRV"]), ttl: z.number().int().min(0).max(2147483647).default(10) }))
    .min(1)
    .default([{ type: "A", ttl: 10 }]),
  routingPolicy: z.enum(["MULTIVALUE", "WEIGHTED"]).default("MULTIVALUE"),
  healthCheck: z
    .strictObject({
      failureThreshold: z
        .number()
        .int()
        .min(1)
        .max(10)
        .default(1)
        .describe("Sent, but AWS no longer supports it and always uses 1: never compared"),
    })
    .optional()
    .describe("Custom health check: ECS reports the task's health to Cloud Map"),
  tags: tags.optional(),
  adopt: z.boolean().optional(),
});

export type NamespaceSpec = z.infer<typeof namespace>;
export type DiscoveryServiceSpec = z.infer<typeof discoveryService>;
