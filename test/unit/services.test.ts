import { readFileSync } from "node:fs";
import type { Service } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { KnownAfterApply, UNKNOWN, type FieldDiff } from "../../src/plan/model.js";
import {
  diffService,
  observedFromAws,
  serviceNode,
  type ObservedService,
  type ServiceDesired,
} from "../../src/reconcilers/ecs/services/model.js";
import type { Outputs } from "../../src/reconcilers/contract.js";
import { specSchema, type Spec, type SpecInput } from "../../src/schema/index.js";
import { REFERENCE_INPUT } from "../support/specs.js";

const TASK_DEFINITION = "arn:aws:ecs:us-east-1:123456789012:task-definition/taskFargateCurso107:1";
const NEXT_REVISION = "arn:aws:ecs:us-east-1:123456789012:task-definition/taskFargateCurso107:2";
const TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tgCurso107/0123456789abcdef";
const SUBNETS = ["subnet-0aa0b6c2f1EXAMPLE", "subnet-0bb1c79de3EXAMPLE"];
const SECURITY_GROUP = "sg-0123456789EXAMPLE";
const DISCOVERY_SERVICE = "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-e4anhexample0004";

type ServiceInput = NonNullable<SpecInput["services"]>[string];

/** The reference service (svcFargateCurso107) as the fixture's DescribeServices answer describes it. */
const fixture = JSON.parse(readFileSync(new URL("../fixtures/aws/describe-services-reference.json", import.meta.url), "utf8")) as {
  services: Service[];
};
const ECHO: ObservedService = observedFromAws(fixture.services[0]!);

/** Outputs of the reference system's other nodes, as the engine has them once they exist. */
const OUTPUTS: Outputs = {
  string: (address, output) => {
    const values: Record<string, string> = {
      "taskDefinitions.web arn": TASK_DEFINITION,
      "securityGroups.default id": SECURITY_GROUP,
      "targetGroups.web arn": TARGET_GROUP,
      "discoveryServices.web arn": DISCOVERY_SERVICE,
    };
    const value = values[`${address} ${output}`];
    if (value === undefined) throw new Error(`no stand-in for ${address} ${output}`);
    return value;
  },
  list: (address, output) => {
    if (address === "network" && output === "subnetIds") return [...SUBNETS];
    throw new Error(`no stand-in for ${address} ${output}`);
  },
};

function specWith(service: Partial<ServiceInput> & { drop?: Array<keyof ServiceInput> } = {}): Spec {
  const { drop = [], ...changes } = service;
  const web = { ...REFERENCE_INPUT.services!.web!, ...changes } as Record<string, unknown>;
  for (const key of drop) delete web[key];
  return specSchema.parse({ ...REFERENCE_INPUT, services: { web } });
}

function desiredOf(service: Partial<ServiceInput> & { drop?: Array<keyof ServiceInput> } = {}, outputs: Outputs = OUTPUTS): ServiceDesired {
  const spec = specWith(service);
  return serviceNode(spec, "web", spec.services.web!).build(outputs);
}

const live = (changes: Partial<ObservedService>): ObservedService => ({ ...ECHO, ...changes });

/** The fixture's service with its awsvpc lists as given, read the way observe reads it. */
function reordered(lists: { subnets: string[]; securityGroups: string[] }): Partial<ObservedService> {
  const raw = fixture.services[0]!;
  const vpc = raw.networkConfiguration!.awsvpcConfiguration!;
  return observedFromAws({ ...raw, networkConfiguration: { awsvpcConfiguration: { ...vpc, ...lists } } });
}

