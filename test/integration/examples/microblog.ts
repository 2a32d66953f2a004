import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
} from "@aws-sdk/client-ecs";
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetRoleCommand, ListAttachedRolePoliciesCommand } from "@aws-sdk/client-iam";
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetResourcesCommand } from "@aws-sdk/client-resource-groups-tagging-api";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeScalableTargetsCommand } from "@aws-sdk/client-application-auto-scaling";
import { ListNamespacesCommand } from "@aws-sdk/client-servicediscovery";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClients } from "../../../src/aws/index.js";
import type { Spec } from "../../../src/schema/index.js";
import { applySpec, changesOf, planSpec, specFrom, writeCalls } from "../../support/engine.js";
import { motoClientConfig } from "../../support/moto-env.js";
import { MOTO_RUNNING_TASKS } from "../../support/global-setup.js";

/**
 * examples/microblog.yaml itself, end to end, under its own stack and names: no other test applies it.
 * moto runs no containers: the global setup starts it with MOTO_ECS_SERVICE_RUNNING=2, the reference
 * service's desired count, so the service reports 2 running tasks and apply's wait for it ends at once.
 */
const EXAMPLE = readFileSync(fileURLToPath(new URL("../../../examples/microblog.yaml", import.meta.url)), "utf8");
const WAIT = { wait: { timeoutMs: 60_000 } };

const aws = createClients({ ...motoClientConfig(), maxAttempts: 2 });

