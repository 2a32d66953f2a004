import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
} from "@aws-sdk/client-ecs";
import { GetResourcesCommand } from "@aws-sdk/client-resource-groups-tagging-api";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import {
  taskDefinitionsReconciler as reconciler,
  type ObservedTaskDefinition,
  type TaskDefinitionDesired,
} from "../../src/reconcilers/ecs/task-definitions/index.js";
import { STACK_TAG, type Context, type Outputs } from "../../src/reconcilers/contract.js";
import { specSchema, type SpecInput } from "../../src/schema/index.js";
import { motoClientConfig } from "../support/moto-env.js";
import { recordCalls, uniqueName } from "../support/reconciler-tests.js";
import { REFERENCE_INPUT } from "../support/specs.js";

// Where moto differs from AWS, worked around here only:
// - DescribeTaskDefinition by family answers the highest revision even when it is INACTIVE (AWS: the newest
//   ACTIVE one); observe then lists the family's ACTIVE revisions, so these tests hold either way.
// - ListTaskDefinitions' familyPrefix matches the family exactly and `sort` is ignored (AWS: a prefix, sorted);
//   the reconciler filters and sorts itself.
// - RegisterTaskDefinition's answer has no tags; the reconciler reports the tags it sent.

// maxAttempts 2: moto answers 500 to an unimplemented action, which the SDK would otherwise retry for a while.
const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

const ecs = recordCalls(clients.ecs);
beforeEach(ecs.reset);

type TaskDefinitionInput = NonNullable<SpecInput["taskDefinitions"]>[string];

const ROLE_ARN = "arn:aws:iam::123456789012:role/roleCurso107";
/** Stand-ins for the outputs of the role and log group the reference definition refers to. */
const OUTPUTS: Outputs = {
  string: (address) => (address.startsWith("roles.") ? ROLE_ARN : "/aws/ecs/fargate/taskFargateCurso107"),
  list: () => [],
};

const contextOf = (stack: string): Context => ({ stack, region: "us-east-1", clients });

