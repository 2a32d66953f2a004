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
  capacityProvider: z.string().min(1).describe("A capacity provider, such as FARGATE or FARGATE_SPOT"),
  weight: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(1)
    .describe("Its share of the tasks beyond the bases, relative to the others' (0-1000); default 1"),
  base: z.number().int().min(0).max(100000).optional().describe("Tasks always placed on it before weights count; default 0"),
});
const capacityProviderStrategy = z
  .array(capacityProviderItem)
  .min(1)
  .max(20)
  .describe(
    "How tasks are spread over capacity providers, such as [{ capacityProvider: FARGATE_SPOT, weight: 3 }, { capacityProvider: FARGATE, base: 1 }]",
  );

export const cluster = z.strictObject({
  name: ecsName("a cluster name").optional().describe("Physical name; default `<stack>-<logical name>`"),
  containerInsights: z
    .enum(["enabled", "disabled", "enhanced"])
    .optional()
    .describe("CloudWatch Container Insights metrics for the cluster; absent: left as AWS sets it (the account's default)"),
  capacityProviders: z.array(z.string().min(1)).optional().describe("Such as [FARGATE, FARGATE_SPOT]"),
  defaultCapacityProviderStrategy: capacityProviderStrategy
    .optional()
    .describe("The strategy of services that name neither launchType nor capacityProviderStrategy"),
  tags: tags.optional(),
  adopt: z.boolean().optional().describe("Take over a cluster of this name that lacks this stack's ownership tags"),
});

/** A role of this spec (logical name) or the ARN of a role the spec does not manage. */
const roleReference = z.string().min(1).describe("A role of this spec (logical name) or a role ARN");

const portMapping = z.union([
  port.describe("A container port; the host port equals it (awsvpc)"),
  z.strictObject({
    containerPort: port.describe("The port the container listens on (1-65535)"),
    hostPort: port.optional().describe("Under awsvpc it must equal containerPort"),
    protocol: z.enum(["tcp", "udp"]).default("tcp").describe("tcp or udp; default tcp"),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/)
      .optional()
      .describe("The mapping's name, for Service Connect (lower-case letters, digits, hyphens)"),
    appProtocol: z.enum(["http", "http2", "grpc"]).optional().describe("The application protocol, for Service Connect"),
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
        .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, "expected a Secrets Manager secret ARN")
        .describe("Secrets Manager secret ARN"),
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
  intervalSeconds: z.number().int().min(5).max(300).optional().describe("Seconds between checks (5-300); default AWS's 30"),
  timeoutSeconds: z.number().int().min(2).max(60).optional().describe("Seconds a check may take before it fails (2-60); default AWS's 5"),
  retries: z
    .number()
    .int()
    .min(1)
    .max(10)
    .optional()
    .describe("Failed checks in a row that make the container unhealthy (1-10); default AWS's 3"),
  startPeriodSeconds: z
    .number()
    .int()
    .min(0)
    .max(300)
    .optional()
    .describe("Seconds after start during which failed checks do not count (0-300); default AWS's 0"),
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
      value: environmentText.describe("The value (numbers and booleans are written as text)"),
      sensitive: z.boolean().default(false).describe("`true`: the value is shown as `(sensitive)` in plans, reports, logs and errors"),
    })
    .describe('A value with how it is shown, such as `{ value: "…", sensitive: true }`'),
]);

