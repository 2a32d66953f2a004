import {
  DeregisterInstanceCommand,
  GetServiceCommand,
  RegisterInstanceCommand,
  TagResourceCommand,
} from "@aws-sdk/client-servicediscovery";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { UNKNOWN } from "../../src/plan/model.js";
import { discoveryServicesReconciler } from "../../src/reconcilers/cloudmap/discovery-services/index.js";
import type { DiscoveryServiceDesired } from "../../src/reconcilers/cloudmap/discovery-services/model.js";
import { namespacesReconciler } from "../../src/reconcilers/cloudmap/namespaces/index.js";
import type { ObservedNamespace } from "../../src/reconcilers/cloudmap/namespaces/model.js";
import { STACK_TAG, type Context, type Outputs } from "../../src/reconcilers/contract.js";
import type { DiscoveryServiceSpec } from "../../src/schema/discovery.js";
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

/** When each call was sent and when it was answered, in order, so a test can tell calls made at once from a chain. */
const timeline: string[] = [];
clients.serviceDiscovery.middlewareStack.add(
  (next, context) => async (args) => {
    const action = context.commandName!.replace(/Command$/, "");
    timeline.push(`sent ${action}`);
    try {
      return await next(args);
    } finally {
      timeline.push(`answered ${action}`);
    }
  },
  { step: "initialize", name: "timeline" },
);
beforeEach(() => {
  timeline.length = 0;
});

function contextOf(stack: string, timeoutMs = 10_000, news: string[] = []): Context {
  return { stack, region: "us-east-1", clients, wait: { timeoutMs }, progress: (resource, line) => news.push(`${resource}: ${line}`) };
}

type ServiceInput = Partial<DiscoveryServiceSpec> & { namespace?: string };