/** examples/microblog.yaml's task definition under a family no other test uses, with a change made to it. */
function desiredOf(stack: string, family: string, change: (entry: TaskDefinitionInput) => TaskDefinitionInput = (e) => e) {
  const spec = specSchema.parse({
    stack,
    region: "us-east-1",
    tags: { suite: "task-definitions" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    taskDefinitions: { web: change({ ...structuredClone(REFERENCE_INPUT.taskDefinitions!.web!), family }) },
  });
  const [node] = reconciler.nodes(spec);
  return { address: node!.address, value: node!.build(OUTPUTS) };
}

const withImage = (image: string) => (entry: TaskDefinitionInput) => {
  const web = entry.containers.container1Curso107!;
  return { ...entry, containers: { ...entry.containers, container1Curso107: { ...web, image } } };
};

async function observe(entry: { address: string; value: TaskDefinitionDesired }, stack: string) {
  return (await reconciler.observe([entry], contextOf(stack))).get(entry.address);
}

const arnOf = (family: string, revision: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${revision}`;

async function activeRevisions(family: string): Promise<string[]> {
  const { taskDefinitionArns } = await clients.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: "ACTIVE" }));
  return (taskDefinitionArns ?? []).filter((arn) => arn.includes(`/${family}:`)).sort();
}

async function taggedAsStack(stack: string): Promise<string[]> {
  const { ResourceTagMappingList } = await clients.tagging.send(
    new GetResourcesCommand({ TagFilters: [{ Key: STACK_TAG, Values: [stack] }] }),
  );
  return (ResourceTagMappingList ?? []).map((m) => m.ResourceARN!);
}

/** A revision of the family registered by someone else: no tags of the stack. */
async function registerUntagged(family: string): Promise<string> {
  const { taskDefinition } = await clients.ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "manual", image: "busybox" }],
    }),
  );
  return taskDefinition!.taskDefinitionArn!;
}

/** Update as the engine does: observe, diff, update with the diffs. */
async function converge(entry: { address: string; value: TaskDefinitionDesired }, stack: string): Promise<ObservedTaskDefinition> {
  const observed = (await observe(entry, stack))!;
  return reconciler.update(reconciler.diff(entry.value, observed).change, observed, contextOf(stack));
}

describe("task definitions against moto", () => {
  it("create registers one revision; observing it shows no diff, and reordered variables change nothing", async () => {
    const stack = uniqueName();
    const family = uniqueName();
    const entry = desiredOf(stack, family);
    expect(await observe(entry, stack)).toBeUndefined();

    ecs.reset();
    const created = await reconciler.create(entry.value, contextOf(stack));
    expect(ecs.writes()).toEqual(["RegisterTaskDefinition"]);
    expect(created).toMatchObject({ name: family, id: arnOf(family, 1), revision: 1, status: "ACTIVE", tags: entry.value.tags });
    expect(reconciler.outputs(created)).toEqual({ arn: arnOf(family, 1), family, revision: "1" });

    ecs.reset();
    const observed = await observe(entry, stack);
    expect(observed).toEqual(created);
    expect(reconciler.diff(entry.value, observed!).lines).toEqual([]);
    // A re-plan of one family is one DescribeTaskDefinition, and no write (from two families on, see below).
    expect(ecs.actions()).toEqual(["DescribeTaskDefinition"]);

    const reordered = desiredOf(stack, family, (e) => {
      const web = e.containers.container1Curso107!;
      const environment = Object.fromEntries(Object.entries(web.environment!).reverse());
      return { ...e, containers: { container2Curso107: e.containers.container2Curso107!, container1Curso107: { ...web, environment } } };
    });
    expect(reconciler.diff(reordered.value, observed!).lines).toEqual([]);
    expect(ecs.writes()).toEqual([]);
    expect(await activeRevisions(family)).toEqual([arnOf(family, 1)]);
  });

  it("an image change makes exactly one RegisterTaskDefinition, and nothing is deregistered below keepRevisions", async () => {
    const stack = uniqueName();
    const family = uniqueName();
    await reconciler.create(desiredOf(stack, family).value, contextOf(stack));

    const changed = desiredOf(stack, family, withImage("docker.io/pedroheeger/curso116_kube-news:v2"));
    ecs.reset();
    const observed = (await observe(changed, stack))!;
    // The fingerprint tag of revision 1 is not the new content's: the revision is read to say what differs.
    expect(ecs.actions()).toEqual(["DescribeTaskDefinition"]);
    expect(observed).toMatchObject({ id: arnOf(family, 1), revision: 1 });
    const { lines: diffs, change } = reconciler.diff(changed.value, observed);
    expect(diffs).toEqual([
      {
        path: "containers.container1Curso107.image",
        before: "docker.io/pedroheeger/curso116_kube-news:v1",
        after: "docker.io/pedroheeger/curso116_kube-news:v2",
      },
    ]);

    ecs.reset();
    const updated = await reconciler.update(change, observed, contextOf(stack));
    expect(ecs.writes()).toEqual(["RegisterTaskDefinition"]);
    expect(updated).toMatchObject({ id: arnOf(family, 2), revision: 2 });
    expect(await activeRevisions(family)).toEqual([arnOf(family, 1), arnOf(family, 2)]);
    expect(reconciler.diff(changed.value, (await observe(changed, stack))!).lines).toEqual([]);
  });

  it("with keepRevisions 2, a 3rd revision deregisters revision 1 only", async () => {
    const stack = uniqueName();
    const family = uniqueName();
    const keepTwo = (image: string) => (e: TaskDefinitionInput) => ({ ...withImage(image)(e), keepRevisions: 2 });
    await reconciler.create(desiredOf(stack, family, keepTwo("app:1")).value, contextOf(stack));
    await converge(desiredOf(stack, family, keepTwo("app:2")), stack);

    ecs.reset();
    const third = await converge(desiredOf(stack, family, keepTwo("app:3")), stack);
    expect(ecs.writes()).toEqual(["RegisterTaskDefinition", "DeregisterTaskDefinition"]);
    expect(ecs.sent.find((c) => c.action === "DeregisterTaskDefinition")?.input).toEqual({ taskDefinition: arnOf(family, 1) });
    expect(third.id).toBe(arnOf(family, 3));
    expect(await activeRevisions(family)).toEqual([arnOf(family, 2), arnOf(family, 3)]);
  });

  it("an untagged revision of the family is never deregistered, and the stack's own revision stays the live one", async () => {
    const stack = uniqueName();
    const family = uniqueName();
    const keepTwo = (image: string) => (e: TaskDefinitionInput) => ({ ...withImage(image)(e), keepRevisions: 2 });
    const first = await reconciler.create(desiredOf(stack, family, keepTwo("app:1")).value, contextOf(stack));
    const foreign = await registerUntagged(family);
    expect(foreign).toBe(arnOf(family, 2));

    // The newest ACTIVE revision is someone else's: the stack's own is what it compares with.
    expect((await observe(desiredOf(stack, family, keepTwo("app:1")), stack))?.id).toBe(first.id);

    ecs.reset();
    await converge(desiredOf(stack, family, keepTwo("app:2")), stack);
    expect(ecs.writes()).toEqual(["RegisterTaskDefinition"]);
    // Three ACTIVE revisions, two of them the stack's: only the stack's oldest goes.
    ecs.reset();
    await converge(desiredOf(stack, family, keepTwo("app:3")), stack);
    expect(ecs.writes()).toEqual(["RegisterTaskDefinition", "DeregisterTaskDefinition"]);
    expect(ecs.sent.find((c) => c.action === "DeregisterTaskDefinition")?.input).toEqual({ taskDefinition: first.id });
    expect(await activeRevisions(family)).toEqual([foreign, arnOf(family, 3), arnOf(family, 4)]);

    await reconciler.delete((await observe(desiredOf(stack, family), stack))!, contextOf(stack));
    expect(await activeRevisions(family)).toEqual([foreign]);
  });

  it("a tag change alone tags the live revision and registers nothing", async () => {
    const stack = uniqueName();
    const family = uniqueName();
    await reconciler.create(desiredOf(stack, family).value, contextOf(stack));
    const retagged = desiredOf(stack, family, (e) => ({ ...e, tags: { team: "web" } }));
    const observed = (await observe(retagged, stack))!;
    const { lines: diffs, change } = reconciler.diff(retagged.value, observed);
    expect(diffs).toEqual([{ path: "tags.team", after: "web" }]);

    ecs.reset();
    const updated = await reconciler.update(change, observed, contextOf(stack));
    expect(ecs.writes()).toEqual(["TagResource"]);
    expect(updated.id).toBe(arnOf(family, 1));
    const { tags } = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: updated.id, include: ["TAGS"] }));
    expect(tags).toContainEqual({ key: "team", value: "web" });
    expect(reconciler.diff(retagged.value, (await observe(retagged, stack))!).lines).toEqual([]);
  });

  it("re-planned, families whose newest revision carries the content's fingerprint cost one listing, not a describe each; one deregistered is read", async () => {
    const stack = uniqueName();
    const ctx = contextOf(stack);
    const entries = [uniqueName(), uniqueName(), uniqueName()].map((family, i) => ({
      ...desiredOf(stack, family),
      address: `taskDefinitions.t${i}`,
    }));
    const created: ObservedTaskDefinition[] = [];
    for (const entry of entries) created.push(await reconciler.create(entry.value, ctx));

    ecs.reset();
    const observed = await reconciler.observe(entries, ctx);
    // The Tagging API lists each family's revision 1 with its fingerprint tag; ListTaskDefinitions (the region's
    // ACTIVE revisions) says they are live. Before: one DescribeTaskDefinition per family.
    expect(ecs.actions()).toEqual(["ListTaskDefinitions"]);
    entries.forEach((entry, i) => {
      expect(observed.get(entry.address)).toEqual(created[i]);
      expect(reconciler.diff(entry.value, observed.get(entry.address)!).lines).toEqual([]);
    });

    // moto's Tagging API still lists a deregistered revision, with its tags: the listing tells it is not live.
    await clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: created[0]!.id }));
    ecs.reset();
    const again = await reconciler.observe(entries, ctx);
    // The listing shows the first family without an ACTIVE revision: nothing to describe.
    expect(again.has(entries[0]!.address)).toBe(false);
    expect(ecs.actions()).toEqual(["ListTaskDefinitions"]);

    // Deleted side by side, the families' revisions share DeleteTaskDefinitions calls (it takes up to 10): the two
    // still ACTIVE, deregistered at the same moment, go in one call. (The first family, with nothing to deregister,
    // may get there earlier than the wait for company lasts on a loaded machine.)
    ecs.reset();
    await Promise.all(created.map((live) => reconciler.delete(live, ctx)));
    const deletions = ecs.sent
      .filter((c) => c.action === "DeleteTaskDefinitions")
      .map((c) => (c.input as { taskDefinitions: string[] }).taskDefinitions);
    expect(deletions.length).toBeLessThan(3);
    expect(deletions.flat().sort()).toEqual(created.map((c) => c.id).sort());
    expect(ecs.writes().filter((w) => w === "DeregisterTaskDefinition")).toHaveLength(2);
    expect(await taggedAsStack(stack)).toEqual([]);
  });

  it("discovers the stack's families; delete deregisters and deletes every revision it registered; again is success", async () => {
    const stack = uniqueName();
    const family = uniqueName();
    const ctx = contextOf(stack);
    await reconciler.create(desiredOf(stack, family).value, ctx);
    const live = await converge(desiredOf(stack, family, withImage("app:2")), stack);

    expect((await reconciler.discover(ctx, new Set())).map((o) => o.id)).toEqual([live.id]);
    expect(await reconciler.discover(ctx, new Set([live.id]))).toEqual([]);

    ecs.reset();
    await reconciler.delete(live, ctx);
    expect(ecs.writes()).toEqual(["DeregisterTaskDefinition", "DeregisterTaskDefinition", "DeleteTaskDefinitions"]);
    expect(await activeRevisions(family)).toEqual([]);
    // moto's Tagging API lists deregistered (INACTIVE) revisions too; deleted ones are gone from it.
    expect(await taggedAsStack(stack)).toEqual([]);
    expect(await reconciler.observe([desiredOf(stack, family)], ctx)).toEqual(new Map());
    expect(await reconciler.discover(ctx, new Set())).toEqual([]);

    await reconciler.delete(live, ctx);
  });

  it("a deletion cut short (revisions deregistered, not deleted) is found by discover and finished by delete", async () => {
    const stack = uniqueName();
    const family = uniqueName();
    const ctx = contextOf(stack);
    const keepTwo = (image: string) => (e: TaskDefinitionInput) => ({ ...withImage(image)(e), keepRevisions: 2 });
    const created = await reconciler.create(desiredOf(stack, family, keepTwo("app:1")).value, ctx);
    await converge(desiredOf(stack, family, keepTwo("app:2")), stack);
    await converge(desiredOf(stack, family, keepTwo("app:3")), stack);
    // Revision 1 is deregistered by retention and still tagged; deregistering 2 and 3 by hand leaves no ACTIVE one.
    for (const revision of [2, 3]) await clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arnOf(family, revision) }));

    const [leftover] = await reconciler.discover(ctx, new Set());
    expect(leftover).toMatchObject({ name: family, id: arnOf(family, 3), status: "INACTIVE" });
    expect(created.id).toBe(arnOf(family, 1));

    ecs.reset();
    await reconciler.delete(leftover!, ctx);
    expect(ecs.writes()).toEqual(["DeleteTaskDefinitions"]);
    expect(ecs.sent.at(-1)?.input).toEqual({ taskDefinitions: [arnOf(family, 3), arnOf(family, 2), arnOf(family, 1)] });
    expect(await taggedAsStack(stack)).toEqual([]);
  });
});