describe("examples/microblog.yaml against moto", () => {
  let spec: Spec;
  /** The spec's text as last applied. */
  let text = EXAMPLE;
  const progress: string[] = [];

  beforeAll(async () => {
    expect(MOTO_RUNNING_TASKS).toBe(2);
    spec = await specFrom(EXAMPLE);
  });
  afterAll(async () => {
    await applySpec(spec, "delete", undefined, WAIT);
    aws.destroy();
  });

  it("applies end to end: every resource of the reference system exists with the reference values", async () => {
    const { results } = await applySpec(spec, "apply", undefined, {
      ...WAIT,
      progress: (resource, line) => progress.push(`${resource}: ${line}`),
    });
    expect(results.filter((r) => r.outcome !== "done")).toEqual([]);

    const role = (await aws.iam.send(new GetRoleCommand({ RoleName: "roleCurso107" }))).Role!;
    expect(decodeURIComponent(role.AssumeRolePolicyDocument!)).toContain("ecs-tasks.amazonaws.com");
    const attached = await aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "roleCurso107" }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([
      "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    ]);

    const logs = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/aws/ecs/fargate/taskFargateCurso107" }));
    expect(logs.logGroups?.map((g) => [g.logGroupName, g.retentionInDays])).toEqual([["/aws/ecs/fargate/taskFargateCurso107", undefined]]);

    const tg = (await aws.elbv2.send(new DescribeTargetGroupsCommand({ Names: ["tgCurso107"] }))).TargetGroups![0]!;
    expect([tg.TargetType, tg.Protocol, tg.Port, tg.HealthCheckIntervalSeconds, tg.HealthyThresholdCount]).toEqual([
      "ip",
      "HTTP",
      8080,
      15,
      5,
    ]);
    const alb = (await aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: ["albCurso107"] }))).LoadBalancers![0]!;
    expect([alb.Scheme, alb.Type, alb.IpAddressType]).toEqual(["internet-facing", "application", "ipv4"]);
    const listeners = (await aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: alb.LoadBalancerArn }))).Listeners!;
    expect(listeners.map((l) => [l.Protocol, l.Port, l.DefaultActions?.[0]?.TargetGroupArn])).toEqual([["HTTP", 8080, tg.TargetGroupArn]]);

    const cluster = (await aws.ecs.send(new DescribeClustersCommand({ clusters: ["clusterFargateCurso107"], include: ["SETTINGS"] })))
      .clusters![0]!;
    expect(cluster.status).toBe("ACTIVE");
    expect(cluster.settings).toEqual([{ name: "containerInsights", value: "enabled" }]);
    expect(cluster.capacityProviders).toEqual(["FARGATE"]);
    expect(cluster.defaultCapacityProviderStrategy).toEqual([expect.objectContaining({ capacityProvider: "FARGATE", weight: 1 })]);

    const task = (await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "taskFargateCurso107" }))).taskDefinition!;
    expect([task.revision, task.cpu, task.memory, task.networkMode, task.requiresCompatibilities, task.executionRoleArn]).toEqual([
      1,
      "512",
      "1024",
      "awsvpc",
      ["FARGATE"],
      role.Arn,
    ]);
    expect(task.runtimePlatform).toEqual({ cpuArchitecture: "X86_64", operatingSystemFamily: "LINUX" });
    const [web, db] = ["container1Curso107", "container2Curso107"].map((name) => task.containerDefinitions!.find((c) => c.name === name)!);
    expect(web).toMatchObject({
      image: "docker.io/pedroheeger/curso116_kube-news:v1",
      cpu: 256,
      memory: 512,
      essential: true,
      portMappings: [expect.objectContaining({ containerPort: 8080, hostPort: 8080, protocol: "tcp" })],
      dependsOn: [{ containerName: "container2Curso107", condition: "HEALTHY" }],
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": "/aws/ecs/fargate/taskFargateCurso107",
          "awslogs-region": "us-east-1",
          "awslogs-stream-prefix": "container1Curso107",
        },
      },
    });
    expect(Object.fromEntries(web!.environment!.map((e) => [e.name, e.value]))).toEqual({
      DB_DATABASE: "kubenews",
      DB_USERNAME: "kubenews",
      DB_PASSWORD: "Pg#123",
      DB_HOST: "localhost",
    });
    expect(db).toMatchObject({
      image: "docker.io/library/postgres:13.13",
      essential: false,
      portMappings: [expect.objectContaining({ containerPort: 5432, hostPort: 5432, protocol: "tcp" })],
      healthCheck: {
        command: ["CMD-SHELL", "pg_isready -q -d kubenews -U kubenews"],
        interval: 10,
        timeout: 5,
        retries: 3,
        startPeriod: 30,
      },
    });

    const service = (
      await aws.ecs.send(new DescribeServicesCommand({ cluster: "clusterFargateCurso107", services: ["svcFargateCurso107"] }))
    ).services![0]!;
    expect(service).toMatchObject({
      status: "ACTIVE",
      taskDefinition: task.taskDefinitionArn,
      desiredCount: 2,
      launchType: "FARGATE",
      platformVersion: "LATEST",
      schedulingStrategy: "REPLICA",
      deploymentConfiguration: expect.objectContaining({ minimumHealthyPercent: 25, maximumPercent: 200 }),
      loadBalancers: [{ targetGroupArn: tg.TargetGroupArn, containerName: "container1Curso107", containerPort: 8080 }],
    });
    const vpc = service.networkConfiguration!.awsvpcConfiguration!;
    expect(vpc.assignPublicIp).toBe("ENABLED");
    expect(vpc.subnets).toHaveLength(2);
    expect(vpc.securityGroups).toEqual(alb.SecurityGroups);

    // apply waited for the service and said so.
    expect(progress.some((line) => line.startsWith("svcFargateCurso107: "))).toBe(true);
  });

  it("re-plans empty, and a second apply makes no write: no new revision", async () => {
    const { plan } = await planSpec(spec);
    expect(plan.resources.filter((r) => r.action !== "noop" && r.action !== "read")).toEqual([]);
    const again = await applySpec(spec, "apply", undefined, WAIT);
    expect(writeCalls(again.stats)).toEqual([]);
  });

  it("reordering environment variables changes nothing", async () => {
    const reordered = await specFrom(
      EXAMPLE.replace(
        /( {10}DB_DATABASE: kubenews\n)( {10}DB_USERNAME: kubenews\n)( {10}DB_PASSWORD: Pg#123\n)( {10}DB_HOST: localhost\n)/,
        "$4$3$2$1",
      ),
    );
    expect(Object.keys(reordered.taskDefinitions.web!.containers.container1Curso107!.environment)[0]).toBe("DB_HOST");
    const { plan } = await planSpec(reordered);
    expect(plan.resources.filter((r) => r.action !== "noop" && r.action !== "read")).toEqual([]);
  });

  it("an image change registers exactly one new revision and makes exactly one UpdateService", async () => {
    const changedText = EXAMPLE.replace("curso116_kube-news:v1", "curso116_kube-news:v2");
    const changed = await specFrom(changedText);
    const { plan } = await planSpec(changed);
    expect(plan.resources.filter((r) => r.action !== "noop" && r.action !== "read").map((r) => [r.address, r.action])).toEqual([
      ["taskDefinitions.web", "update"],
      ["services.web", "update"],
    ]);
    const { results, stats } = await applySpec(changed, "apply", undefined, WAIT);
    expect(results.filter((r) => r.outcome !== "done")).toEqual([]);
    expect(writeCalls(stats)).toEqual(["ecs RegisterTaskDefinition 1", "ecs UpdateService 1"]);

    const service = (
      await aws.ecs.send(new DescribeServicesCommand({ cluster: "clusterFargateCurso107", services: ["svcFargateCurso107"] }))
    ).services![0]!;
    expect(service.taskDefinition).toMatch(/:task-definition\/taskFargateCurso107:2$/);
    const again = await planSpec(changed);
    expect(again.plan.resources.filter((r) => r.action !== "noop" && r.action !== "read")).toEqual([]);
    spec = changed;
    text = changedText;
  });

  // Each change of the scaling configuration is one narrow call, and re-plans empty afterwards.
  it.each([
    {
      why: "min/max",
      from: "      minCapacity: 2\n      maxCapacity: 6\n",
      to: "      minCapacity: 2\n      maxCapacity: 8\n",
      call: "RegisterScalableTarget",
    },
    { why: "a policy's target value", from: "targetValue: 60", to: "targetValue: 70", call: "PutScalingPolicy" },
    { why: "a schedule", from: "cron(0 8 ? * MON-FRI *)", to: "cron(0 7 ? * MON-FRI *)", call: "PutScheduledAction" },
    { why: "a step alarm's threshold", from: "threshold: 75", to: "threshold: 80", call: "PutMetricAlarm" },
  ])("a change of $why makes exactly one $call", async ({ from, to, call }) => {
    const changed = await specFrom(text.replace(from, to));
    try {
      expect(changesOf((await planSpec(changed)).plan)).toEqual({ "autoScaling.web": "update" });
      const { results, stats } = await applySpec(changed, "apply", undefined, WAIT);
      expect(results.filter((r) => r.outcome !== "done")).toEqual([]);
      // CloudWatch's calls are counted under its signing name, monitoring.
      const service = call === "PutMetricAlarm" ? "monitoring" : "application-autoscaling";
      expect(writeCalls(stats)).toEqual([`${service} ${call} 1`]);
      expect(changesOf((await planSpec(changed)).plan)).toEqual({});
    } finally {
      // Back to the example, for the next row.
      await applySpec(spec, "apply", undefined, WAIT);
    }
  });

  it("moving the service to another cluster: the new one gets its scaling, the old one's goes before it does", async () => {
    const movedText = text
      .replace("clusters:\n", "clusters:\n  other:\n    name: clusterFargateCurso107b\n")
      .replace("    cluster: main\n    taskDefinition: web", "    cluster: other\n    taskDefinition: web");
    const moved = await specFrom(movedText);
    const { plan } = await planSpec(moved);
    expect(plan.resources.filter((r) => r.action !== "noop" && r.action !== "read").map((r) => [r.address, r.action, r.name])).toEqual([
      ["clusters.other", "create", "clusterFargateCurso107b"],
      ["services.web", "create", "svcFargateCurso107"],
      ["autoScaling.web", "create", "service/clusterFargateCurso107b/svcFargateCurso107"],
      ["autoScaling.web", "delete", "service/clusterFargateCurso107/svcFargateCurso107"],
      ["services.web", "delete", "svcFargateCurso107"],
    ]);
    const { results } = await applySpec(moved, "apply", undefined, WAIT);
    expect(results.filter((r) => r.outcome !== "done")).toEqual([]);
    expect(changesOf((await planSpec(moved)).plan)).toEqual({});
    // The step alarm keeps its name from one configuration to the next: the old one's deletion left the new one's.
    const { MetricAlarms } = await aws.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: ["microblog-web-memoryHigh"] }));
    expect(MetricAlarms?.map((a) => a.AlarmActions)).toEqual([
      [expect.stringContaining(":resource/ecs/service/clusterFargateCurso107b/svcFargateCurso107:")],
    ]);
    spec = moved;
    text = movedText;
  });

  it("delete leaves no resource that carries the stack's tag, and no role", async () => {
    const { results } = await applySpec(spec, "delete", undefined, WAIT);
    expect(results.filter((r) => r.outcome !== "done")).toEqual([]);
    const left = await aws.tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: "reconcile:stack", Values: ["microblog"] }] }));
    const listed = left.ResourceTagMappingList?.map((r) => r.ResourceARN!) ?? [];
    // moto's Tagging API keeps listing a deleted cluster or service, which ECS keeps as INACTIVE: each one
    // listed must be that, and nothing else may be listed.
    expect(listed.filter((arn) => !/:ecs:.*:(cluster|service)\//.test(arn))).toEqual([]);
    const clusters = await aws.ecs.send(new DescribeClustersCommand({ clusters: ["clusterFargateCurso107"] }));
    const services = await aws.ecs.send(
      new DescribeServicesCommand({ cluster: "clusterFargateCurso107", services: ["svcFargateCurso107"] }),
    );
    expect([...(clusters.clusters ?? []), ...(services.services ?? [])].map((r) => r.status)).toEqual(["INACTIVE", "INACTIVE"]);
    await expect(aws.iam.send(new GetRoleCommand({ RoleName: "roleCurso107" }))).rejects.toThrow();
    const active = await aws.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "taskFargateCurso107", status: "ACTIVE" }));
    expect(active.taskDefinitionArns).toEqual([]);

    // Nothing of the scaling configurations (the service moved clusters above) nor of Cloud Map is left.
    const { ScalableTargets } = await aws.autoScaling.send(
      new DescribeScalableTargetsCommand({
        ServiceNamespace: "ecs",
        ResourceIds: ["clusterFargateCurso107", "clusterFargateCurso107b"].map((c) => `service/${c}/svcFargateCurso107`),
      }),
    );
    expect(ScalableTargets).toEqual([]);
    // No step alarm is left. Target tracking's own alarms (Application Auto Scaling's, two per policy) go with their
    // policy, except on moto the pairs it leaks when a policy is put again (AWS updates them): the target-value row
    // above put the cpu policy twice more, so moto leaks exactly two pairs, and nothing else may be left.
    const alarms = await aws.cloudWatch.send(new DescribeAlarmsCommand({}));
    const leftAlarms = alarms.MetricAlarms?.map((a) => a.AlarmName!).filter((name) => /svcFargateCurso107|^microblog-/.test(name));
    expect(leftAlarms?.map((name) => name.replace(/-[0-9a-f-]{36}$/, "")).sort()).toEqual([
      ...Array(2).fill("TargetTracking-service/clusterFargateCurso107/svcFargateCurso107-AlarmHigh"),
      ...Array(2).fill("TargetTracking-service/clusterFargateCurso107/svcFargateCurso107-AlarmLow"),
    ]);
    const { Namespaces } = await aws.serviceDiscovery.send(new ListNamespacesCommand({}));
    expect(Namespaces?.filter((n) => n.Name === "microblog.local")).toEqual([]);
  });
});
