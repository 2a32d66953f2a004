import { z } from "zod";
import { logicalName, port, tags } from "./common.js";
import { subnetSelector } from "./network.js";
import { cpuUnits, memoryMiB } from "./units.js";
import { autoScaling } from "./autoscaling.js";
import type { EnvironmentValue } from "./sensitive.js";

/** ECS cluster, service, task family and container names share one rule. */
const ECS_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const ecsName = (what: string) => z.string().regex(ECS_NAME, `${what} is 1-255 letters, digits, hyphens or underscores`);

const capacityProviderItem = z.strictObject({
  capacityProvider: z.string().min(1),
  weight: z.number().int().min(0).max(1000).default(1),
  base: z.number().int().min(0).max(100000).optional(),
});
const capacityProviderStrategy = z.array(capacityProviderItem).min(1).max(20);

export const cluster = z.strictObject({
  name: ecsName("a cluster name").optional().describe("Physical name; default `<stack>-<logical name>`"),
  containerInsights: z.enum(["enabled", "disabled", "enhanced"]).optional(),
  capacityProviders: z.array(z.string().min(1)).optional().describe("Such as [FARGATE, FARGATE_SPOT]"),
  defaultCapacityProviderStrategy: capacityProviderStrategy.optional(),
  tags: tags.optional(),
  adopt: z.boolean().optional(),
});

/** A role of this spec (logical name) or the ARN of a role the spec does not manage. */
const roleReference = z.string().min(1).describe("A role of this spec (logical name) or a role ARN");

const portMapping = z.union([
  port.describe("A container port; the host port equals it (awsvpc)"),
  z.strictObject({
    containerPort: port,
    hostPort: port.optional().describe("Under awsvpc it must equal containerPort"),
    protocol: z.enum(["tcp", "udp"]).default("tcp"),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/)
      .optional(),
    appProtocol: z.enum(["http", "http2", "grpc"]).optional(),
  }),
]);

const secretSource = z
  .union([
    z.strictObject({
      ssmParameter: z
        .string()
        .regex(/^(\/?[\w.\-/]+|arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/.+)$/, "expected an SSM parameter name or ARN")
        .describe("SSM Parameter Store parameter name (/app/db-password) or ARN"),
    }),
    z.strictObject({
      secretsManager: z
        .string()
        .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, "expected a Secrets Manager secret ARN"),
      jsonKey: z.string().min(1).optional().describe("Take one key of a JSON secret"),
    }),
  ])
  .describe("Where ECS reads the value at task start; it never appears in the spec or in output");

const containerHealthCheck = z.strictObject({
  command: z
    .array(z.string())
    .min(2)
    .refine((c) => c[0] === "CMD" || c[0] === "CMD-SHELL", "the command starts with CMD or CMD-SHELL")
    .describe('Such as ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]'),
  intervalSeconds: z.number().int().min(5).max(300).optional(),
  timeoutSeconds: z.number().int().min(2).max(60).optional(),
  retries: z.number().int().min(1).max(10).optional(),
  startPeriodSeconds: z.number().int().min(0).max(300).optional(),
});

const ULIMIT_NAMES = [
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
] as const;

const environmentText = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/** A value as is, or `{ value, sensitive: true }`; validated into one form, whether the spec marked it or not. */
const environmentValue = z.union([
  environmentText.transform((value): EnvironmentValue => ({ value, sensitive: false })),
  z
    .strictObject({
      value: environmentText,
      sensitive: z.boolean().default(false).describe("`true`: the value is shown as `(sensitive)` in plans, reports, logs and errors"),
    })
    .describe('A value with how it is shown, such as `{ value: "…", sensitive: true }`'),
]);

export const container = z.strictObject({
  image: z.string().min(1),
  cpu: cpuUnits.optional(),
  memory: memoryMiB.optional().describe("Hard limit: the container is killed above it"),
  memoryReservation: memoryMiB.optional().describe("Soft limit"),
  essential: z.boolean().default(true),
  portMappings: z.array(portMapping).default([]),
  environment: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "invalid environment variable name"), environmentValue)
    .default({})
    .describe(
      "Plain values, stored in clear in the task definition. Values of names that look secret (PASSWORD, TOKEN, API_KEY, …) and values marked `sensitive: true` are never printed",
    ),
  secrets: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "invalid environment variable name"), secretSource).default({}),
  dependsOn: z
    .array(z.strictObject({ container: z.string().min(1), condition: z.enum(["START", "COMPLETE", "SUCCESS", "HEALTHY"]) }))
    .default([]),
  healthCheck: containerHealthCheck.optional(),
  command: z.array(z.string()).optional(),
  entryPoint: z.array(z.string()).optional(),
  workingDirectory: z.string().optional(),
  user: z.string().optional(),
  logging: z
    .strictObject({
      awslogs: z.strictObject({
        logGroup: logicalName.describe("A log group of this spec (logical name)"),
        streamPrefix: z.string().min(1).optional().describe("Default: the container's name"),
        region: z.string().optional().describe("Default: the spec's region"),
      }),
    })
    .optional(),
  readonlyRootFilesystem: z.boolean().optional(),
  ulimits: z.array(z.strictObject({ name: z.enum(ULIMIT_NAMES), softLimit: z.number().int(), hardLimit: z.number().int() })).optional(),
  stopTimeoutSeconds: z.number().int().min(2).max(120).optional(),
  startTimeoutSeconds: z.number().int().min(2).max(600).optional(),
});

