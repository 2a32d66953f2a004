import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from "@aws-sdk/client-application-auto-scaling";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetResourcesCommand } from "@aws-sdk/client-resource-groups-tagging-api";
import { GetServiceCommand, ListNamespacesCommand, ListServicesCommand } from "@aws-sdk/client-servicediscovery";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClients } from "../../../src/aws/index.js";
import { arnSuffix } from "../../../src/reconcilers/elb/model.js";
import type { Spec } from "../../../src/schema/index.js";
import { applySpec, changesOf, planSpec, specFrom, writeCalls } from "../../support/engine.js";
import { motoClientConfig } from "../../support/moto-env.js";

/**
 * examples/microblog-shared-db.yaml itself, end to end, under its own stack and names (so it can run beside
 * examples/microblog.yaml; on moto they run one after the other: see test/integration/examples.test.ts).
 *
 * Runs without waiting for services (`--no-wait`): moto reports the same running count for every service
 * (MOTO_ECS_SERVICE_RUNNING=2 here), and the database service wants 1 task, so it would never look stable.
 * moto creates no DNS records and runs no tasks, so what is checked is the wiring: the namespace, the
 * discovery service, the database service's registration in it, and the name the web tasks are given.
 */
const EXAMPLE = readFileSync(fileURLToPath(new URL("../../../examples/microblog-shared-db.yaml", import.meta.url)), "utf8");
const STACK = "microblog-shared-db";

const aws = createClients({ ...motoClientConfig(), maxAttempts: 2 });

async function namespaceNamed(name: string) {
  const { Namespaces } = await aws.serviceDiscovery.send(new ListNamespacesCommand({}));
  return Namespaces?.find((n) => n.Name === name);
}

describe("examples/microblog-shared-db.yaml against moto", () => {
  let spec: Spec;

  beforeAll(async () => {
    spec = await specFrom(EXAMPLE);
  });
  afterAll(async () => {
    await applySpec(spec, "delete");
    aws.destroy();
  });

  it("applies end to end: the database is registered in Cloud Map under the name the web tasks use", async () => {
    const { results } = await applySpec(spec, "apply");
    expect(results.filter((r) => r.outcome !== "done")).toEqual([]);

    const namespace = await namespaceNamed("microblog-shared-db.local");
    expect(namespace?.Type).toBe("DNS_PRIVATE");
    // moto ignores ListServices' filters: the namespace is checked on GetService's answer.
    const { Services } = await aws.serviceDiscovery.send(
      new ListServicesCommand({ Filters: [{ Name: "NAMESPACE_ID", Values: [namespace!.Id!], Condition: "EQ" }] }),
    );
    const named = await Promise.all(
      Services!
        .filter((s) => s.Name === "db")
        .map(async (s) => (await aws.serviceDiscovery.send(new GetServiceCommand({ Id: s.Id }))).Service!),
    );
    const discovery = named.find((s) => s.NamespaceId === namespace!.Id);
    expect(discovery!.DnsConfig!.DnsRecords).toEqual([{ Type: "A", TTL: 10 }]);
    expect(discovery!.HealthCheckCustomConfig).toBeDefined();

    const { services } = await aws.ecs.send(
      new DescribeServicesCommand({ cluster: `${STACK}-main`, services: [`${STACK}-db`, `${STACK}-web`] }),
    );
    const [db, web] = [`${STACK}-db`, `${STACK}-web`].map((name) => services!.find((s) => s.serviceName === name)!);
    expect(db!.serviceRegistries).toEqual([{ registryArn: discovery!.Arn }]);
    expect(web!.serviceRegistries).toEqual([]);

    // The web tasks reach the database by <discovery service>.<namespace>.
    const { taskDefinition } = await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: web!.taskDefinition }));
    const env = Object.fromEntries(taskDefinition!.containerDefinitions![0]!.environment!.map((e) => [e.name, e.value]));
    expect(env.DB_HOST).toBe(`${discovery!.Name}.${namespace!.Name}`);

    // The web service scales on requests per target: the label names this stack's load balancer and target group.
    const resourceId = `service/${STACK}-main/${STACK}-web`;
    const { ScalableTargets } = await aws.autoScaling.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: "ecs", ResourceIds: [resourceId] }),
    );
    expect(ScalableTargets?.map((t) => [t.MinCapacity, t.MaxCapacity])).toEqual([[2, 6]]);
    const { ScalingPolicies } = await aws.autoScaling.send(
      new DescribeScalingPoliciesCommand({ ServiceNamespace: "ecs", ResourceId: resourceId }),
    );
    const alb = (await aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [`${STACK}-web`] }))).LoadBalancers![0]!;
    const tg = (await aws.elbv2.send(new DescribeTargetGroupsCommand({ Names: [`${STACK}-web`] }))).TargetGroups![0]!;
    expect(ScalingPolicies?.map((p) => p.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification)).toEqual([
      {
        PredefinedMetricType: "ALBRequestCountPerTarget",
        ResourceLabel: `${arnSuffix(alb.LoadBalancerArn!)}/${arnSuffix(tg.TargetGroupArn!)}`,
      },
    ]);
  });

  it("re-plans empty, and a second apply makes no write", async () => {
    const { plan } = await planSpec(spec);
    expect(changesOf(plan)).toEqual({});
    const again = await applySpec(spec, "apply");
    expect(writeCalls(again.stats)).toEqual([]);
  });

  it("a DNS TTL change makes exactly one Cloud Map UpdateService", async () => {
    const changed = await specFrom(EXAMPLE.replace("dnsRecords: [{ type: A, ttl: 10 }]", "dnsRecords: [{ type: A, ttl: 30 }]"));
    expect(changesOf((await planSpec(changed)).plan)).toEqual({ "discoveryServices.db": "update" });
    const { results, stats } = await applySpec(changed, "apply");
    expect(results.filter((r) => r.outcome !== "done")).toEqual([]);
    expect(writeCalls(stats)).toEqual(["servicediscovery UpdateService 1"]);
    expect(changesOf((await planSpec(changed)).plan)).toEqual({});
    spec = changed;
  });

  it("delete leaves nothing of the stack: no namespace, no scalable target, nothing tagged but INACTIVE ECS entries", async () => {
    const { results } = await applySpec(spec, "delete");
    expect(results.filter((r) => r.outcome !== "done")).toEqual([]);
    expect(await namespaceNamed("microblog-shared-db.local")).toBeUndefined();
    const { ScalableTargets } = await aws.autoScaling.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: "ecs", ResourceIds: [`service/${STACK}-main/${STACK}-web`] }),
    );
    expect(ScalableTargets).toEqual([]);
    const left = await aws.tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: "reconcile:stack", Values: [STACK] }] }));
    // moto's Tagging API keeps listing deleted ECS clusters, services and task definition revisions (INACTIVE).
    expect(left.ResourceTagMappingList?.map((r) => r.ResourceARN!).filter((arn) => !/:ecs:/.test(arn))).toEqual([]);
  });
});
