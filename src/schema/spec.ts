import { z } from "zod";
import { logicalName, tags } from "./common.js";
import { network } from "./network.js";
import { securityGroup } from "./security-groups.js";
import { role } from "./iam.js";
import { logGroup } from "./logs.js";
import { loadBalancer, targetGroup } from "./load-balancing.js";
import { cluster, service, taskDefinition } from "./ecs.js";
import { discoveryService, namespace } from "./discovery.js";

// zod compiles a parser for each object schema on its first parse; a spec is parsed once per run (once per tick in
// the loop), so compiling costs more than it saves (about 20 ms of `validate`'s start).
z.config({ jitless: true });

const kindMap = <T extends z.ZodType>(entry: T) => z.record(logicalName, entry).default({});

export const specSchema = z
  .strictObject({
    stack: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,23}$/, "a stack name is 1-24 lower-case letters, digits or hyphens, starting with a letter")
      .describe("Owns everything it creates (tag reconcile:stack) and prefixes default names"),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "expected an AWS region such as us-east-1")
      .describe("The AWS region the whole stack lives in, such as us-east-1"),
    tags: tags.default({}),
    network,
    securityGroups: kindMap(securityGroup).describe("Security groups, by logical name: created, or rules added to an existing one"),
    roles: kindMap(role).describe("IAM roles, by logical name: task execution and task roles"),
    logGroups: kindMap(logGroup).describe("CloudWatch Logs log groups, by logical name, for the containers' awslogs logging"),
    targetGroups: kindMap(targetGroup).describe("Load balancer target groups, by logical name: services register their tasks in them"),
    loadBalancers: kindMap(loadBalancer).describe("Application Load Balancers, by logical name, with their listeners and rules"),
    clusters: kindMap(cluster).describe("ECS clusters, by logical name"),
    taskDefinitions: kindMap(taskDefinition).describe("ECS task definitions (Fargate), by logical name: a change registers a new revision"),
    services: kindMap(service).describe("ECS services on Fargate, by logical name, each with its optional auto scaling"),
    namespaces: kindMap(namespace).describe("Cloud Map private DNS namespaces (such as app.local), by logical name, in the spec's VPC"),
    discoveryServices: kindMap(discoveryService).describe(
      "Cloud Map services, by logical name: one DNS name in a namespace that ECS services register their tasks under",
    ),
  })
  .describe("A reconcile spec: one containerised web system on AWS");

export type Spec = z.infer<typeof specSchema>;
export type SpecInput = z.input<typeof specSchema>;
