import { DescribeSecurityGroupRulesCommand, DescribeSecurityGroupsCommand } from "@aws-sdk/client-ec2";
import { DescribeServicesCommand } from "@aws-sdk/client-ecs";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { generationName } from "../../src/reconcilers/ec2/security-groups/model.js";
import { startFaultProxy, type FaultProxy, type SeenRequest } from "../support/fault-proxy.js";
import { applySpec, changesOf, planSpec, specFrom, uniqueStack } from "../support/engine.js";
import { motoClientConfig } from "../support/moto-env.js";
import { ecsYaml } from "../support/specs.js";

// moto never refuses DeleteSecurityGroup (MOTO-NOTES: no DependencyViolation); AWS does while a load balancer, a
// task's network interface or another group's rule uses the group. Workaround, in the test only: the fault proxy
// answers DeleteSecurityGroup with DependencyViolation whenever moto's state shows the group still in use (`inUse`).
// moto runs no tasks, so a service's use is read from its network configuration; on AWS the tasks of the old
// deployment hold the group until they stop, which the deletion's retries (up to 10 minutes) wait out.

const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(inject("motoEndpoint"));
});
afterAll(async () => {
  clients.destroy();
  await proxy.close();
});

const OLD_DESCRIPTION = "web tier";
const NEW_DESCRIPTION = "web tier: load balancer and tasks";
const LATER_DESCRIPTION = "web tier, described once more";

/** Group `web` serves the load balancer and the service; group `db` admits it: three users to move. */
const specOf = (stack: string, description: string) =>
  specFrom(`
stack: ${stack}
region: us-east-1
network: { vpc: default, subnets: { availabilityZones: [us-east-1a, us-east-1b] } }
securityGroups:
  web:
    description: "${description}"
    ingress: [{ protocol: tcp, port: 8080, cidr: 10.0.0.0/8 }]
  db:
    ingress: [{ protocol: tcp, port: 5432, securityGroup: web, description: from the web tier }]
targetGroups:
  web: { port: 8080, protocol: HTTP, targetType: ip }
loadBalancers:
  web:
    securityGroups: [web]
    listeners:
      http: { protocol: HTTP, port: 8080, defaultAction: { forward: web } }
${ecsYaml({ desiredCount: 1, targetGroup: true })}`);

/** Whether a load balancer, an ECS service of the stack or another group's rule uses the group, as moto has it now. */
async function inUse(stack: string, groupId: string): Promise<boolean> {
  const { LoadBalancers } = await clients.elbv2.send(new DescribeLoadBalancersCommand({}));
  if ((LoadBalancers ?? []).some((lb) => lb.SecurityGroups?.includes(groupId))) return true;
  const { services } = await clients.ecs.send(new DescribeServicesCommand({ cluster: `${stack}-main`, services: [`${stack}-web`] }));
  const active = (services ?? []).filter((s) => s.status === "ACTIVE");
  if (active.some((s) => s.networkConfiguration?.awsvpcConfiguration?.securityGroups?.includes(groupId))) return true;
  const { SecurityGroupRules } = await clients.ec2.send(new DescribeSecurityGroupRulesCommand({}));
  return (SecurityGroupRules ?? []).some((r) => r.ReferencedGroupInfo?.GroupId === groupId && r.GroupId !== groupId);
}

const groupIdOf = (request: SeenRequest) => new URLSearchParams(request.body).get("GroupId");

async function groupsNamed(names: string[]) {
  const { SecurityGroups } = await clients.ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-name", Values: names }] }),
  );
  return SecurityGroups ?? [];
}

