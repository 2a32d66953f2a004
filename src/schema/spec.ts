import { z } from "zod";
import { logicalName, tags } from "./common.js";
import { network } from "./network.js";
import { securityGroup } from "./security-groups.js";
import { role } from "./iam.js";
import { logGroup } from "./logs.js";
import { loadBalancer, targetGroup } from "./load-balancing.js";
import { cluster, service, taskDefinition } from "./ecs.js";
import { discoveryService, namespace } from "./discovery.js";

const kindMap = <T extends z.ZodType>(entry: T) => z.record(logicalName, entry).default({});

export const specSchema = z
  .strictObject({
    stack: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,23}$/, "a stack name is 1-24 lower-case letters, digits or hyphens, starting with a letter")
      .describe("Owns everything it creates (tag reconcile:stack) and prefixes default names"),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "expected an AWS region such as us-east-1"),
    tags: tags.default({}),
    network,
    securityGroups: kindMap(securityGroup),
    roles: kindMap(role),
    logGroups: kindMap(logGroup),
    targetGroups: kindMap(targetGroup),
    loadBalancers: kindMap(loadBalancer),
    clusters: kindMap(cluster),
    taskDefinitions: kindMap(taskDefinition),
    services: kindMap(service),
    namespaces: kindMap(namespace),
    discoveryServices: kindMap(discoveryService),
  })
  .describe("A reconcile spec: one containerised web system on AWS");

export type Spec = z.infer<typeof specSchema>;
export type SpecInput = z.input<typeof specSchema>;
