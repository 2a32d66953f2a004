import { z } from "zod";
import { logicalName, port, tags } from "./common.js";
import { subnetSelector } from "./network.js";

/** ALB and target group names: 1-32 alphanumerics or hyphens, no hyphen at either end. */
export const ELB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;
export const ELB_NAME_MESSAGE = "1-32 letters, digits or hyphens, not starting or ending with a hyphen";

const matcher = z.union([
  z.string().regex(/^\d{3}([-,]\d{3})*$/, "expected HTTP codes such as 200 or 200-299 or 200,302"),
  z.strictObject({
    httpCode: z
      .string()
      .regex(/^\d{3}([-,]\d{3})*$/)
      .describe("Healthy HTTP codes, such as 200, 200-299 or 200,302"),
  }),
  z.strictObject({
    grpcCode: z
      .string()
      .regex(/^\d{1,2}([-,]\d{1,2})*$/)
      .describe("Healthy gRPC codes (GRPC target groups), such as 0 or 0-99"),
  }),
]);

export const healthCheck = z.strictObject({
  enabled: z.boolean().optional().describe("Whether the load balancer checks its targets; default AWS's (on for ip targets)"),
  protocol: z.enum(["HTTP", "HTTPS", "TCP"]).optional().describe("Protocol of the check; default AWS's (the target group's protocol)"),
  port: z
    .union([z.literal("traffic-port"), port])
    .optional()
    .describe("Port of the check: `traffic-port` (the port a target receives traffic on) or a number; default traffic-port"),
  path: z
    .string()
    .regex(/^\//, "a health check path starts with /")
    .max(1024)
    .optional()
    .describe("HTTP(S) path requested, such as /health; default AWS's `/`"),
  healthyThreshold: z
    .number()
    .int()
    .min(2)
    .max(10)
    .optional()
    .describe("Checks in a row that make a target healthy (2-10); default AWS's 5"),
  unhealthyThreshold: z
    .number()
    .int()
    .min(2)
    .max(10)
    .optional()
    .describe("Failed checks in a row that make a target unhealthy (2-10); default AWS's 2"),
  timeoutSeconds: z
    .number()
    .int()
    .min(2)
    .max(120)
    .optional()
    .describe("Seconds without an answer that fail a check (2-120); default AWS's 5"),
  intervalSeconds: z.number().int().min(5).max(300).optional().describe("Seconds between checks of a target (5-300); default AWS's 30"),
  matcher: matcher.optional().describe("Healthy HTTP codes (`200-299`) or `{ grpcCode: … }`"),
});

export const targetGroup = z
  .strictObject({
    name: z
      .string()
      .regex(ELB_NAME, `a target group name is ${ELB_NAME_MESSAGE}`)
      .optional()
      .describe("Physical name; default `<stack>-<logical name>`"),
    targetType: z
      .enum(["ip", "instance", "lambda", "alb"])
      .default("ip")
      .describe("What is registered: `ip` for Fargate tasks (awsvpc); default ip; a change replaces the group"),
    protocol: z
      .enum(["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"])
      .default("HTTP")
      .describe("How the load balancer talks to the targets; default HTTP; a change replaces the group"),
    protocolVersion: z
      .enum(["HTTP1", "HTTP2", "GRPC"])
      .optional()
      .describe("HTTP and HTTPS groups only: the version sent to targets; default AWS's HTTP1"),
    port: port.describe("The port targets receive traffic on (1-65535), normally the container port; a change replaces the group"),
    healthCheck: healthCheck.optional().describe("How the load balancer checks targets; fields left out keep AWS's defaults"),
    deregistrationDelaySeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .optional()
      .describe("Seconds a deregistering target keeps serving its open requests (0-3600); default AWS's 300"),
    stickiness: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Whether requests of one client go to the same target; default true here"),
        type: z
          .enum(["lb_cookie", "app_cookie"])
          .default("lb_cookie")
          .describe("`lb_cookie`: the load balancer's cookie; `app_cookie`: the application's (give cookieName); default lb_cookie"),
        durationSeconds: z
          .number()
          .int()
          .min(1)
          .max(604800)
          .optional()
          .describe("How long a client stays on its target, in seconds (1-604800); default 86400 (one day)"),
        cookieName: z.string().optional().describe("app_cookie only: the application cookie's name"),
      })
      .refine((s) => s.type !== "app_cookie" || s.cookieName, { message: "app_cookie stickiness needs `cookieName`", path: ["cookieName"] })
      .optional()
      .describe("Sticky sessions; absent: off"),
    tags: tags.optional(),
    adopt: z.boolean().optional().describe("Take over a target group of this name that lacks this stack's ownership tags"),
  })
  .refine((tg) => tg.protocolVersion === undefined || tg.protocol === "HTTP" || tg.protocol === "HTTPS", {
    message: "`protocolVersion` applies only to HTTP and HTTPS target groups",
    path: ["protocolVersion"],
  });

const weightedTarget = z.strictObject({
  targetGroup: logicalName.describe("A target group of this spec (logical name)"),
  weight: z.number().int().min(0).max(999).default(1).describe("Its share of requests, relative to the others' (0-999); default 1"),
});

const forwardAction = z.union([
  logicalName.describe("The target group (logical name) that receives all requests"),
  z.strictObject({
    targetGroups: z.array(weightedTarget).min(1).max(5).describe("Target groups sharing the requests by weight (1-5)"),
    stickinessSeconds: z
      .number()
      .int()
      .min(1)
      .max(604800)
      .optional()
      .describe("Keep a client on the same target group for this many seconds; absent: no group stickiness"),
  }),
]);

