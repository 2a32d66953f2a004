import { z } from "zod";
import { logicalName, tags } from "./common.js";

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const namespace = z.strictObject({
  name: z
    .string()
    .regex(DNS_NAME, "expected a DNS domain such as microblog.local")
    .describe("The DNS domain, such as app.local: a service `api` in it resolves as api.app.local inside the VPC"),
  description: z.string().max(1024).optional().describe("The namespace's description"),
  tags: tags.optional(),
  adopt: z.boolean().optional().describe("Take over a namespace of this name that lacks this stack's ownership tags"),
});

export const discoveryService = z.strictObject({
  namespace: logicalName.describe("A private DNS namespace of this spec"),
  name: z
    .string()
    .regex(DNS_LABEL, "expected one DNS label (lower case letters, digits, hyphens)")
    .optional()
    .describe("Default: the logical name"),
  description: z.string().max(1024).optional().describe("The service's description"),
  dnsRecords: z
    .array(
      z.strictObject({
        type: z
          .enum(["A", "SRV"])
          .describe("`A`: the tasks' IP addresses; `SRV`: address and port (the service's serviceDiscovery names the container and port)"),
        ttl: z.number().int().min(0).max(2147483647).default(10).describe("How long resolvers cache the record, in seconds; default 10"),
      }),
    )
    .min(1)
    .default([{ type: "A", ttl: 10 }])
    .describe("The DNS records Cloud Map creates for each registered task; default one A record, TTL 10 s"),
  routingPolicy: z
    .enum(["MULTIVALUE", "WEIGHTED"])
    .default("MULTIVALUE")
    .describe("`MULTIVALUE`: answer with up to 8 healthy tasks; `WEIGHTED`: with one, chosen at random; default MULTIVALUE"),
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
  adopt: z.boolean().optional().describe("Take over a Cloud Map service of this name that lacks this stack's ownership tags"),
});

export type NamespaceSpec = z.infer<typeof namespace>;
export type DiscoveryServiceSpec = z.infer<typeof discoveryService>;