describe("the reference service against AWS's description of it", () => {
  it("reads the fixture as AWS's defaults and values", () => {
    expect(ECHO).toEqual({
      name: "svcFargateCurso107",
      id: "arn:aws:ecs:us-east-1:123456789012:service/clusterFargateCurso107/svcFargateCurso107",
      tags: { project: "curso107", "reconcile:stack": "microblog", "reconcile:id": "services/web" },
      status: "ACTIVE",
      cluster: "clusterFargateCurso107",
      clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/clusterFargateCurso107",
      taskDefinition: TASK_DEFINITION,
      desiredCount: 2,
      runningCount: 2,
      launchType: "FARGATE",
      capacityProviderStrategy: [],
      platformVersion: "LATEST",
      schedulingStrategy: "REPLICA",
      deploymentController: "ECS",
      deployment: { minimumHealthyPercent: 25, maximumPercent: 200, circuitBreaker: { enable: false, rollback: false } },
      network: { subnets: SUBNETS, securityGroups: [SECURITY_GROUP], assignPublicIp: "ENABLED" },
      loadBalancers: [{ targetGroupArn: TARGET_GROUP, containerName: "container1Curso107", containerPort: 8080 }],
      serviceRegistries: [{ registryArn: DISCOVERY_SERVICE }],
      healthCheckGracePeriodSeconds: 0,
      propagateTags: "NONE",
      enableExecuteCommand: false,
      primaryDeploymentId: "ecs-svc/9223370409382834512",
    });
  });

  it("the spec and AWS's echo of it compare equal (subnets listed in another order included)", () => {
    expect(fixture.services[0]!.networkConfiguration!.awsvpcConfiguration!.subnets).not.toEqual(SUBNETS);
    expect(diffService(desiredOf(), ECHO).lines).toEqual([]);
  });
});

