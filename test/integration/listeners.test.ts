import { readFileSync } from "node:fs";
import { CreateSecurityGroupCommand, DescribeSubnetsCommand, DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeListenerCertificatesCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  SetRulePrioritiesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { UploadServerCertificateCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { UNKNOWN } from "../../src/plan/model.js";
import { listenersReconciler } from "../../src/reconcilers/elb/listeners/index.js";
import type { ListenerDesired, ObservedListener } from "../../src/reconcilers/elb/listeners/model.js";
import type { Context, Outputs } from "../../src/reconcilers/contract.js";
import { specSchema } from "../../src/schema/spec.js";
import { motoClientConfig } from "../support/moto-env.js";
import { recordCalls, uniqueName } from "../support/reconciler-tests.js";

// What these tests rely on in moto 5.2.5 (read in moto/elbv2/models.py and responses.py, and checked here):
// CreateListener and CreateRule take Tags; DescribeTags answers for listener and rule ARNs; DescribeRules lists
// the default rule too (IsDefault); ModifyRule with Conditions alone keeps the actions.
//
// Where moto differs from AWS, worked around here only:
// - SetRulePriorities refuses a priority that any rule of the listener holds, even one moving away in the same
//   call, so two rules cannot swap priorities (AWS applies the call atomically). The moves below go to free
//   priorities; the swap is tested in the unit tests against a stand-in client.
// - moto echoes an action exactly as it was sent (a plain forward as TargetGroupArn alone, a redirect with only
//   the components given), where AWS adds ForwardConfig and fills a redirect's components: the reconciler sends
//   every component, and the unit tests hold the normalisation to AWS's real answers.
// - CreateListener accepts an IAM certificate ARN without checking it exists (ModifyListener checks): the
//   certificates here are uploaded to IAM anyway, as AWS needs.
// - ModifyListener with a new default certificate replaces moto's whole certificate list with it (a TODO in its
//   source), where AWS keeps the additional ones: the default certificate is changed here on a listener without any.
// - CreateListener accepts a second listener on a port already in use (AWS answers DuplicateListener): nothing here
//   depends on it; observe picks by tag first, and by port only among listeners no other node claims.

const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

const recorded = recordCalls(clients.elbv2);
const writes = recorded.writes;
beforeEach(recorded.reset);

const contextOf = (stack: string): Context => ({ stack, region: "us-east-1", clients });

let subnets: string[] = [];
let securityGroup = "";
beforeAll(async () => {
  const { Vpcs } = await clients.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }));
  const vpcId = Vpcs![0]!.VpcId!;
  const { Subnets } = await clients.ec2.send(
    new DescribeSubnetsCommand({
      Filters: [
        { Name: "vpc-id", Values: [vpcId] },
        { Name: "availability-zone", Values: ["us-east-1a", "us-east-1b"] },
      ],
    }),
  );
  subnets = Subnets!.map((s) => s.SubnetId!);
  const group = await clients.ec2.send(
    new CreateSecurityGroupCommand({ GroupName: uniqueName(), Description: "listener tests", VpcId: vpcId }),
  );
  securityGroup = group.GroupId!;
});

/** What each test stands on, made with the SDK directly: an ALB and two target groups, all of unique names. */
interface Ground {
  stack: string;
  lbName: string;
  lbArn: string;
  tgA: string;
  tgB: string;
  ctx: Context;
}

async function ground(): Promise<Ground> {
  const stack = uniqueName();
  const lbName = `${stack}-web`;
  const { LoadBalancers } = await clients.elbv2.send(
    new CreateLoadBalancerCommand({
      Name: lbName,
      Subnets: subnets,
      SecurityGroups: [securityGroup],
      Type: "application",
      Scheme: "internet-facing",
    }),
  );
  // The Tagging API lists the stack's load balancers; discover looks for listeners on them.
  const lbArn = LoadBalancers![0]!.LoadBalancerArn!;
  await clients.elbv2.send(new AddTagsCommand({ ResourceArns: [lbArn], Tags: [{ Key: "reconcile:stack", Value: stack }] }));
  const vpcId = LoadBalancers![0]!.VpcId!;
  const targetGroup = async (suffix: string) =>
    (
      await clients.elbv2.send(
        new CreateTargetGroupCommand({ Name: `${stack}-${suffix}`, Protocol: "HTTP", Port: 8080, VpcId: vpcId, TargetType: "ip" }),
      )
    ).TargetGroups![0]!.TargetGroupArn!;
  const [tgA, tgB] = await Promise.all([targetGroup("a"), targetGroup("b")]);
  recorded.reset();
  return { stack, lbName, lbArn, tgA, tgB, ctx: contextOf(stack) };
}

