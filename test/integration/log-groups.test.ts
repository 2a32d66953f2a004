import {
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { createClients, type AwsClients } from "../../src/aws/index.js";
import { discoverLogGroups, logGroupsReconciler } from "../../src/reconcilers/logs/log-groups/index.js";
import type { LogGroupDesired } from "../../src/reconcilers/logs/log-groups/model.js";
import { findTaggedResources } from "../../src/reconcilers/tagged-resources.js";
import type { Context } from "../../src/reconcilers/contract.js";
import { specSchema } from "../../src/schema/index.js";
import type { LogGroupSpec } from "../../src/schema/logs.js";
import { sequentialRoundTrips, startFaultProxy } from "../support/fault-proxy.js";
import { motoClientConfig } from "../support/moto-env.js";
import { NO_OUTPUTS, recordCalls, uniqueName } from "../support/reconciler-tests.js";

const KEY_A = "arn:aws:kms:us-east-1:123456789012:key/1111aaaa-1111-aaaa-1111-aaaa1111aaaa";
const KEY_B = "arn:aws:kms:us-east-1:123456789012:key/2222bbbb-2222-bbbb-2222-bbbb2222bbbb";

// maxAttempts 2: moto answers 500 to an unimplemented action, which the SDK would otherwise retry for a while.
const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

/** Every CloudWatch Logs action the reconciler sends, so tests can hold it to the calls it needs. */
const recorded = recordCalls(clients.logs);
const writes = recorded.writes;
beforeEach(recorded.reset);

const contextOf = (stack: string, with_: AwsClients = clients): Context => ({ stack, region: "us-east-1", clients: with_ });

/** The desired state of each entry, as the engine builds it from a spec. */
function desiredOf(stack: string, logGroups: Record<string, LogGroupSpec>): Record<string, { address: string; value: LogGroupDesired }> {
  const spec = specSchema.parse({
    stack,
    region: "us-east-1",
    tags: { env: "test" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    logGroups,
  });
  return Object.fromEntries(logGroupsReconciler.nodes(spec).map((n) => [n.logical, { address: n.address, value: n.build(NO_OUTPUTS) }]));
}

async function observeOne(entry: { address: string; value: LogGroupDesired }, ctx: Context) {
  return (await logGroupsReconciler.observe([entry], ctx)).get(entry.address);
}

async function liveGroup(name: string) {
  const { logGroups } = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  return logGroups?.find((g) => g.logGroupName === name);
}

const liveTags = async (arn: string) => (await clients.logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags;

describe("log groups against moto", () => {
  it("creates a group from nothing, with its tags, key and retention; observing it then shows no diff and makes no writes", async () => {
    const stack = uniqueName();
    const { app } = desiredOf(stack, { app: { retentionDays: 14, kmsKeyId: KEY_A, tags: { team: "web" } } });
    const ctx = contextOf(stack);

    expect(await logGroupsReconciler.observe([app!], ctx)).toEqual(new Map());

    recorded.reset();
    const created = await logGroupsReconciler.create(app!.value, ctx);
    expect(writes()).toEqual(["CreateLogGroup", "PutRetentionPolicy"]);
    expect(created).toEqual({
      name: `/reconcile/${stack}/app`,
      id: `arn:aws:logs:us-east-1:123456789012:log-group:/reconcile/${stack}/app`,
      retentionDays: 14,
      kmsKeyId: KEY_A,
      tags: { env: "test", team: "web", "reconcile:stack": stack, "reconcile:id": "logGroups/app" },
    });
    expect(logGroupsReconciler.outputs(created)).toEqual({ name: created.name, arn: created.id });

    recorded.reset();
    const observed = await observeOne(app!, ctx);
    expect(observed).toEqual(created);
    expect(logGroupsReconciler.diff(app!.value, observed!).lines).toEqual([]);
    expect(writes()).toEqual([]);
  });

  it("finds the exact name, not a longer one sharing its prefix", async () => {
    const stack = uniqueName();
    const { app, appWorker } = desiredOf(stack, { app: {}, appWorker: { name: `/reconcile/${stack}/app-worker` } });
    const ctx = contextOf(stack);
    await logGroupsReconciler.create(appWorker!.value, ctx);

    const found = await logGroupsReconciler.observe([app!, appWorker!], ctx);
    expect([...found.keys()]).toEqual([appWorker!.address]);
    expect(found.get(appWorker!.address)?.name).toBe(`/reconcile/${stack}/app-worker`);
  });

  it("sets back a retention changed out of band with PutRetentionPolicy alone", async () => {
    const stack = uniqueName();
    const { app } = desiredOf(stack, { app: { retentionDays: 7 } });
    const ctx = contextOf(stack);
    await logGroupsReconciler.create(app!.value, ctx);
    await clients.logs.send(new PutRetentionPolicyCommand({ logGroupName: app!.value.name, retentionInDays: 30 }));

    const observed = (await observeOne(app!, ctx))!;
    const { lines, change } = logGroupsReconciler.diff(app!.value, observed);
    expect(lines).toEqual([{ path: "retentionDays", before: 30, after: 7 }]);

    recorded.reset();
    const updated = await logGroupsReconciler.update(change, observed, ctx);
    expect(writes()).toEqual(["PutRetentionPolicy"]);
    expect(updated.retentionDays).toBe(7);
    expect((await liveGroup(app!.value.name))?.retentionInDays).toBe(7);
    expect(logGroupsReconciler.diff(app!.value, (await observeOne(app!, ctx))!).lines).toEqual([]);
  });

  it("removes the retention once the spec leaves it out (never expire) with DeleteRetentionPolicy", async () => {
    const stack = uniqueName();
    const before = desiredOf(stack, { app: { retentionDays: 90 } }).app!;
    const after = desiredOf(stack, { app: {} }).app!;
    const ctx = contextOf(stack);
    await logGroupsReconciler.create(before.value, ctx);

    const observed = (await observeOne(after, ctx))!;
    const { lines, change } = logGroupsReconciler.diff(after.value, observed);
    expect(lines).toEqual([{ path: "retentionDays", before: 90, after: null }]);

    recorded.reset();
    const updated = await logGroupsReconciler.update(change, observed, ctx);
    expect(writes()).toEqual(["DeleteRetentionPolicy"]);
    expect(updated.retentionDays).toBeNull();
    const live = await liveGroup(after.value.name);
    expect(live).toBeDefined();
    expect(live?.retentionInDays).toBeUndefined();
    expect(logGroupsReconciler.diff(after.value, (await observeOne(after, ctx))!).lines).toEqual([]);
  });

  it("removes a tag added out of band and sets back a changed one, touching only those keys and never aws: tags", async () => {
    const stack = uniqueName();
    const { app } = desiredOf(stack, { app: { tags: { team: "web" } } });
    const ctx = contextOf(stack);
    const created = await logGroupsReconciler.create(app!.value, ctx);
    // AWS refuses aws: keys from users (they are its own); moto accepts them, which lets this test stand in for
    // a tag such as aws:cloudformation:stack-name that AWS sets itself.
    await clients.logs.send(
      new TagResourceCommand({
        resourceArn: created.id,
        tags: { owner: "someone", team: "data", "aws:cloudformation:stack-name": "legacy" },
      }),
    );

    const observed = (await observeOne(app!, ctx))!;
    expect(observed.tags["aws:cloudformation:stack-name"]).toBe("legacy");
    const { lines, change } = logGroupsReconciler.diff(app!.value, observed);
    expect(lines).toEqual([
      { path: "tags.owner", before: "someone" },
      { path: "tags.team", before: "data", after: "web" },
    ]);

    const sent: Array<{ command: string; input: unknown }> = [];
    const spy = createClients({ ...motoClientConfig(), maxAttempts: 2 });
    spy.logs.middlewareStack.add(
      (next, context) => (args) => {
        sent.push({ command: context.commandName!, input: args.input });
        return next(args);
      },
      { step: "initialize" },
    );
    try {
      const updated = await logGroupsReconciler.update(change, observed, contextOf(stack, spy));
      expect(sent).toEqual([
        { command: "TagResourceCommand", input: { resourceArn: created.id, tags: { team: "web" } } },
        { command: "UntagResourceCommand", input: { resourceArn: created.id, tagKeys: ["owner"] } },
      ]);
      const expected = { ...app!.value.tags, "aws:cloudformation:stack-name": "legacy" };
      expect(updated.tags).toEqual(expected);
      expect(await liveTags(created.id)).toEqual(expected);
    } finally {
      spy.destroy();
    }
  });

  it("associates, changes and disassociates the key with AssociateKmsKey and DisassociateKmsKey", async () => {
    const stack = uniqueName();
    const withKey = desiredOf(stack, { app: { kmsKeyId: KEY_A } }).app!;
    const otherKey = desiredOf(stack, { app: { kmsKeyId: KEY_B } }).app!;
    const noKey = desiredOf(stack, { app: {} }).app!;
    await logGroupsReconciler.create(withKey.value, contextOf(stack));

    // moto 5.2.5 does not implement AssociateKmsKey or DisassociateKmsKey (HTTP 500). These clients answer the two
    // actions themselves and record what was sent; every other call goes to moto. The live key cannot be checked.
    const sent: Array<{ command: string; input: unknown }> = [];
    const kmsAnswering = createClients({ ...motoClientConfig(), maxAttempts: 2 });
    kmsAnswering.logs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "AssociateKmsKeyCommand" || context.commandName === "DisassociateKmsKeyCommand") {
          sent.push({ command: context.commandName, input: args.input });
          return { output: { $metadata: {} } } as never;
        }
        return next(args);
      },
      { step: "initialize" },
    );
    const ctx = contextOf(stack, kmsAnswering);
    try {
      const observed = (await observeOne(withKey, ctx))!;
      expect(observed.kmsKeyId).toBe(KEY_A);

      const rekey = logGroupsReconciler.diff(otherKey.value, observed);
      expect(rekey.lines).toEqual([{ path: "kmsKeyId", before: KEY_A, after: KEY_B }]);
      expect((await logGroupsReconciler.update(rekey.change, observed, ctx)).kmsKeyId).toBe(KEY_B);

      const removal = logGroupsReconciler.diff(noKey.value, observed);
      expect(removal.lines).toEqual([{ path: "kmsKeyId", before: KEY_A, after: null }]);
      expect((await logGroupsReconciler.update(removal.change, observed, ctx)).kmsKeyId).toBeNull();

      expect(sent).toEqual([
        { command: "AssociateKmsKeyCommand", input: { logGroupName: withKey.value.name, kmsKeyId: KEY_B } },
        { command: "DisassociateKmsKeyCommand", input: { logGroupName: withKey.value.name } },
      ]);
    } finally {
      kmsAnswering.destroy();
    }
  });

  it("discovers the stack's groups, and neither another stack's nor one that is gone", async () => {
    const stack = uniqueName();
    const otherStack = uniqueName();
    const mine = desiredOf(stack, { app: {}, audit: { name: `/custom/${stack}/audit`, retentionDays: 365 } });
    const theirs = desiredOf(otherStack, { app: {} });
    const ctx = contextOf(stack);
    const app = await logGroupsReconciler.create(mine.app!.value, ctx);
    const audit = await logGroupsReconciler.create(mine.audit!.value, ctx);
    const other = await logGroupsReconciler.create(theirs.app!.value, contextOf(otherStack));

    expect(await logGroupsReconciler.discover(ctx, new Set())).toEqual([audit, app].sort((a, b) => a.name.localeCompare(b.name)));
    expect(await logGroupsReconciler.discover(contextOf(otherStack), new Set())).toEqual([other]);
    // A group observe already read (known by its ARN) is not confirmed again.
    expect(await logGroupsReconciler.discover(ctx, new Set([app.id]))).toEqual([audit]);

    // AWS's GetResources may still list a group deleted a moment ago ("tagged or previously tagged"); moto drops
    // it at once. So the Tagging API's answer is taken before the deletion and handed to discovery afterwards:
    // the group must be confirmed gone, not reported.
    const tagged = await findTaggedResources(ctx);
    expect(tagged.map((t) => t.arn).sort()).toEqual([app.id, audit.id].sort());
    await logGroupsReconciler.delete(audit, ctx);
    expect(await discoverLogGroups(ctx, tagged)).toEqual([app]);
  });

  it("observes in one round trip, however many groups, with the Tagging API's tags; discovery in two", async () => {
    const stack = uniqueName();
    const groups = desiredOf(stack, { app: {}, audit: {}, worker: {} });
    const ctx = contextOf(stack);
    for (const entry of Object.values(groups)) await logGroupsReconciler.create(entry.value, ctx);

    // The proxy holds each call, so that calls made one after the other show as such in its log.
    const proxy = await startFaultProxy(inject("motoEndpoint"), { latencyMs: 30 });
    const proxied = createClients({ ...motoClientConfig(), endpoint: proxy.endpoint, maxAttempts: 2 });
    try {
      const viaProxy = contextOf(stack, proxied);
      // The Tagging API lists the three groups with their tags: no ListTagsForResource, the describes beside it.
      expect((await logGroupsReconciler.observe(Object.values(groups), viaProxy)).size).toBe(3);
      expect(proxy.seen.map((r) => r.action).sort()).toEqual([...Array(3).fill("DescribeLogGroups"), "GetResources"]);
      expect(sequentialRoundTrips(proxy.seen)).toBe(1);

      // Discovery takes the names from the Tagging API, so the describes follow it.

      proxy.reset();
      expect(await logGroupsReconciler.discover(viaProxy, new Set())).toHaveLength(3);
      expect(proxy.seen.map((r) => r.action).sort()).toEqual([...Array(3).fill("DescribeLogGroups"), "GetResources"]);
      expect(sequentialRoundTrips(proxy.seen)).toBe(2);
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });

  it("deletes a group, and deleting it again is success", async () => {
    const stack = uniqueName();
    const { app } = desiredOf(stack, { app: { retentionDays: 1 } });
    const ctx = contextOf(stack);
    const created = await logGroupsReconciler.create(app!.value, ctx);

    recorded.reset();
    await logGroupsReconciler.delete(created, ctx);
    await logGroupsReconciler.delete(created, ctx);
    expect(writes()).toEqual(["DeleteLogGroup", "DeleteLogGroup"]);
    // moto keeps a deleted group's tags (ListTagsForResource still answers, where AWS says ResourceNotFound, and a
    // re-created group would inherit them); observe describes the group first, so it reports the group gone.
    expect(await logGroupsReconciler.observe([app!], ctx)).toEqual(new Map());
    expect(await logGroupsReconciler.discover(ctx, new Set())).toEqual([]);
    await expect(clients.logs.send(new DeleteLogGroupCommand({ logGroupName: created.name }))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });
});