describe("diff", () => {
  const scaled = { autoScaling: { minCapacity: 2, maxCapacity: 6 } };
  it.each<{
    why: string;
    spec?: Partial<ServiceInput> & { drop?: Array<keyof ServiceInput> };
    live: Partial<ObservedService>;
    diffs: FieldDiff[];
  }>([
    { why: "auto scaling owns a count inside its range", spec: scaled, live: { desiredCount: 5 }, diffs: [] },
    { why: "the count at the range's top is inside it", spec: scaled, live: { desiredCount: 6 }, diffs: [] },
    {
      why: "a count above the range's max is clamped to it",
      spec: scaled,
      live: { desiredCount: 9 },
      diffs: [{ path: "desiredCount", before: 9, after: 6 }],
    },
    {
      why: "a count below the range's min is clamped to it",
      spec: scaled,
      live: { desiredCount: 1 },
      diffs: [{ path: "desiredCount", before: 1, after: 2 }],
    },
    {
      why: "without auto scaling the spec's count wins",
      spec: { drop: ["autoScaling"] },
      live: { desiredCount: 5 },
      diffs: [{ path: "desiredCount", before: 5, after: 2 }],
    },
    {
      why: "without auto scaling nor a count, the default is 1",
      spec: { drop: ["autoScaling", "desiredCount"] },
      live: { desiredCount: 2 },
      diffs: [{ path: "desiredCount", before: 2, after: 1 }],
    },
    {
      why: "subnets and groups are sets: AWS listing them in another order is not drift",
      live: reordered({ subnets: [...SUBNETS].reverse(), securityGroups: [SECURITY_GROUP, SECURITY_GROUP] }),
      diffs: [],
    },
    {
      why: "a changed subnet is",
      live: { network: { ...ECHO.network, subnets: ["subnet-other", SUBNETS[1]!] } },
      diffs: [{ path: "network.subnets", before: ["subnet-other", SUBNETS[1]], after: SUBNETS }],
    },
    {
      why: "turning the circuit breaker on, with rollback, changes both its fields",
      spec: { deployment: { minimumHealthyPercent: 25, maximumPercent: 200, circuitBreaker: { enable: true, rollback: true } } },
      live: {},
      diffs: [
        { path: "deployment.circuitBreaker.enable", before: false, after: true },
        { path: "deployment.circuitBreaker.rollback", before: false, after: true },
      ],
    },
    {
      why: "deployment fields the spec leaves out are not drift",
      spec: { deployment: { minimumHealthyPercent: 25 } },
      live: { deployment: { ...ECHO.deployment, maximumPercent: 150 } },
      diffs: [],
    },
    {
      why: "the spec's load balancers are enforced: none in the spec removes AWS's",
      spec: { loadBalancers: [] },
      live: {},
      diffs: [{ path: "loadBalancers", before: ECHO.loadBalancers, after: [] }],
    },
    {
      why: "a load balancer attached out of band is drift",
      live: {
        loadBalancers: [
          ...ECHO.loadBalancers,
          { targetGroupArn: `${TARGET_GROUP}0`, containerName: "container1Curso107", containerPort: 8080 },
        ],
      },
      diffs: [{ path: "loadBalancers", before: expect.any(Array), after: ECHO.loadBalancers }],
    },
    {
      why: "the spec's Cloud Map registration is enforced: without serviceDiscovery, AWS's registry goes",
      spec: { drop: ["serviceDiscovery"] },
      live: {},
      diffs: [{ path: "serviceRegistries", before: [{ registryArn: DISCOVERY_SERVICE }], after: [] }],
    },
    {
      why: "a service registered out of band is drift",
      live: { serviceRegistries: [] },
      diffs: [{ path: "serviceRegistries", before: [], after: [{ registryArn: DISCOVERY_SERVICE }] }],
    },
    {
      why: "another cluster forces a replacement",
      live: { cluster: "otherCluster" },
      diffs: [{ path: "cluster", before: "otherCluster", after: "clusterFargateCurso107", forcesReplacement: true }],
    },
    {
      why: "a service on capacity providers cannot go back to the FARGATE launch type in place",
      live: { launchType: undefined, capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }] },
      diffs: [{ path: "launchType", after: "FARGATE", forcesReplacement: true }],
    },
    {
      why: "a strategy the spec sets is compared; a service on a launch type has none",
      spec: { drop: ["launchType"], capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 2 }] },
      live: {},
      diffs: [{ path: "capacityProviderStrategy", before: [], after: [{ capacityProvider: "FARGATE_SPOT", weight: 2, base: 0 }] }],
    },
    {
      why: "platform version, grace period, propagated tags and execute command the spec leaves out are not drift",
      spec: { drop: ["platformVersion"] },
      live: { platformVersion: "1.4.0", healthCheckGracePeriodSeconds: 60, propagateTags: "SERVICE", enableExecuteCommand: true },
      diffs: [],
    },
    {
      why: "the ones it sets are",
      spec: { platformVersion: "1.4.0", healthCheckGracePeriodSeconds: 30, propagateTags: "SERVICE", enableExecuteCommand: true },
      live: {},
      diffs: [
        { path: "platformVersion", before: "LATEST", after: "1.4.0" },
        { path: "healthCheckGracePeriodSeconds", before: 0, after: 30 },
        { path: "propagateTags", before: "NONE", after: "SERVICE" },
        { path: "enableExecuteCommand", before: false, after: true },
      ],
    },
    {
      why: "a service under another deployment controller is not one this tool can drive",
      live: { deploymentController: "CODE_DEPLOY" },
      diffs: [{ path: "deploymentController", before: "CODE_DEPLOY", after: "ECS", forcesReplacement: true }],
    },
    {
      why: "AWS's own aws: tags are not drift; a foreign tag is",
      live: { tags: { ...ECHO.tags, "aws:cloudformation:stack-name": "x", owner: "someone" } },
      diffs: [{ path: "tags.owner", before: "someone" }],
    },
  ])("$why", ({ spec, live: changes, diffs }) => {
    const { lines, change } = diffService(desiredOf(spec), live(changes));
    expect(lines).toEqual(diffs);
    // What is shown is what is sent: an UpdateService exactly when a line is neither a tag nor a replacement.
    expect(change.update !== undefined).toBe(lines.some((d) => !d.forcesReplacement && !d.path.startsWith("tags.")));
  });

  it("a task definition revision still to be registered shows as known after apply", () => {
    const outputs: Outputs = { ...OUTPUTS, string: (a, o) => (a === "taskDefinitions.web" ? UNKNOWN : OUTPUTS.string(a, o)) };
    const { lines: diffs, change } = diffService(desiredOf({}, outputs), ECHO);
    expect(diffs).toEqual([{ path: "taskDefinition", before: TASK_DEFINITION, after: UNKNOWN }]);
    expect(diffs[0]!.after).toBeInstanceOf(KnownAfterApply);
    // The plan's UpdateService names the revision as unknown too; apply builds it again once it is registered.
    expect(change.update).toEqual({ cluster: ECHO.cluster, service: ECHO.name, taskDefinition: UNKNOWN });
  });

  it("a security group still to be created makes the whole set known after apply", () => {
    const outputs: Outputs = { ...OUTPUTS, string: (a, o) => (a === "securityGroups.default" ? UNKNOWN : OUTPUTS.string(a, o)) };
    expect(diffService(desiredOf({}, outputs), ECHO).lines).toEqual([
      { path: "network.securityGroups", before: [SECURITY_GROUP], after: UNKNOWN },
    ]);
  });
});