const redirectAction = z.strictObject({
  protocol: z.enum(["HTTP", "HTTPS", "#{protocol}"]).optional().describe("Protocol to redirect to; default `#{protocol}` (the request's)"),
  port: z
    .union([port, z.literal("#{port}")])
    .optional()
    .describe("Port to redirect to; default `#{port}` (the request's)"),
  host: z.string().optional().describe("Host to redirect to; default `#{host}` (the request's)"),
  path: z.string().optional().describe("Path to redirect to, starting with /; default `/#{path}` (the request's)"),
  query: z.string().optional().describe("Query string, without the `?`; default `#{query}` (the request's)"),
  statusCode: z
    .enum(["HTTP_301", "HTTP_302"])
    .default("HTTP_301")
    .describe("`HTTP_301` (permanent) or `HTTP_302` (temporary); default HTTP_301"),
});

const fixedResponseAction = z.strictObject({
  statusCode: z
    .string()
    .regex(/^[2-5]\d\d$/, "expected an HTTP status code 2XX-5XX")
    .describe('The HTTP status answered, as a string such as "404"'),
  contentType: z
    .enum(["text/plain", "text/css", "text/html", "application/javascript", "application/json"])
    .optional()
    .describe("Content-Type of the answer; default AWS's text/plain"),
  messageBody: z.string().max(1024).optional().describe("The answer's body (at most 1024 characters); default empty"),
});

export const listenerAction = z
  .strictObject({
    forward: forwardAction
      .optional()
      .describe("Send the request to a target group of this spec (its logical name), or share it among several by weight"),
    redirect: redirectAction.optional().describe("Answer with a redirect; each part left out keeps the request's"),
    fixedResponse: fixedResponseAction.optional().describe("Answer with a fixed status and body"),
  })
  .refine((a) => [a.forward, a.redirect, a.fixedResponse].filter((x) => x !== undefined).length === 1, {
    message: "an action is exactly one of `forward`, `redirect`, `fixedResponse`",
  });

export const listenerRule = z.strictObject({
  priority: z.number().int().min(1).max(50000).describe("Order among the listener's rules, lowest first (1-50000); unique per listener"),
  conditions: z
    .strictObject({
      pathPatterns: z
        .array(z.string().min(1).max(128))
        .min(1)
        .optional()
        .describe("Request paths, with * and ? wildcards, such as /api/*; any one matches"),
      hostHeaders: z
        .array(z.string().min(1).max(128))
        .min(1)
        .optional()
        .describe("Host names, with * and ? wildcards, such as api.example.com; any one matches"),
      httpHeaders: z
        .array(
          z.strictObject({
            name: z.string().min(1).max(40).describe("The header's name, such as X-Canary"),
            values: z.array(z.string().min(1)).min(1).describe("Values, with * and ? wildcards; any one matches"),
          }),
        )
        .min(1)
        .optional()
        .describe("Request headers that must match"),
    })
    .refine((c) => c.pathPatterns || c.hostHeaders || c.httpHeaders, { message: "a rule needs at least one condition" })
    .describe("When the rule applies: every condition given must match (at least one)"),
  action: listenerAction.describe("What the rule does with a matching request: exactly one of forward, redirect, fixedResponse"),
});

export const listener = z
  .strictObject({
    protocol: z.enum(["HTTP", "HTTPS"]).describe("HTTP, or HTTPS with certificates"),
    port: port.describe("The port the load balancer listens on (1-65535), such as 80 or 443"),
    certificates: z
      .array(z.string().regex(/^arn:aws[a-z-]*:(acm|iam):/, "expected an ACM or IAM certificate ARN"))
      .min(1)
      .optional()
      .describe("HTTPS only: the first is the default certificate"),
    sslPolicy: z
      .string()
      .optional()
      .describe("HTTPS only: the ELB security policy, such as ELBSecurityPolicy-TLS13-1-2-2021-06; default AWS's"),
    defaultAction: listenerAction.describe(
      "What the listener does with a request no rule matches: exactly one of forward, redirect, fixedResponse",
    ),
    rules: z
      .record(logicalName, listenerRule)
      .default({})
      .describe("Rules by logical name, tried in priority order before the default action"),
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
  scheme: z
    .enum(["internet-facing", "internal"])
    .default("internet-facing")
    .describe("`internet-facing` (public addresses) or `internal` (VPC only); default internet-facing; a change replaces it"),
  ipAddressType: z.enum(["ipv4", "dualstack"]).default("ipv4").describe("`ipv4`, or `dualstack` for IPv4 and IPv6; default ipv4"),
  subnets: subnetSelector.optional().describe("Default: the spec's network subnets"),
  securityGroups: z.array(logicalName).min(1).max(5).describe("Security groups of this spec (logical names)"),
  idleTimeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(4000)
    .optional()
    .describe("Seconds a connection may stay idle before the load balancer closes it (1-4000); default AWS's 60"),
  deletionProtection: z
    .boolean()
    .optional()
    .describe("When true, the load balancer cannot be deleted: `reconcile delete` refuses until an apply turns it off; default false"),
  accessLogs: z
    .strictObject({
      bucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "expected an S3 bucket name")
        .describe("The S3 bucket's name"),
      prefix: z.string().optional().describe("Key prefix of the log files in the bucket; default none"),
    })
    .optional()
    .describe("Write access logs to this S3 bucket (its policy must let Elastic Load Balancing write); left out: no access logs"),
  listeners: z.record(logicalName, listener).default({}).describe("Listeners by logical name (one per port)"),
  tags: tags.optional(),
  adopt: z.boolean().optional().describe("Take over a load balancer of this name that lacks this stack's ownership tags"),
});

export type TargetGroupSpec = z.infer<typeof targetGroup>;
export type ListenerActionSpec = z.infer<typeof listenerAction>;
export type ListenerSpec = z.infer<typeof listener>;
export type LoadBalancerSpec = z.infer<typeof loadBalancer>;
