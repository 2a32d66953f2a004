import { readFileSync } from "node:fs";
import type { TaskDefinition } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { UNKNOWN, type FieldDiff } from "../../src/plan/model.js";
import {
  diffTaskDefinition,
  normaliseTaskDefinition,
  type ContainerDefinitionInput,
  type TaskDefinitionInput,
} from "../../src/reconcilers/ecs/task-definitions/normalise.js";
import { revisionOf, taskDefinitionsReconciler as reconciler } from "../../src/reconcilers/ecs/task-definitions/index.js";
import {
  desiredTaskDefinition,
  type ObservedTaskDefinition,
  type TaskDefinitionDesired,
} from "../../src/reconcilers/ecs/task-definitions/model.js";
import type { Outputs } from "../../src/reconcilers/contract.js";
import { specSchema, type Spec, type SpecInput } from "../../src/schema/index.js";
import { REFERENCE_INPUT } from "../support/specs.js";

type TaskDefinitionSpecInput = NonNullable<SpecInput["taskDefinitions"]>[string];

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/aws/${name}.json`, import.meta.url), "utf8"));

const ROLE_ARN = "arn:aws:iam::123456789012:role/roleCurso107";
const LOG_GROUP = "/aws/ecs/fargate/taskFargateCurso107";

/** Outputs of existing dependencies: the role's ARN and the log group's name. */
const LIVE_OUTPUTS: Outputs = {
  string: (address, output) => (address.startsWith("roles.") && output === "arn" ? ROLE_ARN : LOG_GROUP),
  list: () => [],
};
const UNKNOWN_OUTPUTS: Outputs = { string: () => UNKNOWN, list: () => UNKNOWN };

function specOf(taskDefinitions: Record<string, TaskDefinitionSpecInput>, extra: Partial<SpecInput> = {}): Spec {
  return specSchema.parse({
    stack: "microblog",
    region: "us-east-1",
    tags: { project: "curso107" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    ...extra,
    taskDefinitions,
  });
}

function desiredOf(entry: TaskDefinitionSpecInput, outputs: Outputs = LIVE_OUTPUTS): TaskDefinitionDesired {
  const spec = specOf({ web: entry });
  return desiredTaskDefinition(spec, "web", spec.taskDefinitions.web!, outputs);
}

/** examples/microblog.yaml's task definition `taskFargateCurso107`. */
const REFERENCE: TaskDefinitionSpecInput = REFERENCE_INPUT.taskDefinitions!.web!;

/** What the reference definition is, as the spec sends it, normalised. */
const referenceDefinition = () => normaliseTaskDefinition(desiredOf(REFERENCE).definition);

describe("normalising AWS's task definitions (fixtures from AWS's documentation)", () => {
  it("AWS's answer to RegisterTaskDefinition compares equal to the request it answers (sleep360)", () => {
    const { request, response } = fixture("register-task-definition-sleep360");
    const sent = normaliseTaskDefinition(request);
    const echo = normaliseTaskDefinition(response.taskDefinition);
    expect(diffTaskDefinition(sent, echo)).toEqual([]);
    expect(echo).toEqual(sent);
  });

  it("drops what AWS says about the revision, the empty lists it fills in, and sorts containers by name (hello_world:8)", () => {
    const { taskDefinition } = fixture("describe-task-definition-hello-world");
    expect(normaliseTaskDefinition(taskDefinition)).toEqual({
      runtimePlatform: { cpuArchitecture: "X86_64", operatingSystemFamily: "LINUX" },
      containerDefinitions: [
        {
          name: "mysql",
          image: "mysql",
          cpu: 10,
          memory: 500,
          essential: true,
          environment: [{ name: "MYSQL_ROOT_PASSWORD", value: "password" }],
        },
        {
          name: "wordpress",
          image: "wordpress",
          cpu: 10,
          memory: 500,
          essential: true,
          links: ["mysql"],
          // Not awsvpc (no networkMode): the host port is not filled in, only the protocol.
          portMappings: [{ containerPort: 80, hostPort: 80, protocol: "tcp" }],
        },
      ],
    });
  });

  it("a request written to mean the same as hello_world:8, in another order and without AWS's defaults, gives no diffs", () => {
    const { taskDefinition } = fixture("describe-task-definition-hello-world");
    const request = {
      containerDefinitions: [
        { name: "mysql", image: "mysql", cpu: 10, memory: 500, environment: [{ name: "MYSQL_ROOT_PASSWORD", value: "password" }] },
        {
          name: "wordpress",
          image: "wordpress",
          cpu: 10,
          memory: 500,
          links: ["mysql"],
          portMappings: [{ containerPort: 80, hostPort: 80 }],
        },
      ],
    };
    expect(diffTaskDefinition(normaliseTaskDefinition(request), normaliseTaskDefinition(taskDefinition))).toEqual([]);
  });

  it("a spec written to mean the Developer Guide's Fargate webserver gives no diffs against it", () => {
    const { request } = fixture("register-task-definition-fargate-webserver");
    const spec = specOf(
      {
        webserver: {
          family: "fargate-task-definition",
          cpu: "0.25 vCPU",
          memory: "0.5 GB",
          runtimePlatform: { operatingSystemFamily: "LINUX" },
          executionRole: "arn:aws:iam::012345678910:role/ecsTaskExecutionRole",
          containers: {
            "sample-fargate-app": {
              image: "httpd:2.4",
              portMappings: [80],
              entryPoint: ["sh", "-c"],
              command: request.containerDefinitions[0].command,
              logging: { awslogs: { logGroup: "app", streamPrefix: "ecs" } },
            },
          },
        },
      },
      { logGroups: { app: { name: "/ecs/fargate-task-definition" } } },
    );
    const outputs: Outputs = { string: () => "/ecs/fargate-task-definition", list: () => [] };
    const desired = desiredTaskDefinition(spec, "webserver", spec.taskDefinitions.webserver!, outputs);
    expect(desired.family).toBe(request.family);
    expect(diffTaskDefinition(normaliseTaskDefinition(desired.definition), normaliseTaskDefinition(request))).toEqual([]);
  });
});

/** The reference definition as an observed revision, with a change made to AWS's side. */
function observedWith(change: (td: TaskDefinitionInput) => object = (td) => td): ObservedTaskDefinition {
  const desired = desiredOf(REFERENCE);
  const echo = change(structuredClone(desired.definition));
  return {
    name: "taskFargateCurso107",
    id: "arn:aws:ecs:us-east-1:123456789012:task-definition/taskFargateCurso107:3",
    tags: { ...desired.tags },
    revision: 3,
    status: "ACTIVE",
    definition: normaliseTaskDefinition(echo),
    stackRevisions: [],
  };
}

const container = (td: TaskDefinitionInput, name = "container1Curso107") => td.containerDefinitions.find((c) => c.name === name)!;

function withContainer(name: string, change: (c: ContainerDefinitionInput) => void) {
  return (td: TaskDefinitionInput) => {
    change(container(td, name));
    return td;
  };
}

describe("task definition diff: what AWS stores differently is no change", () => {
  it.each<{ why: string; echo: (td: TaskDefinitionInput) => object }>([
    { why: "the same definition", echo: (td) => td },
    {
      why: "environment variables in another order",
      echo: withContainer("container1Curso107", (c) => c.environment!.reverse()),
    },
    {
      why: "containers in another order",
      echo: (td) => ({ ...td, containerDefinitions: [...td.containerDefinitions].reverse() }),
    },
    {
      why: "a port mapping without hostPort or protocol (AWS fills both in under awsvpc)",
      echo: withContainer("container1Curso107", (c) => (c.portMappings = [{ containerPort: 8080 }])),
    },
    { why: "task cpu and memory as numbers rather than strings", echo: (td) => ({ ...td, cpu: 512, memory: 1024 }) },
    { why: "task cpu and memory written as `0.5 vCPU` and `1 GB`", echo: (td) => ({ ...td, cpu: "0.5 vCPU", memory: "1 GB" }) },
    {
      why: "the empty lists and zero cpu AWS answers for what was not sent",
      echo: (td) => ({
        ...td,
        volumes: [],
        placementConstraints: [],
        containerDefinitions: td.containerDefinitions.map((c) => ({ ...c, mountPoints: [], volumesFrom: [], secrets: [], links: [] })),
      }),
    },
    {
      why: "AWS's own fields about the revision (ARN, revision, status, compatibilities, requiresAttributes, registeredAt)",
      echo: (td) => ({
        ...td,
        taskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/taskFargateCurso107:3",
        family: "taskFargateCurso107",
        revision: 3,
        status: "ACTIVE",
        compatibilities: ["EC2", "FARGATE"],
        requiresAttributes: [{ name: "ecs.capability.execution-role-awslogs" }],
        registeredAt: new Date("2024-06-21T16:15:12.669Z"),
        registeredBy: "arn:aws:sts::123456789012:assumed-role/deployer/ci",
      }),
    },
    {
      why: "essential left out (AWS's default is true)",
      echo: withContainer("container1Curso107", (c) => delete c.essential),
    },
  ])("$why", ({ echo }) => {
    const desired = desiredOf(REFERENCE);
    expect(reconciler.diff(desired, observedWith(echo)).lines).toEqual([]);
  });

  it("a health check without interval, timeout, retries and start period equals one with AWS's defaults", () => {
    const bare = { ...REFERENCE, containers: { db: { image: "postgres:13", memory: 512, healthCheck: { command: ["CMD", "true"] } } } };
    const explicit = {
      ...bare,
      containers: {
        db: {
          ...bare.containers.db,
          healthCheck: { command: ["CMD", "true"], intervalSeconds: 30, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 0 },
        },
      },
    };
    const a = normaliseTaskDefinition(desiredOf(bare).definition);
    const b = normaliseTaskDefinition(desiredOf(explicit).definition);
    expect(diffTaskDefinition(a, b)).toEqual([]);
  });
});

describe("task definition diff: a change is one line per thing that changed", () => {
  it.each<{ why: string; spec: (s: typeof REFERENCE) => TaskDefinitionSpecInput; diffs: FieldDiff[] }>([
    {
      why: "an image change is exactly one line",
      spec: (s) => ({
        ...s,
        containers: { ...s.containers, container1Curso107: { ...s.containers.container1Curso107!, image: "kube-news:v2" } },
      }),
      diffs: [
        { path: "containers.container1Curso107.image", before: "docker.io/pedroheeger/curso116_kube-news:v1", after: "kube-news:v2" },
      ],
    },
    {
      why: "a variable added is one line naming it",
      spec: (s) => {
        const c = s.containers.container1Curso107!;
        return {
          ...s,
          containers: { ...s.containers, container1Curso107: { ...c, environment: { ...c.environment, LOG_LEVEL: "debug" } } },
        };
      },
      diffs: [{ path: "containers.container1Curso107.environment.LOG_LEVEL", after: "debug" }],
    },
    {
      why: "a variable changed shows its old and new value",
      spec: (s) => {
        const c = s.containers.container1Curso107!;
        return {
          ...s,
          containers: { ...s.containers, container1Curso107: { ...c, environment: { ...c.environment, DB_HOST: "db.internal" } } },
        };
      },
      diffs: [{ path: "containers.container1Curso107.environment.DB_HOST", before: "localhost", after: "db.internal" }],
    },
    {
      why: "task cpu and memory are task-level lines",
      spec: (s) => ({ ...s, cpu: "1 vCPU", memory: "2 GB" }),
      diffs: [
        { path: "cpu", before: "512", after: "1024" },
        { path: "memory", before: "1024", after: "2048" },
      ],
    },
    {
      why: "a container added is one line summarising it",
      spec: (s) => ({ ...s, containers: { ...s.containers, sidecar: { image: "busybox", memory: 64, portMappings: [9000] } } }),
      diffs: [{ path: "containers.sidecar", after: "busybox, memory 64 MiB, ports 9000/tcp" }],
    },
    {
      why: "a secret added shows where it is read from, never a value",
      spec: (s) => {
        const c = s.containers.container1Curso107!;
        return {
          ...s,
          containers: { ...s.containers, container1Curso107: { ...c, secrets: { DB_PASSWORD: { ssmParameter: "/microblog/db" } } } },
        };
      },
      diffs: [{ path: "containers.container1Curso107.secrets.DB_PASSWORD", after: "/microblog/db" }],
    },
    {
      why: "a port added is keyed by port and protocol",
      spec: (s) => {
        const c = s.containers.container1Curso107!;
        return {
          ...s,
          containers: {
            ...s.containers,
            container1Curso107: { ...c, portMappings: [...c.portMappings!, { containerPort: 9090, protocol: "udp" }] },
          },
        };
      },
      diffs: [{ path: "containers.container1Curso107.portMappings.9090/udp", after: { hostPort: 9090 } }],
    },
  ])("$why", ({ spec, diffs }) => {
    expect(reconciler.diff(desiredOf(spec(REFERENCE)), observedWith()).lines).toEqual(diffs);
  });

  it("a role still to be created is known after apply, and so is the definition's content", () => {
    const diffs = reconciler.diff(desiredOf(REFERENCE, UNKNOWN_OUTPUTS), observedWith()).lines;
    expect(diffs.map((d) => d.path)).toEqual([
      "executionRoleArn",
      "containers.container1Curso107.logConfiguration.options.awslogs-group",
      "containers.container2Curso107.logConfiguration.options.awslogs-group",
    ]);
    expect(diffs[0]).toEqual({ path: "executionRoleArn", before: ROLE_ARN, after: UNKNOWN });
  });

  it("a tag changed is a tags line only", () => {
    const observed = observedWith();
    observed.tags = { ...observed.tags, project: "old" };
    expect(reconciler.diff(desiredOf(REFERENCE), observed).lines).toEqual([{ path: "tags.project", before: "old", after: "curso107" }]);
  });

  it("AWS's echo of the reference definition, as moto and AWS answer it, compares equal to the spec", () => {
    // What DescribeTaskDefinition answers for what the spec sends: the defaults AWS and moto fill in.
    const echo: TaskDefinition = {
      ...(structuredClone(desiredOf(REFERENCE).definition) as TaskDefinition),
      taskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/taskFargateCurso107:1",
      family: "taskFargateCurso107",
      revision: 1,
      status: "ACTIVE",
      compatibilities: ["EC2", "FARGATE"],
      volumes: [],
      placementConstraints: [],
    };
    echo.containerDefinitions = echo.containerDefinitions!.map((c) => ({ mountPoints: [], volumesFrom: [], ...c })).reverse();
    expect(diffTaskDefinition(referenceDefinition(), normaliseTaskDefinition(echo))).toEqual([]);
  });
});

describe("task definition change: a new revision or tags on the live one", () => {
  const withImage = (image: string) => (s: typeof REFERENCE) => ({
    ...s,
    containers: { ...s.containers, container1Curso107: { ...s.containers.container1Curso107!, image } },
  });
  it.each<{ why: string; spec: (s: typeof REFERENCE) => TaskDefinitionSpecInput; tags?: Record<string, string>; revision: boolean }>([
    { why: "a content change registers a revision", spec: withImage("kube-news:v2"), revision: true },
    {
      why: "a content and a tag change register one revision, which carries the tags",
      spec: withImage("kube-news:v2"),
      tags: { project: "old" },
      revision: true,
    },
    { why: "keepRevisions alone is no change of content: nothing to register", spec: (s) => ({ ...s, keepRevisions: 9 }), revision: false },
    { why: "a tag change alone registers nothing", spec: (s) => s, tags: { project: "old" }, revision: false },
  ])("$why", ({ spec, tags, revision }) => {
    const observed = observedWith();
    if (tags) observed.tags = { ...observed.tags, ...tags };
    const desired = desiredOf(spec(REFERENCE));
    const { change } = reconciler.diff(desired, observed);
    if (revision) {
      expect(change).toEqual({
        revision: {
          ...desired.definition,
          family: "taskFargateCurso107",
          tags: Object.entries(desired.tags).map(([key, value]) => ({ key, value })),
        },
        keepRevisions: desired.keepRevisions,
      });
    } else {
      expect(change).toEqual({ tags: { set: tags ? { project: "curso107" } : {}, remove: [] } });
    }
  });

  it("a revision still waiting for its role keeps the role's ARN unknown in the input: apply builds it again", () => {
    const { change } = reconciler.diff(desiredOf(REFERENCE, UNKNOWN_OUTPUTS), observedWith());
    expect(change).toMatchObject({ revision: { family: "taskFargateCurso107", executionRoleArn: UNKNOWN } });
  });

  it("a tag change removes a foreign tag and leaves AWS's own alone", () => {
    const observed = observedWith();
    observed.tags = { ...observed.tags, owner: "someone", "aws:cloudformation:stack-name": "x" };
    expect(reconciler.diff(desiredOf(REFERENCE), observed).change).toEqual({ tags: { set: {}, remove: ["owner"] } });
  });
});

describe("task definition nodes", () => {
  it("the reference entry depends on its role and log group, and is sent as RegisterTaskDefinition takes it", () => {
    const [node] = reconciler.nodes(specOf({ web: REFERENCE }));
    expect(node).toMatchObject({
      address: "taskDefinitions.web",
      name: "taskFargateCurso107",
      dependsOn: ["roles.taskExecution", "logGroups.app"],
    });
    const desired = node!.build(LIVE_OUTPUTS);
    expect(desired.keepRevisions).toBe(5);
    expect(desired.definition).toMatchObject({
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: "512",
      memory: "1024",
      executionRoleArn: ROLE_ARN,
      runtimePlatform: { cpuArchitecture: "X86_64", operatingSystemFamily: "LINUX" },
    });
    expect(container(desired.definition)).toEqual({
      name: "container1Curso107",
      image: "docker.io/pedroheeger/curso116_kube-news:v1",
      cpu: 256,
      memory: 512,
      essential: true,
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }],
      environment: [
        { name: "DB_DATABASE", value: "kubenews" },
        { name: "DB_HOST", value: "localhost" },
        { name: "DB_PASSWORD", value: "Pg#123" },
        { name: "DB_USERNAME", value: "kubenews" },
      ],
      dependsOn: [{ containerName: "container2Curso107", condition: "HEALTHY" }],
      logConfiguration: {
        logDriver: "awslogs",
        options: { "awslogs-group": LOG_GROUP, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "container1Curso107" },
      },
    });
    expect(container(desired.definition, "container2Curso107").healthCheck).toEqual({
      command: ["CMD-SHELL", "pg_isready -q -d kubenews -U kubenews"],
      interval: 10,
      timeout: 5,
      retries: 3,
      startPeriod: 30,
    });
    expect(desired.tags).toEqual({ project: "curso107", "reconcile:stack": "microblog", "reconcile:id": "taskDefinitions/web" });
  });

  it.each<{ why: string; entry: Partial<TaskDefinitionSpecInput>; dependsOn: string[] }>([
    {
      why: "a role given as an ARN is used as is, with no dependency",
      entry: { executionRole: ROLE_ARN, taskRole: "app" },
      dependsOn: ["roles.app", "logGroups.app"],
    },
    {
      why: "no role and no log group: nothing first",
      entry: { executionRole: undefined, containers: { a: { image: "x", memory: 64 } } },
      dependsOn: [],
    },
  ])("$why", ({ entry, dependsOn }) => {
    const [node] = reconciler.nodes(specOf({ web: { ...REFERENCE, ...entry } }));
    expect(node!.dependsOn).toEqual(dependsOn);
  });

  it("secrets: an SSM parameter as given, a Secrets Manager key as `<arn>:<jsonKey>::`", () => {
    const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
    const desired = desiredOf({
      ...REFERENCE,
      containers: {
        app: {
          image: "x",
          memory: 64,
          secrets: { B: { secretsManager: arn, jsonKey: "password" }, A: { ssmParameter: "/app/a" }, C: { secretsManager: arn } },
        },
      },
    });
    expect(container(desired.definition, "app").secrets).toEqual([
      { name: "A", valueFrom: "/app/a" },
      { name: "B", valueFrom: `${arn}:password::` },
      { name: "C", valueFrom: arn },
    ]);
  });

  it("a preview shows task settings and one line per container, unknown outputs as such", () => {
    const preview = reconciler.preview!(desiredOf(REFERENCE, UNKNOWN_OUTPUTS));
    expect(preview.filter((d) => !d.path.startsWith("tags."))).toEqual([
      { path: "cpu", after: "512" },
      { path: "memory", after: "1024" },
      { path: "executionRoleArn", after: UNKNOWN },
      { path: "runtimePlatform.cpuArchitecture", after: "X86_64" },
      { path: "runtimePlatform.operatingSystemFamily", after: "LINUX" },
      {
        path: "containers.container1Curso107",
        after: "docker.io/pedroheeger/curso116_kube-news:v1, cpu 256, memory 512 MiB, ports 8080/tcp",
      },
      { path: "containers.container2Curso107", after: "docker.io/library/postgres:13.13, cpu 256, memory 512 MiB, ports 5432/tcp" },
    ]);
  });

  it.each([
    { arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7", parsed: { family: "web", revision: 7 } },
    { arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/my_app-2:12", parsed: { family: "my_app-2", revision: 12 } },
    { arn: "arn:aws:ecs:us-east-1:123456789012:cluster/web", parsed: undefined },
  ])("revisionOf($arn)", ({ arn, parsed }) => {
    expect(revisionOf(arn)).toEqual(parsed);
  });

  it("outputs are the revision's ARN, the family and the revision number", () => {
    expect(reconciler.outputs(observedWith())).toEqual({
      arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/taskFargateCurso107:3",
      family: "taskFargateCurso107",
      revision: "3",
    });
  });
});
