import { CreatePrivateDnsNamespaceCommand, GetNamespaceCommand, TagResourceCommand } from "@aws-sdk/client-servicediscovery";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { UNKNOWN } from "../../src/plan/model.js";
import { namespacesReconciler } from "../../src/reconcilers/cloudmap/namespaces/index.js";
import type { NamespaceDesired } from "../../src/reconcilers/cloudmap/namespaces/model.js";
import type { Context, Outputs } from "../../src/reconcilers/contract.js";
import type { NamespaceSpec } from "../../src/schema/discovery.js";
import { specSchema } from "../../src/schema/index.js";
import { motoClientConfig } from "../support/moto-env.js";
import { recordCalls, uniqueName } from "../support/reconciler-tests.js";

// maxAttempts 2: moto answers 500 to an unimplemented action, which the SDK would otherwise retry for a while.
const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

/** Every Cloud Map action the reconciler sends, so tests can hold it to the calls it needs. */
const recorded = recordCalls(clients.serviceDiscovery);
const { writes, actions } = recorded;
beforeEach(recorded.reset);

const count = (action: string) => actions().filter((a) => a === action).length;

function contextOf(stack: string, news: string[] = []): Context {
  return {
    stack,
    region: "us-east-1",
    clients,
    wait: { timeoutMs: 10_000 },
    progress: (resource, line) => news.push(`${resource}: ${line}`),
  };
}

/**
 * A VPC id of its own for every namespace. Moto refuses a second private namespace in a VPC that has one, whatever
 * its name (ConflictingDomainExists; AWS refuses only the same name in the same VPC), and it does not check that
 * the VPC exists; one moto serves every test file, so no two namespaces may share a VPC here.
 */
const freshVpc = () => `vpc-${uniqueName()}`;

const outputsWithVpc = (vpcId: string): Outputs => ({
  string: (address, output) => (address === "network" && output === "vpcId" ? vpcId : UNKNOWN),
  list: () => UNKNOWN,
});