describe("the one UpdateService a change takes", () => {
  it.each<{
    why: string;
    spec?: Partial<ServiceInput> & { drop?: Array<keyof ServiceInput> };
    live: Partial<ObservedService>;
    /** The UpdateService input besides the cluster and the service; undefined: no UpdateService. */
    changes: object | undefined;
  }>([
    {
      why: "a clamped count sends only the clamped count",
      spec: { autoScaling: { minCapacity: 2, maxCapacity: 6 } },
      live: { desiredCount: 9 },
      changes: { desiredCount: 6 },
    },
    {
      why: "a new revision sends only the task definition (the count, left to the scaler, is not sent)",
      live: { taskDefinition: NEXT_REVISION, desiredCount: 4 },
      changes: { taskDefinition: TASK_DEFINITION },
    },
    {
      why: "a circuit-breaker change sends the whole deployment configuration, the live values kept where the spec is silent",
      spec: { deployment: { circuitBreaker: { enable: true, rollback: false } } },
      live: { deployment: { ...ECHO.deployment, minimumHealthyPercent: 50 } },
      changes: {
        deploymentConfiguration: {
          minimumHealthyPercent: 50,
          maximumPercent: 200,
          deploymentCircuitBreaker: { enable: true, rollback: false },
        },
      },
    },
    {
      why: "a security group change sends the whole network configuration",
      live: { network: { ...ECHO.network, securityGroups: ["sg-other"] } },
      changes: {
        networkConfiguration: { awsvpcConfiguration: { subnets: SUBNETS, securityGroups: [SECURITY_GROUP], assignPublicIp: "ENABLED" } },
      },
    },
    {
      why: "no load balancer in the spec sends an empty list, which removes AWS's",
      spec: { loadBalancers: [] },
      live: {},
      changes: { loadBalancers: [] },
    },
    {
      why: "moving from the launch type onto capacity providers takes a new deployment",
      spec: { drop: ["launchType"], capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }] },
      live: {},
      changes: { capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }], forceNewDeployment: true },
    },
    {
      why: "between strategies it does not",
      spec: { drop: ["launchType"], capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }] },
      live: { launchType: undefined, capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }] },
      changes: { capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 }] },
    },
    {
      why: "a registration to add sends the registry (SRV records also name the container and port)",
      spec: { serviceDiscovery: { service: "web", container: "container1Curso107", port: 8080 } },
      live: { serviceRegistries: [] },
      changes: { serviceRegistries: [{ registryArn: DISCOVERY_SERVICE, containerName: "container1Curso107", containerPort: 8080 }] },
    },
    {
      why: "a registration the spec drops sends an empty list, which removes AWS's",
      spec: { drop: ["serviceDiscovery"] },
      live: {},
      changes: { serviceRegistries: [] },
    },
    {
      why: "platform version, grace period, propagated tags and execute command go in the same UpdateService",
      spec: { platformVersion: "1.4.0", healthCheckGracePeriodSeconds: 30, propagateTags: "SERVICE", enableExecuteCommand: true },
      live: {},
      changes: { platformVersion: "1.4.0", healthCheckGracePeriodSeconds: 30, propagateTags: "SERVICE", enableExecuteCommand: true },
    },
    {
      why: "a revision and a count outside the range: both in the one UpdateService",
      spec: { autoScaling: { minCapacity: 2, maxCapacity: 6 } },
      live: { taskDefinition: NEXT_REVISION, desiredCount: 1 },
      changes: { taskDefinition: TASK_DEFINITION, desiredCount: 2 },
    },
    {
      why: "a count the scaler moved inside the range takes none",
      spec: { autoScaling: { minCapacity: 2, maxCapacity: 6 } },
      live: { desiredCount: 5 },
      changes: undefined,
    },
    { why: "a replacement takes none: the engine deletes and creates", live: { cluster: "otherCluster" }, changes: undefined },
    { why: "a tag change takes no UpdateService", live: { tags: { ...ECHO.tags, project: "other" } }, changes: undefined },
  ])("$why", ({ spec, live: changes, changes: expected }) => {
    const desired = desiredOf(spec);
    const observed = live(changes);
    expect(diffService(desired, observed).change.update).toEqual(
      expected && { cluster: observed.cluster, service: observed.name, ...expected },
    );
  });

  it("names the live service: its cluster and its name", () => {
    const desired = desiredOf({ drop: ["autoScaling"] });
    expect(diffService(desired, live({ desiredCount: 5 })).change.update).toEqual({
      cluster: "clusterFargateCurso107",
      service: "svcFargateCurso107",
      desiredCount: 2,
    });
  });
});

