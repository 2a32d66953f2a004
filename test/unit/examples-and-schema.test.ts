import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { formatPath, loadSpec, specJsonSchema } from "../../src/schema/index.js";
import { validateTexts } from "../support/specs.js";

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const EXAMPLES = ["examples/microblog.yaml", "examples/microblog-shared-db.yaml"];
/** Environment values as validated: each with whether the spec marked it sensitive. */
const unmarked = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([name, value]) => [name, { value, sensitive: false }]));

describe("the examples", () => {
  it("microblog.yaml is valid and warns about exactly the reference system's flaws", async () => {
    const result = await loadSpec([repo("examples/microblog.yaml")]);
    expect(result.spec).toBeDefined();
    const warnings = result.diagnostics.map((d) => `${d.severity} ${d.code} ${formatPath(d.path)}`);
    expect(warnings).toEqual([
      "warning open-ingress securityGroups.default.ingress[0]",
      "warning no-retention logGroups.app",
      "warning plain-secret taskDefinitions.web.containers.container1Curso107.environment.DB_PASSWORD",
      "warning plain-secret taskDefinitions.web.containers.container2Curso107.environment.POSTGRES_PASSWORD",
    ]);
    // A warning names a secret-looking variable, never its value.
    expect(result.diagnostics.map((d) => d.message).join("\n")).not.toContain("Pg#123");
  });

  it("microblog.yaml carries the reference system's values (SEED-SYSTEM.md)", async () => {
    const { spec } = await loadSpec([repo("examples/microblog.yaml")]);
    expect(spec).toMatchObject({
      region: "us-east-1",
      network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a", "us-east-1b"] } },
      securityGroups: { default: { existing: { name: "default" }, ingress: [{ protocol: "tcp", port: 8080, cidr: "0.0.0.0/0" }] } },
      targetGroups: {
        web: {
          name: "tgCurso107",
          targetType: "ip",
          protocol: "HTTP",
          protocolVersion: "HTTP1",
          port: 8080,
          healthCheck: {
            protocol: "HTTP",
            port: "traffic-port",
            path: "/",
            healthyThreshold: 5,
            unhealthyThreshold: 2,
            timeoutSeconds: 5,
            intervalSeconds: 15,
            matcher: "200-299",
          },
        },
      },
      loadBalancers: {
        web: {
          name: "albCurso107",
          scheme: "internet-facing",
          ipAddressType: "ipv4",
          securityGroups: ["default"],
          listeners: { http: { protocol: "HTTP", port: 8080, defaultAction: { forward: "web" } } },
        },
      },
      roles: {
        taskExecution: {
          name: "roleCurso107",
          trustedServices: ["ecs-tasks.amazonaws.com"],
          managedPolicies: ["AmazonECSTaskExecutionRolePolicy"],
        },
      },
      logGroups: { app: { name: "/aws/ecs/fargate/taskFargateCurso107" } },
      clusters: {
        main: {
          name: "clusterFargateCurso107",
          containerInsights: "enabled",
          capacityProviders: ["FARGATE"],
          defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }],
        },
      },
      taskDefinitions: {
        web: {
          family: "taskFargateCurso107",
          cpu: 512,
          memory: 1024,
          executionRole: "taskExecution",
          runtimePlatform: { cpuArchitecture: "X86_64", operatingSystemFamily: "LINUX" },
          containers: {
            container1Curso107: {
              image: "docker.io/pedroheeger/curso116_kube-news:v1",
              cpu: 256,
              memory: 512,
              essential: true,
              portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }],
              environment: unmarked({ DB_DATABASE: "kubenews", DB_USERNAME: "kubenews", DB_PASSWORD: "Pg#123", DB_HOST: "localhost" }),
              dependsOn: [{ container: "container2Curso107", condition: "HEALTHY" }],
              logging: { awslogs: { logGroup: "app", region: "us-east-1", streamPrefix: "container1Curso107" } },
            },
            container2Curso107: {
              image: "docker.io/library/postgres:13.13",
              cpu: 256,
              memory: 512,
              essential: false,
              portMappings: [{ containerPort: 5432, hostPort: 5432, protocol: "tcp" }],
              environment: unmarked({ POSTGRES_DB: "kubenews", POSTGRES_USER: "kubenews", POSTGRES_PASSWORD: "Pg#123" }),
              healthCheck: {
                command: ["CMD-SHELL", "pg_isready -q -d kubenews -U kubenews"],
                intervalSeconds: 10,
                timeoutSeconds: 5,
                retries: 3,
                startPeriodSeconds: 30,
              },
            },
          },
        },
      },
      services: {
        web: {
          name: "svcFargateCurso107",
          cluster: "main",
          taskDefinition: "web",
          desiredCount: 2,
          launchType: "FARGATE",
          platformVersion: "LATEST",
          schedulingStrategy: "REPLICA",
          deployment: { minimumHealthyPercent: 25, maximumPercent: 200 },
          network: { securityGroups: ["default"], assignPublicIp: "ENABLED" },
          loadBalancers: [{ targetGroup: "web", container: "container1Curso107", port: 8080 }],
          serviceDiscovery: { service: "web" },
          autoScaling: { minCapacity: 2, maxCapacity: 6 },
        },
      },
    });
    const scaling = spec!.services.web!.autoScaling!;
    expect([
      Object.keys(scaling.targetTracking).length,
      Object.keys(scaling.stepScaling).length,
      Object.keys(scaling.scheduled).length,
    ]).toEqual([1, 1, 1]);
  });

  it("microblog-shared-db.yaml is valid with no warning: the flaws are fixed", async () => {
    const result = await loadSpec([repo("examples/microblog-shared-db.yaml")]);
    expect(result.diagnostics).toEqual([]);
    const spec = result.spec!;
    expect(spec.services.db?.serviceDiscovery?.service).toBe("db");
    expect(spec.securityGroups.web?.ingress).toEqual([expect.objectContaining({ securityGroup: "alb" })]);
    expect(spec.taskDefinitions.web?.containers.web?.secrets.DB_PASSWORD).toEqual({ ssmParameter: "/microblog-shared-db/db-password" });
    expect(spec.logGroups.app?.retentionDays).toBe(30);
  });

  it.each(EXAMPLES)("%s round-trips: its parsed form, written back as YAML, validates to the same spec", async (example) => {
    const first = await loadSpec([repo(example)]);
    const again = await validateTexts({ "again.yaml": stringify(first.spec) });
    expect(again.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(again.spec).toEqual(first.spec);
  });
});