/** The desired state of each entry, as the engine builds it from a spec. */
function desiredOf(stack: string, namespaces: Record<string, NamespaceSpec>, vpcId = freshVpc()) {
  const spec = specSchema.parse({
    stack,
    region: "us-east-1",
    tags: { env: "test" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    namespaces,
  });
  return Object.fromEntries(
    namespacesReconciler.nodes(spec).map((n) => [n.logical, { address: n.address, value: n.build(outputsWithVpc(vpcId)) }]),
  ) as Record<string, { address: string; value: NamespaceDesired }>;
}

async function observeOne(entry: { address: string; value: NamespaceDesired }, ctx: Context) {
  return (await namespacesReconciler.observe([entry], ctx)).get(entry.address);
}

const domain = () => `${uniqueName()}.local`;

describe("Cloud Map namespaces against moto", () => {
  it("creates a namespace, following its operation; observing it then shows no diff and makes no writes", async () => {
    const stack = uniqueName();
    const name = domain();
    const { internal } = desiredOf(stack, { internal: { name, tags: { team: "core" } } });
    const news: string[] = [];
    const ctx = contextOf(stack, news);
    expect(await observeOne(internal!, ctx)).toBeUndefined();

    recorded.reset();
    const created = await namespacesReconciler.create(internal!.value, ctx);
    expect(writes()).toEqual(["CreatePrivateDnsNamespace"]);
    // Moto's operations succeed at once: one GetOperation; AWS's take some seconds, polled with backoff.
    expect(count("GetOperation")).toBe(1);
    expect(news).toEqual(["namespaces.internal: operation SUCCESS"]);
    expect(created).toEqual({
      name,
      id: expect.stringMatching(/^ns-/),
      arn: expect.stringMatching(/^arn:aws:servicediscovery:us-east-1:123456789012:namespace\/ns-/),
      description: "",
      hostedZoneId: expect.any(String),
      tags: { env: "test", team: "core", "reconcile:stack": stack, "reconcile:id": "namespaces/internal" },
    });
    expect(namespacesReconciler.outputs(created)).toEqual({ id: created.id, arn: created.arn, name });

    recorded.reset();
    const observed = await observeOne(internal!, ctx);
    expect(observed).toEqual(created);
    expect(namespacesReconciler.diff(internal!.value, observed!).lines).toEqual([]);
    expect(writes()).toEqual([]);
    // The listing's summary has the description and the hosted zone: no GetNamespace. Moto's Tagging API lists no
    // Cloud Map resource (AWS's does, and then no ListTagsForResource is made): the tags are read.
    expect(actions().sort()).toEqual(["ListNamespaces", "ListTagsForResource"]);
  });

  it("in one plan, the namespaces are listed once, whoever asks", async () => {
    const stack = uniqueName();
    const ours = { ...desiredOf(stack, { a: { name: domain() } }), ...desiredOf(stack, { b: { name: domain() } }) };
    const [a, b] = [
      await namespacesReconciler.create(ours.a!.value, contextOf(stack)),
      await namespacesReconciler.create(ours.b!.value, contextOf(stack)),
    ];
    const ctx: Context = { ...contextOf(stack), planReads: new Map() };
    recorded.reset();
    const observed = await namespacesReconciler.observe([ours.a!, ours.b!], ctx);
    expect([...observed.values()]).toEqual([a, b]);
    expect(await namespacesReconciler.discover(ctx, new Set([a.id, b.id]))).toEqual([]);
    // One ListNamespaces for both observations and discovery; no GetNamespace; a tag read for each of ours on moto
    // (see above), in observe only: discover skips what observe found.
    expect(count("ListNamespaces")).toBe(1);
    expect(count("GetNamespace")).toBe(0);
    const tagReads = recorded.sent.filter((c) => c.action === "ListTagsForResource").map((c) => c.input["ResourceARN"]);
    expect(tagReads.filter((arn) => arn === a.arn || arn === b.arn).sort()).toEqual([a.arn, b.arn].sort());
  });

  it("changes the description with exactly one UpdatePrivateDnsNamespace, and the new one reads back", async () => {
    const stack = uniqueName();
    const name = domain();
    const vpc = freshVpc();
    const before = desiredOf(stack, { internal: { name, description: "first" } }, vpc).internal!;
    const after = desiredOf(stack, { internal: { name, description: "second" } }, vpc).internal!;
    const ctx = contextOf(stack);
    await namespacesReconciler.create(before.value, ctx);

    const observed = (await observeOne(after, ctx))!;
    const { lines, change } = namespacesReconciler.diff(after.value, observed);
    expect(lines).toEqual([{ path: "description", before: "first", after: "second" }]);

    recorded.reset();
    const updated = await namespacesReconciler.update(change, observed, ctx);
    expect(writes()).toEqual(["UpdatePrivateDnsNamespace"]);
    expect(count("GetOperation")).toBe(1);
    expect(recorded.sent.find((c) => c.action === "UpdatePrivateDnsNamespace")?.input).toMatchObject({
      Id: observed.id,
      UpdaterRequestId: expect.any(String),
      Namespace: { Description: "second" },
    });
    expect(updated.description).toBe("second");
    expect(namespacesReconciler.diff(after.value, (await observeOne(after, ctx))!).lines).toEqual([]);
  });

  it("puts back a tag changed out of band with TagResource alone", async () => {
    const stack = uniqueName();
    const { internal } = desiredOf(stack, { internal: { name: domain(), tags: { team: "core" } } });
    const ctx = contextOf(stack);
    const created = await namespacesReconciler.create(internal!.value, ctx);
    await clients.serviceDiscovery.send(new TagResourceCommand({ ResourceARN: created.arn, Tags: [{ Key: "team", Value: "other" }] }));

    const observed = (await observeOne(internal!, ctx))!;
    const { lines, change } = namespacesReconciler.diff(internal!.value, observed);
    expect(lines).toEqual([{ path: "tags.team", before: "other", after: "core" }]);
    recorded.reset();
    const updated = await namespacesReconciler.update(change, observed, ctx);
    expect(writes()).toEqual(["TagResource"]);
    expect(updated.tags["team"]).toBe("core");
    expect(namespacesReconciler.diff(internal!.value, (await observeOne(internal!, ctx))!).lines).toEqual([]);
  });

  it("of two namespaces with the same name (in different VPCs), observes the one tagged as this node", async () => {
    const stack = uniqueName();
    const name = domain();
    const { internal } = desiredOf(stack, { internal: { name } });
    const ctx = contextOf(stack);
    // Someone else's namespace of the same name, listed first.
    await clients.serviceDiscovery.send(
      new CreatePrivateDnsNamespaceCommand({ Name: name, Vpc: freshVpc(), Tags: [{ Key: "reconcile:stack", Value: "another" }] }),
    );
    const ours = await namespacesReconciler.create(internal!.value, ctx);

    expect((await observeOne(internal!, ctx))?.id).toBe(ours.id);
  });

  it("deletes a namespace, following the operation; deleting it again is success", async () => {
    const stack = uniqueName();
    const { internal } = desiredOf(stack, { internal: { name: domain() } });
    const ctx = contextOf(stack);
    const created = await namespacesReconciler.create(internal!.value, ctx);

    recorded.reset();
    await namespacesReconciler.delete(created, ctx);
    expect(writes()).toEqual(["DeleteNamespace"]);
    expect(count("GetOperation")).toBe(1);
    await expect(clients.serviceDiscovery.send(new GetNamespaceCommand({ Id: created.id }))).rejects.toMatchObject({
      name: "NamespaceNotFound",
    });
    expect(await observeOne(internal!, ctx)).toBeUndefined();

    recorded.reset();
    await namespacesReconciler.delete(created, ctx);
    expect(writes()).toEqual(["DeleteNamespace"]);
  });

  it("discover finds the stack's namespaces and not another stack's", async () => {
    const stack = uniqueName();
    const other = uniqueName();
    // One spec call each: every namespace needs a VPC of its own on moto.
    const ours = { ...desiredOf(stack, { a: { name: domain() } }), ...desiredOf(stack, { b: { name: domain() } }) };
    const theirs = desiredOf(other, { a: { name: domain() } });
    const [a, b] = [
      await namespacesReconciler.create(ours.a!.value, contextOf(stack)),
      await namespacesReconciler.create(ours.b!.value, contextOf(stack)),
    ];
    const foreign = await namespacesReconciler.create(theirs.a!.value, contextOf(other));

    recorded.reset();
    const found = await namespacesReconciler.discover(contextOf(stack), new Set());
    expect(found.map((n) => n.id).sort()).toEqual([a.id, b.id].sort());
    expect(found.map((n) => n.id)).not.toContain(foreign.id);
    expect(found.find((n) => n.id === a.id)).toEqual(a);
    // From the listing's summaries, without a GetNamespace.
    expect(count("GetNamespace")).toBe(0);

    recorded.reset();
    const rest = await namespacesReconciler.discover(contextOf(stack), new Set([a.id]));
    expect(rest.map((n) => n.id)).toEqual([b.id]);
    // A known namespace costs no call: its tags are not read.
    expect(recorded.sent.filter((c) => c.action === "ListTagsForResource" && c.input["ResourceARN"] === a.arn)).toEqual([]);
  });
});
