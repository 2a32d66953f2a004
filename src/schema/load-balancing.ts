import { z } from "zod";
import { logicalName, port, tags } from "./common.js";
import { subnetSelector } from "./network.js";

/** ALB and target group names: 1-32 alphanumerics or hyphens, no hyphen at either end. */
export const ELB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;
export const ELB_NAME_MESSAGE = "1-32 letters, digits or hyphens, not starting or ending with a hyphen";

const matcher = z.union([
  z.string().regex(/^\d{3}([-,]\d{3})*$/, "expected HTTP codes such as 200 or 200-299 or 200,302"),
  z.strictObject({ httpCode: z.string().regex(/^\d{3}([-,]\d{3})*$/) }),
  z.strictObject({ grpcCode: z.string().regex(/^\d{1,2}([-,]\d{1,2})*$/) }),
]);

export const healthCheck = z.strictObject({
  enabled: z.boolean().optional(),
  protocol: z.enum(["HTTP", "HTTPS", "TCP"]).optional(),
  port: z.union([z.literal("traffic-port"), port]).optional(),
  path: z.string().regex(/^\//, "a health check path starts with /").max(1024).optional(),
  healthyThreshold: z.number().int().min(2).max(10).optional(),
  unhealthyThreshold: z.number().int().min(2).max(10).optional(),
  timeoutSeconds: z.number().int().min(2).max(120).optional(),
  intervalSeconds: z.number().int().min(5).max(300).optional(),
  matcher: matcher.optional().describe("Healthy HTTP codes (`200-299`) or `{ grpcCode: … }`"),
});

export const targetGroup = z
  .strictObject({
    name: z
      .string()
      .regex(ELB_NAME, `a target group name is ${ELB_NAME_MESSAGE}`)
      .optional()
      .describe("Physical name; default `<stack>-<logical name>`"),
    targetType: z.enum(["ip", "instance", "lambda", "alb"]).default("ip"),
    protocol: z.enum(["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"]).default("HTTP"),
    protocolVersion: z.enum(["HTTP1", "HTTP2", "GRPC"]).optional(),
    port,
    healthCheck: healthCheck.optional(),
    deregistrationDelaySeconds: z.number().int().min(0).max(3600).optional(),
    stickiness: z
      .strictObject({
        enabled: z.boolean().default(true),
        type: z.enum(["lb_cookie", "app_cookie"]).default("lb_cookie"),
        durationSeconds: z.number().int().min(1).max(604800).optional(),
        cookieName: z.string().optional(),
      })
      .refine((s) => s.type !== "app_cookie" || s.cookieName, { message: "app_cookie stickiness needs `cookieName`", path: ["cookieName"] })
      .optional(),
    tags: tags.optional(),
    adopt: z.boolean().optional(),
  })
  .refine((tg) => tg.protocolVersion === undefined || tg.protocol === "HTTP" || tg.protocol === "HTTPS", {
    message: "`protocolVersion` applies only to HTTP and HTTPS target groups",
    path: ["protocolVersion"],
  });

const weightedTarget = z.strictObject({ targetGroup: logicalName, weight: z.number().int().min(0).max(999).default(1) });

const forwardAction = z.union([
  logicalName.describe("The target group (logical name) that receives all requests"),
  z.strictObject({
    targetGroups: z.array(weightedTarget).min(1).max(5),
    stickinessSeconds: z.number().int().min(1).max(604800).optional(),
  }),
]);

const redirectAction = z.strictObject({
  protocol: z.enum(["HTTP", "HTTPS", "#{protocol}"]).optional(),
  port: z.union([port, z.literal("#{port}")]).optional(),
  host: z.string().optional(),
  path: z.string().optional(),
  query: z.string().optional(),
  statusCode: z.enum(["HTTP_301", "HTTP_302"]).default("HTTP_301"),
});

const fixedResponseAction = z.strictObject({
  statusCode: z.string().regex(/^[2-5]\d\d$/, "expected an HTTP status code 2XX-5XX"),
  contentType: z.enum(["text/plain", "text/css", "text/html", "application/javascript", "application/json"]).optional(),
  messageBody: z.string().max(1024).optional(),
});

export const listenerAction = z
  .strictObject({
    forward: forwardAction.optional(),
    redirect: redirectAction.optional(),
    fixedResponse: fixedResponseAction.optional(),
  })
  .refine((a) => [a.forward, a.redirect, a.fixedResponse].filter((x) => x !== undefined).length === 1, {
    message: "an action is exactly one of `forward`, `redirect`, `fixedResponse`",
  });

export const listenerRule = z.strictObject({
  priority: z.number().int().min(1).max(50000),
  conditions: z
    .strictObject({
      pathPatterns: z.array(z.string().min(1).max(128)).min(1).optional(),
      hostHeaders: z.array(z.string().min(1).max(128)).min(1).optional(),
      httpHeaders: z
        .array(z.strictObject({ name: z.string().min(1).max(40), values: z.array(z.string().min(1)).min(1) }))
        .min(1)
        .optional(),
    })
    .refine((c) => c.pathPatterns || c.hostHeaders || c.httpHeaders, { message: "a rule needs at least one condition" }),
  action: listenerAction,
});

export const listener = z
  .strictObject({
    protocol: z.enum(["HTTP", "HTTPS"]),
    port,
    certificates: z
      .array(z.string().regex(/^arn:aws[a-z-]*:(acm|iam):/, "expected an ACM or IAM certificate ARN"))
      .min(1)
      .optional()
      .describe("HTTPS only: the first is the default certificate"),
    sslPolicy: z.string().optional(),
    defaultAction: listenerAction,
    rules: z.record(logicalName, listenerRule).default({}),
  })
  .superRefine((l, ctx) => {
    if (l.protocol === "HTTPS" && !l.certificates) {
      ctx.addIssue({ code: "custom", path: ["certificates"], message: "an HTTPS listener needs at least one certificate" });
    }
    if (l.protocol === "HTTP" && (l.certificates || l.sslPolicy)) {
      ctx.addIssue({
        code: "custom",
        path: [l.certificates ? "certificates" : "sslPolicy"],
        message: "certificates and sslPolicy apply only to HTTPS listeners",
      });
    }
  });

export const loadBalancer = z.strictObject({
  name: z
    .string()
    .regex(ELB_NAME, `a load balancer name is ${ELB_NAME_MESSAGE}`)
    .refine((n) => !n.toLowerCase().startsWith("internal-"), "a load balancer name must not start with `internal-`")
    .optional()
    .describe("Physical name; default `<stack>-<logical name>`"),
  scheme: z.enum(["internet-facing", "internal"]).default("internet-facing"),
  ipAddressType: z.enum(["ipv4", "dualstack"]).default("ipv4"),
  subnets: subnetSelector.optional().describe("Default: the spec's network subnets"),
  securityGroups: z.array(logicalName).min(1).max(5).describe("Security groups of this spec (logical names)"),
  idleTimeoutSeconds: z.number().int().min(1).max(4000).optional(),
  deletionProtection: z.boolean().optional(),
  accessLogs: z
    .strictObject({
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "expected an S3 bucket name"),
      prefix: z.string().optional(),
    })
    .optional()
    .describe("Write access logs to this S3 bucket (its policy must let Elastic Load Balancing write); left out: no access logs"),
  listeners: z.record(logicalName, listener).default({}),
  tags: tags.optional(),
  adopt: z.boolean().optional(),
});

export type TargetGroupSpec = z.infer<typeof targetGroup>;
export type ListenerActionSpec = z.infer<typeof listenerAction>;
export type ListenerSpec = z.infer<typeof listener>;
export type LoadBalancerSpec = z.infer<typeof loadBalancer>;