describe("the JSON Schema for editors", () => {
  const committed = JSON.parse(readFileSync(repo("schema/reconcile.schema.json"), "utf8")) as object;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // zod writes cidrv4/cidrv6 beside a `pattern` that does the checking, and date-time is standard JSON Schema
  // (editors check it; Ajv needs the ajv-formats plugin for that): none of them is what this test is about.
  for (const format of ["cidrv4", "cidrv6", "date-time"]) ajv.addFormat(format, true);
  const validate = ajv.compile(committed);

  it("the committed copy is what `reconcile schema` prints now (run `npm run schema` to refresh it)", () => {
    expect(committed).toEqual(specJsonSchema());
  });

  it.each(EXAMPLES)("accepts %s", (example) => {
    const ok = validate(parse(readFileSync(repo(example), "utf8")));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("rejects an unknown key", () => {
    const spec = parse(readFileSync(repo(EXAMPLES[0]!), "utf8")) as { targetGroups: { web: Record<string, unknown> } };
    spec.targetGroups.web.helthCheck = {};
    expect(validate(spec)).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({ keyword: "additionalProperties", params: { additionalProperty: "helthCheck" } }),
    );
  });

  it.each(EXAMPLES)("%s points the YAML language server at the committed schema", (example) => {
    expect(readFileSync(repo(example), "utf8").split("\n")[0]).toBe("# yaml-language-server: $schema=../schema/reconcile.schema.json");
  });
});