function outputsOf(g: Ground): Outputs {
  const known: Record<string, string> = { "loadBalancers.web": g.lbArn, "targetGroups.a": g.tgA, "targetGroups.b": g.tgB };
  return { string: (address) => known[address] ?? UNKNOWN, list: () => UNKNOWN };
}

/** The reference listener (examples/microblog.yaml: HTTP 8080, forward to the target group), changed by `listener`. */
function desiredOf(g: Ground, listener: Record<string, unknown> = {}): { address: string; value: ListenerDesired } {
  const spec = specSchema.parse({
    stack: g.stack,
    region: "us-east-1",
    tags: { env: "test" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a", "us-east-1b"] } },
    targetGroups: { a: { port: 8080 }, b: { port: 8080 } },
    loadBalancers: {
      web: {
        name: g.lbName,
        securityGroups: ["alb"],
        listeners: { http: { protocol: "HTTP", port: 8080, defaultAction: { forward: "a" }, ...listener } },
      },
    },
  });
  const [node] = listenersReconciler.nodes(spec);
  return { address: node!.address, value: node!.build(outputsOf(g)) };
}

async function observeOne(entry: { address: string; value: ListenerDesired }, ctx: Context): Promise<ObservedListener | undefined> {
  return (await listenersReconciler.observe([entry], ctx)).get(entry.address);
}

/** What the engine does for an update: observe, diff, update with those diffs. Returns the diffs and the writes. */
async function converge(entry: { address: string; value: ListenerDesired }, ctx: Context) {
  const live = (await observeOne(entry, ctx))!;
  const { lines: diffs, change } = listenersReconciler.diff(entry.value, live);
  recorded.reset();
  await listenersReconciler.update(change, live, ctx);
  const made = writes();
  const after = listenersReconciler.diff(entry.value, (await observeOne(entry, ctx))!).lines;
  return { diffs, writes: made, after };
}

const tagsOf = async (arn: string) =>
  Object.fromEntries(
    ((await clients.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }))).TagDescriptions?.[0]?.Tags ?? []).map((t) => [
      t.Key!,
      t.Value!,
    ]),
  );