export const container = z.strictObject({
  image: z.string().min(1).describe("The image to run, such as docker.io/library/nginx:1.27 or an ECR image URI"),
  cpu: cpuUnits.optional(),
  memory: memoryMiB.optional().describe("Hard limit: the container is killed above it"),
  memoryReservation: memoryMiB.optional().describe("Soft limit"),
  essential: z.boolean().default(true).describe("When an essential container stops, the whole task stops; default true"),
  portMappings: z
    .array(portMapping)
    .default([])
    .describe("Ports the container listens on: `[8080]` or `[{ containerPort: 8080, … }]`; default none"),
  environment: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "invalid environment variable name"), environmentValue)
    .default({})
    .describe(
      "Plain values, stored in clear in the task definition. Values of names that look secret (PASSWORD, TOKEN, API_KEY, …) and values marked `sensitive: true` are never printed",
    ),
  secrets: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "invalid environment variable name"), secretSource)
    .default({})
    .describe("Environment variables whose values ECS reads from SSM Parameter Store or Secrets Manager, by variable name"),
  dependsOn: z
    .array(
      z.strictObject({
        container: z.string().min(1).describe("Another container of this task definition, by name"),
        condition: z
          .enum(["START", "COMPLETE", "SUCCESS", "HEALTHY"])
          .describe("What it must reach first: START, COMPLETE (exited), SUCCESS (exited 0) or HEALTHY (its healthCheck passes)"),
      }),
    )
    .default([])
    .describe("Containers that must reach a condition before this one starts; default none"),
  healthCheck: containerHealthCheck
    .optional()
    .describe("A command ECS runs in the container to decide whether it is healthy; absent: none"),
  command: z.array(z.string()).optional().describe('Arguments that replace the image\'s CMD, such as ["npm", "start"]'),
  entryPoint: z.array(z.string()).optional().describe("Replaces the image's ENTRYPOINT"),
  workingDirectory: z.string().optional().describe("Directory the command runs in; default the image's"),
  user: z.string().optional().describe("User (name or uid, optionally :group) the command runs as; default the image's"),
  logging: z
    .strictObject({
      awslogs: z
        .strictObject({
          logGroup: logicalName.describe("A log group of this spec (logical name)"),
          streamPrefix: z.string().min(1).optional().describe("Default: the container's name"),
          region: z.string().optional().describe("Default: the spec's region"),
        })
        .describe("Send stdout and stderr to a CloudWatch Logs log group of this spec (the awslogs driver)"),
    })
    .optional()
    .describe("Where the container's output goes; absent: nowhere"),
  readonlyRootFilesystem: z.boolean().optional().describe("Mount the root file system read-only; default false"),
  ulimits: z
    .array(
      z.strictObject({
        name: z.enum(ULIMIT_NAMES).describe("The limit, such as nofile (open files)"),
        softLimit: z.number().int().describe("The soft limit"),
        hardLimit: z.number().int().describe("The hard limit"),
      }),
    )
    .optional()
    .describe("Linux resource limits; absent: Fargate's defaults (nofile 65535)"),
  stopTimeoutSeconds: z
    .number()
    .int()
    .min(2)
    .max(120)
    .optional()
    .describe("Seconds between SIGTERM and SIGKILL when the task stops (2-120); default AWS's 30"),
  startTimeoutSeconds: z
    .number()
    .int()
    .min(2)
    .max(600)
    .optional()
    .describe("Seconds to wait for the containers this one dependsOn before giving up (2-600)"),
});

