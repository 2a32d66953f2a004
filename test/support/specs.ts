import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { loadSpec, type SpecInput, type ValidationResult } from "../../src/schema/index.js";

/** examples/microblog.yaml as written: the reference system's values, for tests that hold a kind to them. */
export const REFERENCE_INPUT = parse(
  readFileSync(fileURLToPath(new URL("../../examples/microblog.yaml", import.meta.url)), "utf8"),
) as SpecInput;

/** The reference target group (`tgCurso107` of examples/microblog.yaml) as AWS's API writes it, in CreateTargetGroup and DescribeTargetGroups. */
export const REFERENCE_TARGET_GROUP_AWS = {
  TargetType: "ip",
  Protocol: "HTTP",
  ProtocolVersion: "HTTP1",
  Port: 8080,
  HealthCheckProtocol: "HTTP",
  HealthCheckPort: "traffic-port",
  HealthCheckPath: "/",
  HealthyThresholdCount: 5,
  UnhealthyThresholdCount: 2,
  HealthCheckTimeoutSeconds: 5,
  HealthCheckIntervalSeconds: 15,
  Matcher: { HttpCode: "200-299" },
};

export const BASE_SPEC = readFileSync(fileURLToPath(new URL("../fixtures/base.yaml", import.meta.url)), "utf8");

/** Validates in-memory files, in order, as `reconcile validate -f a -f b` would. */
export function validateTexts(files: Record<string, string>, env: Record<string, string> = {}): Promise<ValidationResult> {
  return loadSpec(Object.keys(files), {
    env,
    readText: async (file) => {
      const text = files[file];
      if (text === undefined) throw new Error(`ENOENT: no such file ${file}`);
      return text;
    },
  });
}

/** The base spec (valid, every kind present) with an overlay merged over it. */
export function validateOverlay(overlay: string, env: Record<string, string> = {}): Promise<ValidationResult> {
  return validateTexts({ "base.yaml": BASE_SPEC, "case.yaml": overlay }, env);
}

/**
 * A small web service on Fargate, as YAML: its cluster, task definition (one nginx container on 8080) and
 * service in group `web`, attached to target group `web` when `targetGroup` is set. Append it to a spec that
 * has a `web` security group (`ecsStackYaml` gives one).
 */
export function ecsYaml(k: { image?: string; desiredCount?: number; targetGroup?: boolean } = {}): string {
  return `
clusters:
  main: { containerInsights: enabled }
taskDefinitions:
  web:
    cpu: 256
    memory: 512
    containers:
      app: { image: "${k.image ?? "public.ecr.aws/nginx/nginx:1.27"}", portMappings: [8080] }
services:
  web:
    taskDefinition: web
    desiredCount: ${k.desiredCount ?? 2}
    network: { securityGroups: [web] }
${k.targetGroup ? "    loadBalancers: [{ targetGroup: web, container: app, port: 8080 }]\n" : ""}`;
}

/** `ecsYaml` as a stack of its own, in the default VPC, with its `web` security group. */
export function ecsStackYaml(stack: string, k: Parameters<typeof ecsYaml>[0] = {}): string {
  return `
stack: ${stack}
region: us-east-1
network: { vpc: default, subnets: { availabilityZones: [us-east-1a, us-east-1b] } }
securityGroups:
  web: { ingress: [{ protocol: tcp, port: 8080, cidr: 10.0.0.0/8 }] }
${ecsYaml(k)}`;
}

/** Appended to `ecsYaml`'s service: Fargate, with target tracking on CPU and a step policy on memory. */
export const SCALED_SERVICE_YAML = `    launchType: FARGATE
    autoScaling:
      minCapacity: 1
      maxCapacity: 3
      targetTracking:
        cpu: { metric: cpu, targetValue: 50 }
      stepScaling:
        burst:
          steps: [{ lowerBound: 0, adjustment: 1 }]
          alarm: { metric: memory, comparison: GreaterThanThreshold, threshold: 80 }
`;
