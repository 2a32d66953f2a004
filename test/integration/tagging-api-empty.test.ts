import { paginateDescribeScalableTargets } from "@aws-sdk/client-application-auto-scaling";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeSecurityGroupsCommand } from "@aws-sdk/client-ec2";
import { DescribeClustersCommand, ListTaskDefinitionsCommand } from "@aws-sdk/client-ecs";
import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetRoleCommand } from "@aws-sdk/client-iam";
import { ListNamespacesCommand, ListServicesCommand } from "@aws-sdk/client-servicediscovery";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMoto } from "../../scripts/moto.mjs";
import { createClients, type AwsClients } from "../../src/aws/index.js";
import { isNotFound } from "../../src/aws/errors.js";
import type { Spec } from "../../src/schema/index.js";
import { applySpec, changesOf, planSpec, specFrom, uniqueStack } from "../support/engine.js";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { MOTO_RUNNING_TASKS } from "../support/global-setup.js";

/**
 * Ownership never rests on the Resource Groups Tagging API alone. On AWS, GetResources is eventually consistent (a
 * resource created a moment ago can be missing for minutes) and some emulators answer nothing at all; here the fault
 * proxy answers every GetResources with an empty list (a stand-in: moto itself is never asked). The reference example
 * must still apply, re-plan empty (nothing the stack owns is taken for someone else's) and delete to the last alarm,
 * as checked with the SDK directly against moto, behind the proxy's back.
 *
 * The stack is applied to a moto server of its own: the check that nothing is left lists the whole account.
 */
const EXAMPLE = readFileSync(fileURLToPath(new URL("../../examples/microblog.yaml", import.meta.url)), "utf8");

describe("with a Tagging API that lists nothing", () => {
  let moto: { endpoint: string; stop(): Promise<void> };
  let proxy: FaultProxy;
  let spec: Spec;
  let direct: AwsClients;

  beforeAll(async () => {
    moto = await startMoto({ ecsServiceRunning: MOTO_RUNNING_TASKS });
    proxy = await startFaultProxy(moto.endpoint, { standIns: { GetResources: () => ({ ResourceTagMappingList: [] }) } });
    direct = createClients({ region: "us-east-1", endpoint: moto.endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    spec = await specFrom(EXAMPLE);
  }, 120_000);
  afterAll(async () => {
    direct?.destroy();
    await proxy?.close();
    await moto?.stop();
  });

  it("examples/microblog.yaml applies, re-plans empty and deletes to the last resource", async () => {
    const applied = await applySpec(spec, "apply", proxy.endpoint, { wait: { timeoutMs: 60_000 } });
    expect(applied.results.filter((r) => r.outcome !== "done")).toEqual([]);
    // The stand-in did answer: every GetResources of the run was answered with nothing, none reached moto.
    expect(proxy.seen.some((r) => r.action === "GetResources")).toBe(true);

    proxy.reset();
    const { plan, stats } = await planSpec(spec, "apply", proxy.endpoint);
    expect(changesOf(plan)).toEqual({});
    expect(stats.writes).toBe(0);
    console.log(`no-op plan with an empty Tagging API: ${stats.calls} calls`);

    // A configuration the spec no longer names is still found to prune: discover lists every ECS scalable target and
    // asks the services' tags whose each is, where it would otherwise have only the Tagging API's (empty) list.
    const unscaled = await specFrom(EXAMPLE.slice(0, EXAMPLE.indexOf("    autoScaling:")));
    expect(changesOf((await planSpec(unscaled, "apply", proxy.endpoint)).plan)).toMatchObject({ "autoScaling.web": "delete" });

    const deleted = await applySpec(spec, "delete", proxy.endpoint, { wait: { timeoutMs: 60_000 } });
    expect(deleted.results.filter((r) => r.outcome !== "done")).toEqual([]);
    expect(deleted.plan.resources.map((r) => r.address).sort()).toEqual(
      [
        "autoScaling.web",
        "clusters.main",
        "discoveryServices.web",
        "listeners.web.http",
        "loadBalancers.web",
        "logGroups.app",
        "namespaces.internal",
        "roles.taskExecution",
        "securityGroupRules.default",
        "services.web",
        "targetGroups.web",
        "taskDefinitions.web",
      ].sort(),
    );

    expect(await leftBehind(direct)).toEqual({
      alarms: [],
      scalableTargets: [],
      logGroups: [],
      role: "gone",
      targetGroups: [],
      loadBalancers: [],
      activeClusters: [],
      taskDefinitions: [],
      namespaces: [],
      discoveryServices: [],
      defaultGroupIngress: [],
    });
  }, 240_000);

  // The same runs with the Tagging API answering (moto itself) and answering nothing (the proxy's stand-in): the stack's
  // revisions are found either way, and the direct read costs a call only for a revision the Tagging API left out.
  it.each([
    // At delete, after the plan's describe, the revisions the Tagging API lists, deregistered revision 1 among them,
    // are deleted after one listing (of the ACTIVE ones).
    {
      tagging: "answering",
      family: "revisionsListed",
      endpoint: () => moto.endpoint,
      describesAt3rd: 1,
      readsAtDelete: { DescribeTaskDefinition: 1, ListTaskDefinitions: 1 },
    },
    // Beyond the plan's describe of the family: at the 3rd apply, revisions 2 and 1, which retention must judge; at
    // delete, revision 2 (ACTIVE) and then 1 (INACTIVE, listed since the Tagging API names none of the family);
    // revision 3 is the live one the plan read with its tags.
    {
      tagging: "empty",
      family: "revisionsUnlisted",
      endpoint: () => proxy.endpoint,
      describesAt3rd: 3,
      readsAtDelete: { DescribeTaskDefinition: 3, ListTaskDefinitions: 2 },
    },
  ])(
    "task definitions, Tagging API $tagging: keepRevisions 2 deregisters revision 1 at revision 3; delete leaves no revision",
    async ({ family, endpoint, describesAt3rd, readsAtDelete }) => {
      const stack = uniqueStack("revisions");
      const at = (image: string) =>
        specFrom(`
stack: ${stack}
region: us-east-1
network: { vpc: default, subnets: { availabilityZones: [us-east-1a] } }
taskDefinitions:
  web:
    family: ${family}
    cpu: 256
    memory: 512
    keepRevisions: 2
    containers:
      app: { image: "${image}", portMappings: [8080] }
`);
      const ecsReads = (stats: { byAction: Array<{ service: string; action: string; calls: number; write: boolean }> }) =>
        Object.fromEntries(stats.byAction.filter((a) => a.service === "ecs" && !a.write).map((a) => [a.action, a.calls]));

      let third: Awaited<ReturnType<typeof applySpec>> | undefined;
      for (const image of ["app:1", "app:2", "app:3"]) {
        third = await applySpec(await at(image), "apply", endpoint());
        expect(third.results.filter((r) => r.outcome !== "done")).toEqual([]);
      }
      expect(await revisionsOf(direct, family, "ACTIVE")).toEqual([2, 3]);
      expect(await revisionsOf(direct, family, "INACTIVE")).toEqual([1]);
      expect(ecsReads(third!.stats)).toEqual({ DescribeTaskDefinition: describesAt3rd, ListTaskDefinitions: 1 });

      const deleted = await applySpec(await at("app:3"), "delete", endpoint());
      expect(deleted.results.filter((r) => r.outcome !== "done")).toEqual([]);
      expect(await revisionsOf(direct, family, "ACTIVE")).toEqual([]);
      expect(await revisionsOf(direct, family, "INACTIVE")).toEqual([]);
      expect(ecsReads(deleted.stats)).toEqual(readsAtDelete);
    },
    120_000,
  );
});

/** The family's revision numbers of one status, read straight from moto. */
async function revisionsOf(clients: AwsClients, family: string, status: "ACTIVE" | "INACTIVE"): Promise<number[]> {
  const { taskDefinitionArns } = await clients.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status }));
  return (taskDefinitionArns ?? []).map((arn) => Number(arn.slice(arn.lastIndexOf(":") + 1))).sort((a, b) => a - b);
}