export const taskDefinition = z.strictObject({
  family: ecsName("a task definition family").optional().describe("Default: `<stack>-<logical name>`"),
  cpu: cpuUnits,
  memory: memoryMiB,
  runtimePlatform: z
    .strictObject({
      cpuArchitecture: z
        .enum(["X86_64", "ARM64"])
        .default("X86_64")
        .describe("X86_64 or ARM64 (Graviton): the images must be built for it; default X86_64"),
      operatingSystemFamily: z.literal("LINUX").default("LINUX").describe("LINUX, the only one here"),
    })
    .optional()
    .describe("The CPU architecture and operating system the tasks run on; default X86_64 Linux"),
  executionRole: roleReference.optional().describe("What ECS uses to pull images, write logs and read secrets"),
  taskRole: roleReference.optional().describe("What the task's code may do"),
  ephemeralStorageGiB: z.number().int().min(21).max(200).optional().describe("The task's disk, in GiB (21-200); default Fargate's 20"),
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
    taskDefinition: logicalName.describe(
      "A task definition of this spec (its logical name): the service runs its newest revision this stack registered",
    ),
    desiredCount: z
      .number()
      .int()
      .min(0)
      .max(5000)
      .optional()
      .describe("Initial count; once autoScaling is set, the scaler owns it and it is not drift"),
    launchType: z
      .enum(["FARGATE"])
      .optional()
      .describe("FARGATE; give it or capacityProviderStrategy, or neither to use the cluster's default strategy"),
    capacityProviderStrategy: capacityProviderStrategy.optional(),
    platformVersion: z
      .string()
      .regex(/^(LATEST|\d+\.\d+\.\d+)$/, "expected LATEST or a version such as 1.4.0")
      .optional()
      .describe("Fargate platform version, such as 1.4.0; default AWS's LATEST"),
    schedulingStrategy: z.enum(["REPLICA", "DAEMON"]).default("REPLICA").describe("REPLICA, the only one Fargate runs; default REPLICA"),
    deployment: z
      .strictObject({
        minimumHealthyPercent: z
          .number()
          .int()
          .min(0)
          .max(100)
          .optional()
          .describe("During a deployment, the running tasks kept, in percent of desiredCount (0-100); default AWS's 100"),
        maximumPercent: z
          .number()
          .int()
          .min(100)
          .max(200)
          .optional()
          .describe("During a deployment, the most tasks at once, in percent of desiredCount (100-200); default AWS's 200"),
        circuitBreaker: z
          .strictObject({
            enable: z.boolean().describe("Stop a deployment whose tasks keep failing to start"),
            rollback: z.boolean().describe("And roll back to the last deployment that completed"),
          })
          .optional()
          .describe("The deployment circuit breaker; default AWS's: off"),
      })
      .optional()
      .describe("How a new revision rolls out"),
    network: z
      .strictObject({
        subnets: subnetSelector.optional().describe("Default: the spec's network subnets"),
        securityGroups: z
          .array(logicalName)
          .min(1)
          .max(5)
          .describe("Security groups of this spec (logical names) for the tasks' network interfaces (1-5)"),
        assignPublicIp: assignPublicIp
          .default("DISABLED")
          .describe(
            "Give each task a public IP (true/ENABLED): needed in public subnets without a NAT gateway to pull public images; default DISABLED",
          ),
      })
      .describe("awsvpc configuration: every Fargate task gets its own network interface"),
    loadBalancers: z
      .array(
        z.strictObject({
          targetGroup: logicalName.describe("A target group of this spec (logical name)"),
          container: z.string().min(1).describe("The container, by name, in the service's task definition"),
          port: port.describe("That container's port that receives the traffic"),
        }),
      )
      .max(5)
      .default([])
      .describe("Target groups the service registers its tasks in (at most 5); default none"),
    healthCheckGracePeriodSeconds: z
      .number()
      .int()
      .min(0)
      .max(2147483647)
      .optional()
      .describe("Seconds after a task starts during which failing load balancer health checks do not stop it; default AWS's 0"),
    serviceDiscovery: z
      .strictObject({
        service: logicalName.describe("A discovery service of this spec"),
        container: z.string().optional().describe("For SRV records: the container whose port is registered"),
        port: port.optional().describe("For SRV records: the port registered"),
      })
      .optional()
      .describe("Register the service's tasks in a Cloud Map discovery service of this spec, so others find them by DNS name"),
    propagateTags: z
      .enum(["SERVICE", "TASK_DEFINITION", "NONE"])
      .optional()
      .describe("Copy the service's or the task definition's tags to the tasks; default AWS's NONE"),
    enableExecuteCommand: z.boolean().optional().describe("Allow `aws ecs execute-command` into the tasks; default false"),
    autoScaling: autoScaling.optional(),
    tags: tags.optional(),
    adopt: z.boolean().optional().describe("Take over a service of this name that lacks this stack's ownership tags"),
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