const rulesOf = async (listenerArn: string) =>
  ((await clients.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules ?? []).filter((r) => !r.IsDefault);

const apiRule = { priority: 10, conditions: { pathPatterns: ["/api/*"] }, action: { forward: "b" } };
const docsRule = {
  priority: 20,
  conditions: { hostHeaders: ["docs.example.com"] },
  action: { fixedResponse: { statusCode: "404", contentType: "text/plain" } },
};

describe("listeners against moto", () => {
  it("creates the reference listener with its tags in the create call, then converges with zero writes", async () => {
    const g = await ground();
    const entry = desiredOf(g);
    expect(await listenersReconciler.observe([entry], g.ctx)).toEqual(new Map());

    recorded.reset();
    const created = await listenersReconciler.create(entry.value, g.ctx);
    expect(writes()).toEqual(["CreateListener"]);
    expect(recorded.sent.find((c) => c.action === "CreateListener")!.input.Tags).toEqual([
      { Key: "env", Value: "test" },
      { Key: "reconcile:stack", Value: g.stack },
      { Key: "reconcile:id", Value: "listeners/web.http" },
    ]);
    expect(created).toMatchObject({ name: `${g.lbName} HTTP:8080`, loadBalancerArn: g.lbArn, protocol: "HTTP", port: 8080, rules: [] });
    expect(await tagsOf(created.id)).toEqual(entry.value.tags);
    expect(listenersReconciler.outputs(created)).toEqual({ arn: created.id });

    recorded.reset();
    const observed = await observeOne(entry, g.ctx);
    expect(observed).toEqual(created);
    expect(listenersReconciler.diff(entry.value, observed!).lines).toEqual([]);
    // The listeners of the load balancer, then their tags in one call beside the rules of the one on the spec's port
    // (none: no rule tags to read).
    expect(recorded.actions()).toEqual(["DescribeListeners", "DescribeTags", "DescribeRules"]);
  });

  it("changes the default action with exactly one ModifyListener each time: weighted forward, redirect, fixed response", async () => {
    const g = await ground();
    await listenersReconciler.create(desiredOf(g).value, g.ctx);

    const weighted = await converge(
      desiredOf(g, {
        defaultAction: { forward: { targetGroups: [{ targetGroup: "a", weight: 3 }, { targetGroup: "b" }], stickinessSeconds: 120 } },
      }),
      g.ctx,
    );
    expect(weighted.diffs.map((d) => d.path)).toEqual(["defaultAction"]);
    expect(weighted.writes).toEqual(["ModifyListener"]);
    expect(weighted.after).toEqual([]);

    const redirect = await converge(desiredOf(g, { defaultAction: { redirect: { protocol: "HTTPS", port: 443 } } }), g.ctx);
    expect(redirect.writes).toEqual(["ModifyListener"]);
    expect(redirect.after).toEqual([]);

    const fixed = await converge(
      desiredOf(g, {
        defaultAction: { fixedResponse: { statusCode: "503", contentType: "text/plain", messageBody: "down for maintenance" } },
      }),
      g.ctx,
    );
    expect(fixed.writes).toEqual(["ModifyListener"]);
    expect(fixed.after).toEqual([]);
  });

  it("changes the port with exactly one ModifyListener, and finds the listener by its tag on the new port", async () => {
    const g = await ground();
    const created = await listenersReconciler.create(desiredOf(g).value, g.ctx);
    const moved = desiredOf(g, { port: 8081 });

    const result = await converge(moved, g.ctx);
    expect(result.diffs).toEqual([{ path: "port", before: 8080, after: 8081 }]);
    expect(result.writes).toEqual(["ModifyListener"]);
    expect(recorded.sent.find((c) => c.action === "ModifyListener")!.input).toEqual({ ListenerArn: created.id, Port: 8081 });
    expect(result.after).toEqual([]);
    expect((await observeOne(moved, g.ctx))!.id).toBe(created.id);
  });

  it("rules: one CreateRule for an added rule, one SetRulePriorities for a moved one, one ModifyRule for a changed condition, one DeleteRule for a removed one", async () => {
    const g = await ground();
    const created = await listenersReconciler.create(desiredOf(g, { rules: { api: apiRule } }).value, g.ctx);
    expect(writes()).toEqual(["CreateListener", "CreateRule"]);
    const [api] = await rulesOf(created.id);
    expect(await tagsOf(api!.RuleArn!)).toEqual({
      env: "test",
      "reconcile:stack": g.stack,
      "reconcile:id": "listeners/web.http/rules/api",
    });

    const added = await converge(desiredOf(g, { rules: { api: apiRule, docs: docsRule } }), g.ctx);
    expect(added.diffs.map((d) => d.path)).toEqual(["rules.docs"]);
    expect(added.writes).toEqual(["CreateRule"]);
    expect(added.after).toEqual([]);

    const moved = await converge(desiredOf(g, { rules: { api: { ...apiRule, priority: 15 }, docs: docsRule } }), g.ctx);
    expect(moved.diffs).toEqual([{ path: "rules.api.priority", before: 10, after: 15 }]);
    expect(moved.writes).toEqual(["SetRulePriorities"]);
    expect(moved.after).toEqual([]);

    const changed = await converge(
      desiredOf(g, { rules: { api: { ...apiRule, priority: 15, conditions: { pathPatterns: ["/api/*", "/v2/*"] } }, docs: docsRule } }),
      g.ctx,
    );
    expect(changed.diffs.map((d) => d.path)).toEqual(["rules.api.conditions.pathPatterns"]);
    expect(changed.writes).toEqual(["ModifyRule"]);
    expect(changed.after).toEqual([]);

    const removed = await converge(desiredOf(g, { rules: { docs: docsRule } }), g.ctx);
    expect(removed.diffs.map((d) => d.path)).toEqual(["rules.api"]);
    expect(removed.writes).toEqual(["DeleteRule"]);
    expect(removed.after).toEqual([]);
    expect((await rulesOf(created.id)).map((r) => r.Priority)).toEqual(["20"]);
  });

  it("a rule someone else added stays untouched and is never reported", async () => {
    const g = await ground();
    const created = await listenersReconciler.create(desiredOf(g, { rules: { api: apiRule } }).value, g.ctx);
    const { Rules } = await clients.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: created.id,
        Priority: 50,
        Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/theirs/*"] } }],
        Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "418" } }],
      }),
    );
    const theirs = Rules![0]!.RuleArn!;

    const entry = desiredOf(g, { rules: { api: apiRule } });
    const live = (await observeOne(entry, g.ctx))!;
    expect(live.rules.map((r) => r.arn)).toContain(theirs);
    expect(listenersReconciler.diff(entry.value, live).lines).toEqual([]);

    // Removing every rule of the spec's touches the spec's rule alone.
    const ours = live.rules.find((r) => r.arn !== theirs)!.arn;
    const result = await converge(desiredOf(g), g.ctx);
    expect(result.diffs.map((d) => d.path)).toEqual(["rules.api"]);
    expect(result.writes).toEqual(["DeleteRule"]);
    expect(recorded.sent.find((c) => c.action === "DeleteRule")!.input).toEqual({ RuleArn: ours });
    expect((await rulesOf(created.id)).map((r) => r.RuleArn)).toEqual([theirs]);
  });

  it("a rule someone else holds on a priority the spec wants gives a clear error, with no write", async () => {
    const g = await ground();
    const created = await listenersReconciler.create(desiredOf(g).value, g.ctx);
    const { Rules } = await clients.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: created.id,
        Priority: 10,
        Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/theirs/*"] } }],
        Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "418" } }],
      }),
    );
    const entry = desiredOf(g, { rules: { api: apiRule } });
    const live = (await observeOne(entry, g.ctx))!;
    const { lines: diffs, change } = listenersReconciler.diff(entry.value, live);
    expect(diffs.map((d) => d.path)).toEqual(["rules.api"]);

    recorded.reset();
    await expect(listenersReconciler.update(change, live, g.ctx)).rejects.toThrow(
      `listener ${g.lbName} HTTP:8080: rule "api" needs priority 10, which rule ${Rules![0]!.RuleArn} holds; it has no reconcile:stack tag, so it is left untouched`,
    );
    expect(writes()).toEqual([]);
  });

  it("moto refuses two rules swapping priorities in one SetRulePriorities, which AWS accepts (a moto gap)", async () => {
    const g = await ground();
    const created = await listenersReconciler.create(desiredOf(g, { rules: { api: apiRule, docs: docsRule } }).value, g.ctx);
    const [api, docs] = await rulesOf(created.id);
    await expect(
      clients.elbv2.send(
        new SetRulePrioritiesCommand({
          RulePriorities: [
            { RuleArn: api!.RuleArn!, Priority: 20 },
            { RuleArn: docs!.RuleArn!, Priority: 10 },
          ],
        }),
      ),
    ).rejects.toMatchObject({ Code: "PriorityInUse" });
  });

  it("updates the rules' tags when the stack's tags change, with AddTags on each rule", async () => {
    const g = await ground();
    const created = await listenersReconciler.create(desiredOf(g, { rules: { api: apiRule } }).value, g.ctx);
    const [api] = await rulesOf(created.id);
    const retagged = desiredOf(g, { rules: { api: apiRule } });
    retagged.value = {
      ...retagged.value,
      tags: { ...retagged.value.tags, team: "web" },
      rules: { api: { ...retagged.value.rules.api!, tags: { ...retagged.value.rules.api!.tags, team: "web" } } },
    };
    const result = await converge(retagged, g.ctx);
    expect(result.diffs.map((d) => d.path)).toEqual(["rules.api.tags.team", "tags.team"]);
    expect(result.writes).toEqual(["AddTags", "AddTags"]);
    expect(result.after).toEqual([]);
    expect((await tagsOf(api!.RuleArn!)).team).toBe("web");
  });

  it("deletes the listener, and deleting it again is success", async () => {
    const g = await ground();
    const entry = desiredOf(g, { rules: { api: apiRule } });
    const created = await listenersReconciler.create(entry.value, g.ctx);

    recorded.reset();
    await listenersReconciler.delete(created, g.ctx);
    await listenersReconciler.delete(created, g.ctx);
    expect(writes()).toEqual(["DeleteListener", "DeleteListener"]);
    expect(await listenersReconciler.observe([entry], g.ctx)).toEqual(new Map());
  });

  it("discovers the stack's listeners on the stack's load balancers, leaving out known ones and others' listeners", async () => {
    const g = await ground();
    const mine = await listenersReconciler.create(desiredOf(g).value, g.ctx);
    const second = await listenersReconciler.create(desiredOf(g, { port: 9090 }).value, g.ctx);
    // A listener on the same load balancer that the stack did not create.
    const otherStack = uniqueName();
    const other = await listenersReconciler.create(desiredOf({ ...g, stack: otherStack }, { port: 7070 }).value, contextOf(otherStack));

    const found = await listenersReconciler.discover(g.ctx, new Set());
    expect(found.map((l) => l.id).sort()).toEqual([mine.id, second.id].sort());
    expect(found.find((l) => l.id === mine.id)).toMatchObject({ name: `${g.lbName} HTTP:8080`, tags: mine.tags, rules: [] });
    expect((await listenersReconciler.discover(g.ctx, new Set([mine.id]))).map((l) => l.id)).toEqual([second.id]);
    expect(found.map((l) => l.id)).not.toContain(other.id);
  });

  it("an untagged listener on the spec's port is the one observed, with its tags as they are (the planner judges ownership)", async () => {
    const g = await ground();
    const { Listeners } = await clients.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: g.lbArn,
        Protocol: "HTTP",
        Port: 8080,
        DefaultActions: [{ Type: "forward", TargetGroupArn: g.tgB }],
      }),
    );
    const live = (await observeOne(desiredOf(g), g.ctx))!;
    expect(live).toMatchObject({ id: Listeners![0]!.ListenerArn, tags: {} });
    expect(listenersReconciler.diff(desiredOf(g).value, live).lines.map((d) => d.path)).toEqual([
      "defaultAction",
      "tags.env",
      "tags.reconcile:id",
      "tags.reconcile:stack",
    ]);
  });

  it("an unknown load balancer ARN means the listener does not exist, with no call", async () => {
    const g = await ground();
    const entry = desiredOf(g);
    recorded.reset();
    expect(await listenersReconciler.observe([{ ...entry, value: { ...entry.value, loadBalancerArn: UNKNOWN } }], g.ctx)).toEqual(
      new Map(),
    );
    expect(recorded.actions()).toEqual([]);
  });
});

describe("HTTPS listeners against moto", () => {
  const pem = (name: string) => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url), "utf8");
  const upload = async () =>
    (
      await clients.iam.send(
        new UploadServerCertificateCommand({
          ServerCertificateName: uniqueName(),
          CertificateBody: pem("listener-test-cert.pem"),
          PrivateKey: pem("listener-test-key.pem"),
        }),
      )
    ).ServerCertificateMetadata!.Arn!;

  it("creates with the default certificate, adds the others, converges; changes the additional ones with Add/RemoveListenerCertificates", async () => {
    const g = await ground();
    const [first, second, third] = await Promise.all([upload(), upload(), upload()]);
    const https = (certificates: string[]) =>
      desiredOf(g, { protocol: "HTTPS", port: 8443, certificates, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" });

    const created = await listenersReconciler.create(https([first!, second!]).value, g.ctx);
    expect(writes()).toEqual(["CreateListener", "AddListenerCertificates"]);
    expect(recorded.sent[0]!.input).toMatchObject({ Protocol: "HTTPS", Port: 8443, Certificates: [{ CertificateArn: first }] });
    expect(listenersReconciler.diff(https([first!, second!]).value, (await observeOne(https([first!, second!]), g.ctx))!).lines).toEqual(
      [],
    );

    const swapped = await converge(https([first!, third!]), g.ctx);
    expect(swapped.diffs).toEqual([{ path: "additionalCertificates", before: [second], after: [third] }]);
    expect(swapped.writes).toEqual(["AddListenerCertificates", "RemoveListenerCertificates"]);
    expect(swapped.after).toEqual([]);
    const { Certificates } = await clients.elbv2.send(new DescribeListenerCertificatesCommand({ ListenerArn: created.id }));
    expect(Certificates!.map((c) => c.CertificateArn)).toEqual([first, third]);
  });

  it("changes the default certificate with one ModifyListener", async () => {
    const g = await ground();
    const [first, second] = await Promise.all([upload(), upload()]);
    const https = (certificate: string) => desiredOf(g, { protocol: "HTTPS", port: 8443, certificates: [certificate] });
    const created = await listenersReconciler.create(https(first!).value, g.ctx);

    const result = await converge(https(second!), g.ctx);
    expect(result.diffs).toEqual([{ path: "defaultCertificate", before: first, after: second }]);
    expect(result.writes).toEqual(["ModifyListener"]);
    expect(recorded.sent.find((c) => c.action === "ModifyListener")!.input).toEqual({
      ListenerArn: created.id,
      Certificates: [{ CertificateArn: second }],
    });
    expect(result.after).toEqual([]);
  });
});
