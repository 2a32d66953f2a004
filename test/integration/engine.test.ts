import {
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  AuthorizeSecurityGroupIngressCommand,
} from "@aws-sdk/client-ec2";
import {
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateRoleCommand, DetachRolePolicyCommand, GetRoleCommand, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import { afterAll, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { generationName } from "../../src/reconcilers/ec2/security-groups/model.js";
import { motoClientConfig } from "../support/moto-env.js";
import { applySpec, changesOf, planSpec, specFrom, uniqueStack } from "../support/engine.js";

const aws = createClients({ ...motoClientConfig(), maxAttempts: 1 });
afterAll(() => aws.destroy());

/**
 * A spec with every kind of this issue. `port` keeps each test's rule on the shared `default` group apart:
 * all test files share one moto server, and so one default VPC.
 */
const stackYaml = (stack: string, port: number, extra = "") => `
stack: ${stack}
region: us-east-1
tags: { project: engine-test }
network:
  vpc: default
  subnets: { availabilityZones: [us-east-1a, us-east-1b] }
securityGroups:
  default:
    existing: { name: default }
    ingress: [{ port: ${port}, cidr: 10.9.0.0/16, description: from the engine test }]
  alb:
    ingress: [{ port: 80, cidr: 0.0.0.0/0 }]
  tasks:
    ingress: [{ port: ${port}, securityGroup: alb }]
roles:
  exec:
    trustedServices: [ecs-tasks.amazonaws.com]
    managedPolicies: [AmazonECSTaskExecutionRolePolicy]
    inlinePolicies:
      logs:
        Statement: [{ Effect: Allow, Action: "logs:CreateLogStream", Resource: "*" }]
logGroups:
  app: { retentionDays: 7 }
${extra}`;

const writes = (stats: { byAction: Array<{ action: string; calls: number; write: boolean }> }) =>
  Object.fromEntries(stats.byAction.filter((c) => c.write).map((c) => [c.action, c.calls]));

async function groupByName(name: string) {
  const { SecurityGroups } = await aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-name", Values: [name] }] }));
  return SecurityGroups?.[0];
}

describe("engine against moto", () => {
  it("applies from empty with ownership tags, then plans nothing and re-applies with zero write calls", async () => {
    const stack = uniqueStack("eng");
    const spec = await specFrom(stackYaml(stack, 9101));

    const first = await applySpec(spec);
    expect(first.results.filter((r) => r.outcome !== "done")).toEqual([]);
    expect(changesOf(first.plan)).toEqual({
      "securityGroups.alb": "create",
      "securityGroups.tasks": "create",
      "roles.exec": "create",
      "logGroups.app": "create",
      "securityGroupRules.default": "update",
      "securityGroupRules.alb": "create",
      "securityGroupRules.tasks": "create",
    });

    const alb = await groupByName(`${stack}-alb`);
    expect(alb?.Tags).toEqual(
      expect.arrayContaining([
        { Key: "reconcile:stack", Value: stack },
        { Key: "reconcile:id", Value: "securityGroups/alb" },
        { Key: "project", Value: "engine-test" },
      ]),
    );
    const role = await aws.iam.send(new GetRoleCommand({ RoleName: `${stack}-exec` }));
    expect(role.Role?.Tags).toEqual(expect.arrayContaining([{ Key: "reconcile:id", Value: "roles/exec" }]));
    const { logGroups } = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/reconcile/${stack}/app` }));
    expect(logGroups?.[0]?.retentionInDays).toBe(7);
    const logTags = await aws.logs.send(new ListTagsForResourceCommand({ resourceArn: logGroups![0]!.arn!.replace(/:\*$/, "") }));
    expect(logTags.tags).toMatchObject({ "reconcile:stack": stack, "reconcile:id": "logGroups/app" });
    const defaultGroup = await groupByName("default");
    const { SecurityGroupRules } = await aws.ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [defaultGroup!.GroupId!] }] }),
    );
    const ours = SecurityGroupRules?.filter((r) => r.FromPort === 9101);
    expect(ours).toHaveLength(1);
    expect(ours?.[0]?.Tags).toEqual(expect.arrayContaining([{ Key: "reconcile:stack", Value: stack }]));

    const again = await planSpec(spec);
    expect(changesOf(again.plan)).toEqual({});
    expect(again.stats.writes).toBe(0);

    const second = await applySpec(spec);
    expect(second.stats.writes).toBe(0);
    expect(second.results.every((r) => r.outcome === "done")).toBe(true);

    await applySpec(spec, "delete");
  });

  it("shows drift made out of band exactly, and repairs it with the narrowest calls", async () => {
    const stack = uniqueStack("drift");
    const spec = await specFrom(stackYaml(stack, 9102));
    await applySpec(spec);

    const { logGroups } = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/reconcile/${stack}/app` }));
    await aws.logs.send(new PutRetentionPolicyCommand({ logGroupName: logGroups![0]!.logGroupName!, retentionInDays: 30 }));
    const alb = await groupByName(`${stack}-alb`);
    await aws.ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: alb!.GroupId!,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    const roleName = `${stack}-exec`;
    await aws.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: roleName,
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    await aws.iam.send(
      new DetachRolePolicyCommand({
        RoleName: roleName,
        PolicyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
      }),
    );

    const { plan } = await planSpec(spec);
    expect(changesOf(plan)).toEqual({ "logGroups.app": "update", "securityGroupRules.alb": "update", "roles.exec": "update" });
    const paths = Object.fromEntries(plan.resources.map((r) => [r.address, r.diffs.map((d) => d.path)]));
    expect(paths["logGroups.app"]).toEqual(["retentionDays"]);
    expect(paths["securityGroupRules.alb"]).toEqual(["ingress[tcp/22 from 0.0.0.0/0]"]);
    expect(paths["roles.exec"]?.sort()).toEqual(["managedPolicies[AmazonECSTaskExecutionRolePolicy]", "trustPolicy"]);

    const repair = await applySpec(spec);
    expect(writes(repair.stats)).toEqual({
      PutRetentionPolicy: 1,
      RevokeSecurityGroupIngress: 1,
      UpdateAssumeRolePolicy: 1,
      AttachRolePolicy: 1,
    });
    expect(changesOf((await planSpec(spec)).plan)).toEqual({});
    await applySpec(spec, "delete");
  });

  it("replaces what AWS cannot change in place, and creates a renamed resource before deleting the old one", async () => {
    const stack = uniqueStack("repl");
    const spec = await specFrom(stackYaml(stack, 9106));
    await applySpec(spec);
    const before = await groupByName(`${stack}-tasks`);

    const changed = await specFrom(
      stackYaml(stack, 9106)
        .replace("  tasks:\n", "  tasks:\n    description: tasks of the engine test\n")
        .replace("    trustedServices:", "    path: /services/\n    trustedServices:")
        .replace("  app: { retentionDays: 7 }", `  app: { name: /reconcile/${stack}/renamed, retentionDays: 7 }`),
    );
    const { plan } = await planSpec(changed);
    const changes = plan.resources.filter((r) => r.action !== "noop" && r.action !== "read").map((r) => `${r.action} ${r.address}`);
    // The replaced group's rules are made again on the new group; the old ones go with the old group.
    expect(changes.sort()).toEqual([
      "create logGroups.app",
      "create securityGroupRules.tasks",
      "delete logGroups.app",
      "delete securityGroupRules.tasks",
      "replace roles.exec",
      "replace securityGroups.tasks",
    ]);
    const byName = new Map(plan.resources.map((r) => [r.name, r]));
    expect(plan.resources.find((r) => r.address === "securityGroups.tasks")?.replaceFields).toEqual(["description"]);
    expect(plan.resources.find((r) => r.address === "roles.exec")?.replaceFields).toEqual(["path"]);
    expect(byName.get(`/reconcile/${stack}/renamed`)?.action).toBe("create");
    expect(byName.get(`/reconcile/${stack}/app`)?.reason).toBe(
      `an older copy of logGroups.app: the spec now names it /reconcile/${stack}/renamed`,
    );

    const run = await applySpec(changed);
    expect(run.results.filter((r) => r.outcome !== "done")).toEqual([]);
    // Created beside the old group, under its generation name (the old one held the spec's name), then the old one deleted.
    expect(await groupByName(`${stack}-tasks`)).toBeUndefined();
    const after = await groupByName(generationName(`${stack}-tasks`, "tasks of the engine test", before!.VpcId!));
    expect(after?.GroupId).not.toBe(before?.GroupId);
    expect(after?.Description).toBe("tasks of the engine test");
    expect((await aws.iam.send(new GetRoleCommand({ RoleName: `${stack}-exec` }))).Role?.Path).toBe("/services/");
    const logs = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/reconcile/${stack}/` }));
    expect(logs.logGroups?.map((g) => g.logGroupName)).toEqual([`/reconcile/${stack}/renamed`]);
    expect(changesOf((await planSpec(changed)).plan)).toEqual({});
    await applySpec(changed, "delete");
  });

  it("prunes what left the spec, and deletes it after the rest converged", async () => {
    const stack = uniqueStack("prune");
    const withExtra = await specFrom(stackYaml(stack, 9103, "  extra: { retentionDays: 1 }\n"));
    await applySpec(withExtra);
    const spec = await specFrom(stackYaml(stack, 9103));

    const { plan } = await planSpec(spec);
    expect(changesOf(plan)).toEqual({ "logGroups.extra": "delete" });
    expect(plan.resources.find((r) => r.address === "logGroups.extra")?.reason).toBe("no longer in the spec");

    const pruned = await applySpec(spec);
    expect(writes(pruned.stats)).toEqual({ DeleteLogGroup: 1 });
    const { logGroups } = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/reconcile/${stack}/extra` }));
    expect(logGroups).toEqual([]);
    await applySpec(spec, "delete");
  });

  it("reports an untagged resource under the expected name as a conflict and leaves it alone, until the spec adopts it", async () => {
    const stack = uniqueStack("adopt");
    const name = `/reconcile/${stack}/app`;
    await aws.logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: { owner: "someone-else" } }));
    const yaml = stackYaml(stack, 9104);

    const refused = await applySpec(await specFrom(yaml));
    const conflict = refused.plan.resources.find((r) => r.address === "logGroups.app");
    expect(conflict?.action).toBe("conflict");
    expect(conflict?.reason).toMatch(/without this stack's tag reconcile:stack=.*adopt: true/);
    expect(refused.results.find((r) => r.address === "logGroups.app")?.outcome).toBe("failed");
    expect(refused.results.filter((r) => r.address !== "logGroups.app").every((r) => r.outcome === "done")).toBe(true);
    const untouched = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
    expect(untouched.logGroups?.[0]?.retentionInDays).toBeUndefined();
    expect(refused.stats.byAction.some((c) => c.write && c.service === "logs")).toBe(false);

    const adopting = await specFrom(yaml.replace("app: { retentionDays: 7 }", "app: { retentionDays: 7, adopt: true }"));
    const adopted = await applySpec(adopting);
    expect(adopted.plan.resources.find((r) => r.address === "logGroups.app")?.action).toBe("update");
    expect(adopted.results.every((r) => r.outcome === "done")).toBe(true);
    const arn = untouched.logGroups![0]!.arn!.replace(/:\*$/, "");
    const tags = await aws.logs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    expect(tags.tags).toEqual({ "reconcile:stack": stack, "reconcile:id": "logGroups/app", project: "engine-test" });
    expect(changesOf((await planSpec(adopting)).plan)).toEqual({});
    await applySpec(adopting, "delete");
  });

  it("deletes everything the stack owns and nothing else, and a second delete finds nothing", async () => {
    const stack = uniqueStack("del");
    const spec = await specFrom(stackYaml(stack, 9105));
    await applySpec(spec);
    // Beside it: a role and a log group of nobody, one under a name the stack could have chosen.
    await aws.iam.send(
      new CreateRoleCommand({
        RoleName: `${stack}-bystander`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      }),
    );
    await aws.logs.send(new CreateLogGroupCommand({ logGroupName: `/reconcile/${stack}/bystander` }));

    const deleted = await applySpec(spec, "delete");
    expect(deleted.results.every((r) => r.outcome === "done")).toBe(true);
    expect(new Set(deleted.plan.resources.map((r) => r.action))).toEqual(new Set(["delete"]));
    expect(deleted.plan.resources.map((r) => r.address).sort()).toEqual([
      "logGroups.app",
      "roles.exec",
      "securityGroupRules.alb",
      "securityGroupRules.default",
      "securityGroupRules.tasks",
      "securityGroups.alb",
      "securityGroups.tasks",
    ]);
    // Rules go before the groups they reference.
    const order = deleted.plan.resources.map((r) => r.address);
    expect(order.indexOf("securityGroupRules.tasks")).toBeLessThan(order.indexOf("securityGroups.alb"));

    expect(await groupByName(`${stack}-alb`)).toBeUndefined();
    await expect(aws.iam.send(new GetRoleCommand({ RoleName: `${stack}-exec` }))).rejects.toThrow();
    expect((await aws.iam.send(new GetRoleCommand({ RoleName: `${stack}-bystander` }))).Role).toBeDefined();
    const left = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/reconcile/${stack}/` }));
    expect(left.logGroups?.map((g) => g.logGroupName)).toEqual([`/reconcile/${stack}/bystander`]);
    const defaultGroup = await groupByName("default");
    const { SecurityGroupRules } = await aws.ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [defaultGroup!.GroupId!] }] }),
    );
    expect(SecurityGroupRules?.filter((r) => r.FromPort === 9105)).toEqual([]);

    const again = await applySpec(spec, "delete");
    expect(again.plan.resources).toEqual([]);
    expect(again.stats.writes).toBe(0);
  });
});