export const taskDefinition = z.strictObject({
  family: ecsName("a task definition family").optional().describe("Default: `<stack>-<logical name>`"),
  cpu: cpuUnits,
  memory: memoryMiB,
  runtimePlatform: z
    .strictObject({
      cpuArchitecture: z.enum(["X86_64", "ARM64"]).default("X86_64"),
      operatingSystemFamily: z.literal("LINUX").default("LINUX"),
    })
    .optional(),
  executionRole: roleReference.optional().describe("What ECS uses to pull images, write logs and read secrets"),
  taskRole: roleReference.optional().describe("What the task's code may do"),
  ephemeralStorageGiB: z.number().int().min(21).max(200).optional(),
  keepRevisions: z
    .number()
    .int()
    .min(2)
    .max(100)
    .default(5)
    .describe(
      "How many of the newest revisions this stack registered stay active; older ones are deregistered. At least 2: the services still run the previous one while they move to the new one",
    ),
  containers: z
    .record(ecsName("a container name"), container)
    .refine((c) => Object.keys(c).length > 0, "a task definition needs at least one container")
    .describe("Keyed by container name"),
  tags: tags.optional(),
  adopt: z.boolean().optional().describe("Register this stack's revisions in a family whose revisions are not tagged as its own"),
});

const assignPublicIp = z
  .union([z.boolean(), z.enum(["ENABLED", "DISABLED"])])
  .transform((v) => (v === true || v === "ENABLED" ? "ENABLED" : "DISABLED"));

export const service = z
  .strictObject({
    name: ecsName("a service name").optional().describe("Physical name; default `<stack>-<logical name>`"),
    cluster: logicalName.optional().describe("A cluster of this spec; may be left out when the spec has exactly one"),
    taskDefinition: logicalName,
    desiredCount: z
      .number()
      .int()
      .min(0)
      .max(5000)
      .optional()
      .describe("Initial count; once autoScaling is set, the scaler owns it and it is not drift"),
    launchType: z.enum(["FARGATE"]).optional(),
    capacityProviderStrategy: capacityProviderStrategy.optional(),
    platformVersion: z
      .string()
      .regex(/^(LATEST|\d+\.\d+\.\d+)$/, "expected LATEST or a version such as 1.4.0")
      .optional(),
    schedulingStrategy: z.enum(["REPLICA", "DAEMON"]).default("REPLICA"),
    deployment: z
      .strictObject({
        minimumHealthyPercent: z.number().int().min(0).max(100).optional(),
        maximumPercent: z.number().int().min(100).max(200).optional(),
        circuitBreaker: z.strictObject({ enable: z.boolean(), rollback: z.boolean() }).optional(),
      })
      .optional(),
    network: z
      .strictObject({
        subnets: subnetSelector.optional().describe("Default: the spec's network subnets"),
        securityGroups: z.array(logicalName).min(1).max(5),
        assignPublicIp: assignPublicIp.default("DISABLED"),
      })
      .describe("awsvpc configuration: every Fargate task gets its own network interface"),
    loadBalancers: z
      .array(z.strictObject({ targetGroup: logicalName, container: z.string().min(1), port }))
      .max(5)
      .default([]),
    healthCheckGracePeriodSeconds: z.number().int().min(0).max(2147483647).optional(),
    serviceDiscovery: z
      .strictObject({
        service: logicalName.describe("A discovery service of this spec"),
        container: z.string().optional().describe("For SRV records: the container whose port is registered"),
        port: port.optional(),
      })
      .optional(),
    propagateTags: z.enum(["SERVICE", "TASK_DEFINITION", "NONE"]).optional(),
    enableExecuteCommand: z.boolean().optional(),
    autoScaling: autoScaling.optional(),
    tags: tags.optional(),
    adopt: z.boolean().optional(),
  })
  .superRefine((s, ctx) => {
    if (s.launchType && s.capacityProviderStrategy) {
      ctx.addIssue({
        code: "custom",
        path: ["capacityProviderStrategy"],
        message: "give `launchType` or `capacityProviderStrategy`, not both",
      });
    }
    if (s.schedulingStrategy === "DAEMON") {
      ctx.addIssue({ code: "custom", path: ["schedulingStrategy"], message: "Fargate does not run DAEMON services: use REPLICA" });
    }
  });

export type ClusterSpec = z.infer<typeof cluster>;
export type ContainerSpec = z.infer<typeof container>;
export type TaskDefinitionSpec = z.infer<typeof taskDefinition>;
export type ServiceSpec = z.infer<typeof service>;