/** What is left in the account (moto's, which only this file uses), read with the SDK straight from moto. */
async function leftBehind(clients: AwsClients) {
  const scalableTargets: string[] = [];
  for await (const page of paginateDescribeScalableTargets({ client: clients.autoScaling }, { ServiceNamespace: "ecs" })) {
    scalableTargets.push(...(page.ScalableTargets ?? []).map((t) => t.ResourceId!));
  }
  const { MetricAlarms } = await clients.cloudWatch.send(new DescribeAlarmsCommand({}));
  const { logGroups } = await clients.logs.send(new DescribeLogGroupsCommand({}));
  const role = await clients.iam.send(new GetRoleCommand({ RoleName: "roleCurso107" })).then(
    (r) => r.Role?.RoleName,
    (e: unknown) => (isNotFound(e) ? "gone" : String(e)),
  );
  const { TargetGroups } = await clients.elbv2.send(new DescribeTargetGroupsCommand({}));
  const { LoadBalancers } = await clients.elbv2.send(new DescribeLoadBalancersCommand({}));
  const { clusters } = await clients.ecs.send(new DescribeClustersCommand({ clusters: ["clusterFargateCurso107"] }));
  // moto's ListTaskDefinitions lists deregistered revisions as well; DeleteTaskDefinitions removes them.
  const { taskDefinitionArns } = await clients.ecs.send(new ListTaskDefinitionsCommand({ status: "ACTIVE" }));
  const { taskDefinitionArns: inactive } = await clients.ecs.send(new ListTaskDefinitionsCommand({ status: "INACTIVE" }));
  const { Namespaces } = await clients.serviceDiscovery.send(new ListNamespacesCommand({}));
  const { Services } = await clients.serviceDiscovery.send(new ListServicesCommand({}));
  const { SecurityGroups } = await clients.ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-name", Values: ["default"] }] }),
  );
  return {
    alarms: (MetricAlarms ?? []).map((a) => a.AlarmName),
    scalableTargets,
    logGroups: (logGroups ?? []).map((g) => g.logGroupName),
    role,
    targetGroups: (TargetGroups ?? []).map((g) => g.TargetGroupName),
    loadBalancers: (LoadBalancers ?? []).map((lb) => lb.LoadBalancerName),
    activeClusters: (clusters ?? []).filter((c) => c.status === "ACTIVE").map((c) => c.clusterName),
    taskDefinitions: [...(taskDefinitionArns ?? []), ...(inactive ?? [])],
    namespaces: (Namespaces ?? []).map((n) => n.Name),
    discoveryServices: (Services ?? []).map((s) => s.Name),
    defaultGroupIngress: (SecurityGroups ?? []).flatMap((g) => (g.IpPermissions ?? []).filter((p) => p.FromPort === 8080)),
  };
}