describe("the tags a change writes", () => {
  it.each<{ why: string; tags: Record<string, string>; set: Record<string, string>; remove: string[] }>([
    { why: "the same tags write nothing", tags: ECHO.tags, set: {}, remove: [] },
    { why: "a changed value is set again", tags: { ...ECHO.tags, project: "other" }, set: { project: "curso107" }, remove: [] },
    {
      why: "a missing tag is set",
      tags: { "reconcile:stack": "microblog", "reconcile:id": "services/web" },
      set: { project: "curso107" },
      remove: [],
    },
    { why: "a foreign tag is removed", tags: { ...ECHO.tags, owner: "someone" }, set: {}, remove: ["owner"] },
    { why: "AWS's own aws: tags are left alone", tags: { ...ECHO.tags, "aws:cloudformation:stack-name": "x" }, set: {}, remove: [] },
  ])("$why", ({ tags, set, remove }) => {
    const { change } = diffService(desiredOf(), live({ tags }));
    expect(change.tags).toEqual({ set, remove });
    expect(change.update).toBeUndefined();
  });
});

describe("nodes", () => {
  it("depend on the cluster, task definition, groups, subnets, target group and every listener forwarding to it", () => {
    const spec = specWith();
    const [node] = [serviceNode(spec, "web", spec.services.web!)];
    expect(node!.address).toBe("services.web");
    expect(node!.name).toBe("svcFargateCurso107");
    expect(node!.dependsOn).toEqual([
      "clusters.main",
      "taskDefinitions.web",
      "securityGroups.default",
      "network",
      "targetGroups.web",
      "listeners.web.http",
      "discoveryServices.web",
    ]);
  });

  it("take the spec's only cluster when the service names none", () => {
    const spec = specWith({ drop: ["cluster"] });
    const node = serviceNode(spec, "web", spec.services.web!);
    expect(node.dependsOn[0]).toBe("clusters.main");
    expect(node.build(OUTPUTS).cluster).toBe("clusterFargateCurso107");
  });

  it.each([
    { why: "with auto scaling and no count, the service starts at the minimum", spec: { drop: ["desiredCount"] as const }, count: 2 },
    { why: "a count outside the scaling range starts clamped into it", spec: { desiredCount: 10 }, count: 6 },
    { why: "the spec's count inside the range is the start", spec: { desiredCount: 3 }, count: 3 },
  ])("$why", ({ spec, count }) => {
    const { drop, ...rest } = spec as { drop?: Array<keyof ServiceInput>; desiredCount?: number };
    expect(desiredOf({ ...rest, ...(drop && { drop }) }).desiredCount).toEqual({ count, scaling: { min: 2, max: 6 } });
  });
});