/** The desired state of each entry, as the engine builds it from a spec, in the namespace `namespaceId`. */
function desiredOf(stack: string, namespaceId: string, services: Record<string, ServiceInput>) {
  const spec = specSchema.parse({
    stack,
    region: "us-east-1",
    tags: { env: "test" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    namespaces: { internal: { name: "unused.local" } },
    discoveryServices: Object.fromEntries(Object.entries(services).map(([k, v]) => [k, { namespace: "internal", ...v }])),
  });
  const outputs: Outputs = {
    string: (address, output) => (address === "namespaces.internal" && output === "id" ? namespaceId : UNKNOWN),
    list: () => UNKNOWN,
  };
  return Object.fromEntries(
    discoveryServicesReconciler.nodes(spec).map((n) => [n.logical, { address: n.address, value: n.build(outputs) }]),
  ) as Record<string, { address: string; value: DiscoveryServiceDesired }>;
}

async function observeOne(entry: { address: string; value: DiscoveryServiceDesired }, ctx: Context) {
  return (await discoveryServicesReconciler.observe([entry], ctx)).get(entry.address);
}

const liveService = async (id: string) => (await clients.serviceDiscovery.send(new GetServiceCommand({ Id: id }))).Service;

/** One namespace for the file, made by the namespaces reconciler in a VPC of its own (see namespaces.test.ts). */
let namespace: ObservedNamespace;
beforeAll(async () => {
  const stack = uniqueName();
  const spec = specSchema.parse({
    stack,
    region: "us-east-1",
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    namespaces: { internal: { name: `${uniqueName()}.local` } },
  });
  const vpcId = `vpc-${uniqueName()}`;
  const desired = namespacesReconciler.nodes(spec)[0]!.build({ string: () => vpcId, list: () => [] });
  namespace = await namespacesReconciler.create(desired, contextOf(stack));
});

/**
 * A stack's discovery services are in its own namespaces (a spec names no other), and discover lists only those: the
 * file's one namespace is made this test's stack's (moto gives a VPC one private namespace, so one is shared).
 */
async function namespaceOwnedBy(stack: string): Promise<void> {
  await clients.serviceDiscovery.send(new TagResourceCommand({ ResourceARN: namespace.arn, Tags: [{ Key: STACK_TAG, Value: stack }] }));
}

describe("Cloud Map discovery services against moto", () => {
  it("creates a service in the namespace; observing it then shows no diff and makes no writes", async () => {
    const stack = uniqueName();
    const name = uniqueName();
    const { db } = desiredOf(stack, namespace.id, {
      db: { name, dnsRecords: [{ type: "A", ttl: 10 }], healthCheck: { failureThreshold: 1 } },
    });
    const ctx = contextOf(stack);
    expect(await observeOne(db!, ctx)).toBeUndefined();

    recorded.reset();
    const created = await discoveryServicesReconciler.create(db!.value, ctx);
    expect(writes()).toEqual(["CreateService"]);
    expect(recorded.sent[0]?.input).toMatchObject({
      Name: name,
      NamespaceId: namespace.id,
      DnsConfig: { RoutingPolicy: "MULTIVALUE", DnsRecords: [{ Type: "A", TTL: 10 }] },
      HealthCheckCustomConfig: { FailureThreshold: 1 },
      CreatorRequestId: expect.any(String),
    });
    expect(created).toEqual({
      name,
      id: expect.stringMatching(/^srv-/),
      arn: expect.stringMatching(/^arn:aws:servicediscovery:us-east-1:123456789012:service\/srv-/),
      namespaceId: namespace.id,
      description: "",
      routingPolicy: "MULTIVALUE",
      dnsRecords: [{ type: "A", ttl: 10 }],
      customHealthCheck: { failureThreshold: 1 },
      tags: { env: "test", "reconcile:stack": stack, "reconcile:id": "discoveryServices/db" },
    });
    expect(discoveryServicesReconciler.outputs(created)).toEqual({ id: created.id, arn: created.arn, name });

    recorded.reset();
    const observed = await observeOne(db!, ctx);
    expect(observed).toEqual(created);
    expect(discoveryServicesReconciler.diff(db!.value, observed!).lines).toEqual([]);
    expect(writes()).toEqual([]);
  });

  it("observe lists the services and the namespaces, then reads the tags, and GetService on moto, at once", async () => {
    const stack = uniqueName();
    const { db } = desiredOf(stack, namespace.id, { db: { name: uniqueName() } });
    const ctx = contextOf(stack);
    await discoveryServicesReconciler.create(db!.value, ctx);

    timeline.length = 0;
    recorded.reset();
    expect(await observeOne(db!, ctx)).toBeDefined();
    const sent = (action: string) => timeline.indexOf(`sent ${action}`);
    const answered = (action: string) => timeline.indexOf(`answered ${action}`);
    expect(sent("ListNamespaces")).toBeLessThan(answered("ListServices"));
    expect(sent("GetService")).toBeLessThan(answered("ListTagsForResource"));
    expect(sent("ListTagsForResource")).toBeLessThan(answered("GetService"));
    // Moto ignores ListServices' NAMESPACE_ID filter and gives no namespace a ServiceCount, so its listing cannot
    // vouch for the namespace and GetService confirms it; on AWS the listing does and no GetService is made. Moto's
    // Tagging API lists no Cloud Map resource (AWS's does, and then no ListTagsForResource is made).
    expect(actions().sort()).toEqual(["GetService", "ListNamespaces", "ListServices", "ListTagsForResource"]);
  });

  it("in one plan, each namespace's services are listed once, and discover reads only the tags of what observe did not find", async () => {
    const stack = uniqueName();
    await namespaceOwnedBy(stack);
    const ours = desiredOf(stack, namespace.id, { a: { name: uniqueName() }, b: { name: uniqueName() }, c: { name: uniqueName() } });
    const [a, b, c] = [
      await discoveryServicesReconciler.create(ours.a!.value, contextOf(stack)),
      await discoveryServicesReconciler.create(ours.b!.value, contextOf(stack)),
      await discoveryServicesReconciler.create(ours.c!.value, contextOf(stack)),
    ];
    const ctx: Context = { ...contextOf(stack), planReads: new Map() };
    recorded.reset();
    const observed = await discoveryServicesReconciler.observe([ours.a!, ours.b!], ctx);
    expect([...observed.values()]).toEqual([a, b]);
    const found = await discoveryServicesReconciler.discover(ctx, new Set([a.id, b.id]));
    // From the listing of the stack's namespace, which observe made already.
    expect(found).toEqual([c]);
    expect(count("ListServices")).toBe(1);
    expect(count("ListNamespaces")).toBe(1);
    // GetService for what observe looks for, on moto only (see above); none for what discover finds.
    expect(recorded.sent.filter((call) => call.action === "GetService").map((call) => call.input["Id"])).toEqual([a.id, b.id]);
    // A tag read for each of ours on moto, whose Tagging API lists no Cloud Map resource (on AWS none), once each:
    // discover skips what observe found. (Discover also reads the tags of the other tests' services, and the namespace's.)
    const tagReads = recorded.sent.filter((call) => call.action === "ListTagsForResource").map((call) => call.input["ResourceARN"]);
    expect(tagReads.filter((arn) => [a.arn, b.arn, c.arn].includes(arn as string)).sort()).toEqual([a.arn, b.arn, c.arn].sort());
    expect(tagReads.filter((arn) => arn === namespace.arn)).toHaveLength(1);
  });

  it("a service without a custom health check observes as none, and equals its spec", async () => {
    const stack = uniqueName();
    const { web } = desiredOf(stack, namespace.id, { web: { name: uniqueName(), dnsRecords: [{ type: "SRV", ttl: 30 }] } });
    const ctx = contextOf(stack);
    await discoveryServicesReconciler.create(web!.value, ctx);
    const observed = (await observeOne(web!, ctx))!;
    expect(observed.customHealthCheck).toBeUndefined();
    expect(discoveryServicesReconciler.diff(web!.value, observed).lines).toEqual([]);
  });

  it("a TTL change makes exactly one UpdateService, carrying every record, and the new TTL reads back", async () => {
    const stack = uniqueName();
    const name = uniqueName();
    const before = desiredOf(stack, namespace.id, { db: { name, dnsRecords: [{ type: "A", ttl: 10 }], description: "db" } }).db!;
    const after = desiredOf(stack, namespace.id, { db: { name, dnsRecords: [{ type: "A", ttl: 60 }], description: "db" } }).db!;
    const news: string[] = [];
    const ctx = contextOf(stack, 10_000, news);
    await discoveryServicesReconciler.create(before.value, ctx);

    const observed = (await observeOne(after, ctx))!;
    const { lines, change } = discoveryServicesReconciler.diff(after.value, observed);
    expect(lines).toEqual([{ path: "dnsRecords.A.ttl", before: 10, after: 60 }]);

    recorded.reset();
    const updated = await discoveryServicesReconciler.update(change, observed, ctx);
    expect(writes()).toEqual(["UpdateService"]);
    expect(count("GetOperation")).toBe(1);
    expect(recorded.sent.find((c) => c.action === "UpdateService")?.input).toEqual({
      Id: observed.id,
      Service: { Description: "db", DnsConfig: { DnsRecords: [{ Type: "A", TTL: 60 }] } },
    });
    expect(news).toEqual(["discoveryServices.db: operation SUCCESS"]);
    expect(updated.dnsRecords).toEqual([{ type: "A", ttl: 60 }]);
    expect((await liveService(observed.id))?.DnsConfig?.DnsRecords).toEqual([{ Type: "A", TTL: 60 }]);
    expect(discoveryServicesReconciler.diff(after.value, (await observeOne(after, ctx))!).lines).toEqual([]);
  });

  it("a description and a tag change make one UpdateService and one TagResource", async () => {
    const stack = uniqueName();
    const name = uniqueName();
    const before = desiredOf(stack, namespace.id, { db: { name, description: "old", tags: { team: "a" } } }).db!;
    const after = desiredOf(stack, namespace.id, { db: { name, description: "new", tags: { team: "b" } } }).db!;
    const ctx = contextOf(stack);
    await discoveryServicesReconciler.create(before.value, ctx);

    const observed = (await observeOne(after, ctx))!;
    const { lines, change } = discoveryServicesReconciler.diff(after.value, observed);
    expect(lines.map((d) => d.path)).toEqual(["description", "tags.team"]);
    recorded.reset();
    await discoveryServicesReconciler.update(change, observed, ctx);
    expect(writes()).toEqual(["UpdateService", "TagResource"]);
    expect(discoveryServicesReconciler.diff(after.value, (await observeOne(after, ctx))!).lines).toEqual([]);
  });

  it("a new record type forces a replacement, and its change holds no write: an update would make no call", async () => {
    const stack = uniqueName();
    const name = uniqueName();
    const before = desiredOf(stack, namespace.id, { db: { name } }).db!;
    const after = desiredOf(stack, namespace.id, { db: { name, dnsRecords: [{ type: "SRV", ttl: 10 }] } }).db!;
    const ctx = contextOf(stack);
    await discoveryServicesReconciler.create(before.value, ctx);
    const observed = (await observeOne(after, ctx))!;
    const { lines, change } = discoveryServicesReconciler.diff(after.value, observed);
    expect(lines).toEqual([{ path: "dnsRecords.types", before: ["A"], after: ["SRV"], forcesReplacement: true }]);

    // The engine replaces the service and never calls update with this change; were it called, it would send nothing.
    recorded.reset();
    expect(await discoveryServicesReconciler.update(change, observed, ctx)).toEqual(observed);
    expect(actions()).toEqual([]);
  });

  it("delete waits for registered instances: under a short timeout it fails naming them and deletes nothing; once deregistered it deletes", async () => {
    const stack = uniqueName();
    const { db } = desiredOf(stack, namespace.id, { db: { name: uniqueName() } });
    const news: string[] = [];
    const created = await discoveryServicesReconciler.create(db!.value, contextOf(stack));
    // Moto has no ECS integration: the test registers the instance a task would have.
    await clients.serviceDiscovery.send(
      new RegisterInstanceCommand({ ServiceId: created.id, InstanceId: "task-1", Attributes: { AWS_INSTANCE_IPV4: "10.0.0.1" } }),
    );

    recorded.reset();
    await expect(discoveryServicesReconciler.delete(created, contextOf(stack, 1500, news))).rejects.toThrow(
      new RegExp(
        `discovery service ${created.name} \\(${created.id}\\): 1 instance still registered after 1.5 s \\(task-1\\); nothing was deleted`,
      ),
    );
    expect(writes()).toEqual([]);
    expect(count("ListInstances")).toBeGreaterThanOrEqual(2);
    expect(news).toEqual(["discoveryServices.db: 1 instance still registered"]);
    expect((await liveService(created.id))?.Id).toBe(created.id);

    await clients.serviceDiscovery.send(new DeregisterInstanceCommand({ ServiceId: created.id, InstanceId: "task-1" }));
    recorded.reset();
    await discoveryServicesReconciler.delete(created, contextOf(stack));
    expect(writes()).toEqual(["DeleteService"]);
    expect(count("ListInstances")).toBe(1);
    await expect(liveService(created.id)).rejects.toMatchObject({ name: "ServiceNotFound" });
    expect(await observeOne(db!, contextOf(stack))).toBeUndefined();

    // The plan's listing counted no instance (AWS's summaries count them; moto's leave InstanceCount out, and the drain
    // is then polled as above): DeleteService at once, without a ListInstances.
    const other = await discoveryServicesReconciler.create(
      desiredOf(stack, namespace.id, { db: { name: uniqueName() } }).db!.value,
      contextOf(stack),
    );
    recorded.reset();
    await discoveryServicesReconciler.delete({ ...other, instanceCount: 0 }, contextOf(stack));
    expect(actions()).toEqual(["DeleteService"]);
    await expect(liveService(other.id)).rejects.toMatchObject({ name: "ServiceNotFound" });
    // Where an instance has registered since the plan, AWS answers ResourceInUse and the drain is then waited for;
    // moto's DeleteService has no in-use check, so that path is not run here.

    // Already gone: success. (Moto's DeleteService answers success for an unknown id where AWS answers ServiceNotFound,
    // and ListInstances answers ServiceNotFound, which the drain takes as nothing left to wait for.)
    await discoveryServicesReconciler.delete(created, contextOf(stack));
  });

  it("discover finds the stack's services and not another stack's", async () => {
    const stack = uniqueName();
    const other = uniqueName();
    const ours = desiredOf(stack, namespace.id, { a: { name: uniqueName() }, b: { name: uniqueName() } });
    const theirs = desiredOf(other, namespace.id, { a: { name: uniqueName() } });
    const a = await discoveryServicesReconciler.create(ours.a!.value, contextOf(stack));
    const b = await discoveryServicesReconciler.create(ours.b!.value, contextOf(stack));
    const foreign = await discoveryServicesReconciler.create(theirs.a!.value, contextOf(other));

    expect(await discoveryServicesReconciler.discover(contextOf(stack), new Set())).toEqual([]);
    await namespaceOwnedBy(stack);
    const found = await discoveryServicesReconciler.discover(contextOf(stack), new Set());
    expect(found.map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
    expect(found.map((s) => s.id)).not.toContain(foreign.id);
    expect(found.find((s) => s.id === a.id)).toEqual(a);

    recorded.reset();
    const rest = await discoveryServicesReconciler.discover(contextOf(stack), new Set([a.id]));
    expect(rest.map((s) => s.id)).toEqual([b.id]);
    expect(recorded.sent.filter((c) => c.input["ResourceARN"] === a.arn || c.input["Id"] === a.id)).toEqual([]);
  });
});