describe("a security group whose description changes", () => {
  const stack = uniqueStack("sgrep");
  const name = `${stack}-web`;
  let oldId = "";
  let vpcId = "";

  beforeAll(async () => {
    const first = await applySpec(await specOf(stack, OLD_DESCRIPTION));
    expect(first.results.filter((r) => r.outcome !== "done")).toEqual([]);
    const old = (await groupsNamed([name]))[0]!;
    oldId = old.GroupId!;
    vpcId = old.VpcId!;
    proxy.reset();
    proxy.inject({
      action: "DeleteSecurityGroup",
      fault: "dependencyViolation",
      times: Number.POSITIVE_INFINITY,
      when: ({ body }) => inUse(stack, new URLSearchParams(body).get("GroupId") ?? ""),
    });
  });
  afterAll(async () => {
    proxy.reset();
    await applySpec(await specOf(stack, LATER_DESCRIPTION), "delete");
    expect(await groupsNamed([name, `${stack}-db`])).toEqual([]);
  });

  it("is planned as a create-first replacement under its generation name, what uses it updated", async () => {
    const spec = await specOf(stack, NEW_DESCRIPTION);
    const { plan } = await planSpec(spec, "apply", proxy.endpoint);
    const rows = plan.resources.filter((r) => r.action !== "noop" && r.action !== "read").map((r) => `${r.action} ${r.address}`);
    expect(rows.sort()).toEqual([
      // The old group's own rules go with it (revoked before it is deleted); nothing else of the stack is deleted.
      "create securityGroupRules.web",
      "delete securityGroupRules.web",
      "replace securityGroups.web",
      "update loadBalancers.web",
      "update securityGroupRules.db",
      "update services.web",
    ]);
    const row = plan.resources.find((r) => r.address === "securityGroups.web")!;
    expect(row).toMatchObject({ createBeforeDelete: true, replaceFields: ["description"] });
    expect(row.diffs).toContainEqual({ path: "name", before: name, after: generationName(name, NEW_DESCRIPTION, vpcId) });
    expect(plan.resources.find((r) => r.action === "delete")?.id).toBe(oldId);
  });

  it("creates the new group, moves the load balancer, the service and db's rule, then deletes the old one: no DependencyViolation", async () => {
    const spec = await specOf(stack, NEW_DESCRIPTION);
    const run = await applySpec(spec, "apply", proxy.endpoint);
    expect(run.results.filter((r) => r.outcome !== "done")).toEqual([]);

    // Only the new group is left, under the generation name.
    const live = await groupsNamed([name, generationName(name, NEW_DESCRIPTION, vpcId)]);
    expect(live.map((g) => [g.GroupName, g.Description])).toEqual([[generationName(name, NEW_DESCRIPTION, vpcId), NEW_DESCRIPTION]]);
    const newId = live[0]!.GroupId!;

    const writes = proxy.seen.filter((r) => r.fault !== undefined || !/^(Describe|List|Get)/.test(r.action));
    const at = (predicate: (r: SeenRequest) => boolean, what: string) => {
      const index = writes.findIndex(predicate);
      expect(index, what).toBeGreaterThanOrEqual(0);
      return index;
    };
    const created = at((r) => r.action === "CreateSecurityGroup", "CreateSecurityGroup");
    const loadBalancerMoved = at((r) => r.action === "SetSecurityGroups" && r.body.includes(newId), "SetSecurityGroups");
    const serviceMoved = at((r) => r.action === "UpdateService" && r.body.includes(newId), "UpdateService");
    // db's rule: the one admitting the new group added, then the one admitting the old group revoked.
    const ruleMoved = at(
      (r) => r.action === "AuthorizeSecurityGroupIngress" && groupIdOf(r) !== newId && r.body.includes(newId),
      "db's rule",
    );
    const ruleRevoked = at((r) => r.action === "RevokeSecurityGroupIngress" && groupIdOf(r) !== oldId, "db's old rule revoked");
    const deleted = at((r) => r.action === "DeleteSecurityGroup" && groupIdOf(r) === oldId, "DeleteSecurityGroup");
    expect(created).toBeLessThan(Math.min(loadBalancerMoved, serviceMoved, ruleMoved));
    expect(deleted).toBeGreaterThan(Math.max(loadBalancerMoved, serviceMoved, ruleMoved, ruleRevoked));
    // Asked only once nothing used it: AWS would have answered at once.
    expect(writes.filter((r) => r.action === "DeleteSecurityGroup").map((r) => r.fault)).toEqual([undefined]);
  });

  it("then the plan is empty", async () => {
    expect(changesOf((await planSpec(await specOf(stack, NEW_DESCRIPTION), "apply", proxy.endpoint)).plan)).toEqual({});
  });

  it("a further change replaces the generation back under the spec's name, found by its ownership tag", async () => {
    const spec = await specOf(stack, LATER_DESCRIPTION);
    const { plan } = await planSpec(spec, "apply", proxy.endpoint);
    const row = plan.resources.find((r) => r.address === "securityGroups.web")!;
    expect(row).toMatchObject({ action: "replace", createBeforeDelete: true, replaceFields: ["description"] });
    expect(row.diffs).toContainEqual({ path: "name", before: generationName(name, NEW_DESCRIPTION, vpcId), after: name });

    proxy.reset();
    const run = await applySpec(spec, "apply", proxy.endpoint);
    expect(run.results.filter((r) => r.outcome !== "done")).toEqual([]);
    expect(proxy.seen.filter((r) => r.action === "DeleteSecurityGroup").map((r) => r.fault)).toEqual([undefined]);
    const live = await groupsNamed([name, generationName(name, NEW_DESCRIPTION, vpcId), generationName(name, LATER_DESCRIPTION, vpcId)]);
    expect(live.map((g) => [g.GroupName, g.Description])).toEqual([[name, LATER_DESCRIPTION]]);
    expect(changesOf((await planSpec(spec, "apply", proxy.endpoint)).plan)).toEqual({});
  });
});
