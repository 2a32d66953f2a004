import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { normalisePolicyDocument } from "../../src/reconcilers/iam/roles/policy-document.js";
import { rolesReconciler } from "../../src/reconcilers/iam/roles/index.js";
import { partitionOf, updatedRole, type ObservedRole, type RoleChange, type RoleDesired } from "../../src/reconcilers/iam/roles/model.js";
import { ID_TAG, STACK_TAG, type Context } from "../../src/reconcilers/contract.js";
import { specSchema, type SpecInput } from "../../src/schema/index.js";
import { motoClientConfig } from "../support/moto-env.js";
import { NO_OUTPUTS, recordCalls, uniqueName } from "../support/reconciler-tests.js";

const EXEC_POLICY = "AmazonECSTaskExecutionRolePolicy";
const EXEC_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
const READ_ONLY_ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess";

// maxAttempts 2: moto answers 500 to an unimplemented action, which the SDK would otherwise retry for a while.
const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

/** Every IAM action sent through `clients`, so tests can hold the reconciler to the calls it needs. */
const recorded = recordCalls(clients.iam);
const writes = recorded.writes;
/** The IAM actions sent, in order. */
const actions = () => recorded.sent.map((c) => c.action);
beforeEach(recorded.reset);

const contextOf = (stack: string): Context => ({ stack, region: "us-east-1", clients });

type Entry = { address: string; value: RoleDesired };

/** The desired state of each entry, as the engine builds it from a spec. */
function desiredOf(stack: string, roles: NonNullable<SpecInput["roles"]>): Record<string, Entry> {
  const spec = specSchema.parse({
    stack,
    region: "us-east-1",
    tags: { env: "test" },
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    roles,
  });
  return Object.fromEntries(rolesReconciler.nodes(spec).map((n) => [n.logical, { address: n.address, value: n.build(NO_OUTPUTS) }]));
}

async function observeOne(entry: Entry, ctx: Context): Promise<ObservedRole | undefined> {
  return (await rolesReconciler.observe([entry], ctx)).get(entry.address);
}

/** Creates the role and returns what a fresh observe sees. */
async function created(entry: Entry, ctx: Context): Promise<ObservedRole> {
  await rolesReconciler.create(entry.value, ctx);
  const observed = await observeOne(entry, ctx);
  expect(observed).toBeDefined();
  return observed!;
}

type RoleInput = NonNullable<SpecInput["roles"]>[string];

const readPolicy = {
  Version: "2012-10-17" as const,
  Statement: [{ Effect: "Allow" as const, Action: ["s3:GetObject"], Resource: "arn:aws:s3:::assets/*" }],
};

/** A role with a bit of everything the spec can say. */
const fullRole = (extra: Partial<RoleInput> = {}): RoleInput => ({
  trustedServices: ["ecs-tasks.amazonaws.com"],
  managedPolicies: [EXEC_POLICY, READ_ONLY_ARN],
  inlinePolicies: { read: readPolicy },
  ...extra,
});

const liveAttachedArns = async (RoleName: string) =>
  ((await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))).AttachedPolicies ?? []).map((p) => p.PolicyArn).sort();
const liveInlineNames = async (RoleName: string) => (await clients.iam.send(new ListRolePoliciesCommand({ RoleName }))).PolicyNames?.sort();
const liveTrust = async (RoleName: string) =>
  normalisePolicyDocument((await clients.iam.send(new GetRoleCommand({ RoleName }))).Role!.AssumeRolePolicyDocument!);

describe("rolesReconciler.nodes", () => {
  it("makes one node per role, named after the stack, with the trust policy, policies and ownership tags", () => {
    const stack = uniqueName();
    const spec = specSchema.parse({
      stack,
      region: "us-east-1",
      tags: { env: "test" },
      network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
      roles: {
        exec: { trustedServices: ["ecs-tasks.amazonaws.com"], managedPolicies: [EXEC_POLICY, READ_ONLY_ARN], tags: { team: "web" } },
        task: {
          name: "explicit-name",
          path: "/app/",
          trustedServices: ["ecs-tasks.amazonaws.com"],
          adopt: true,
          maxSessionDurationSeconds: 7200,
        },
      },
    });
    const [exec, task] = rolesReconciler.nodes(spec);
    expect(exec).toMatchObject({
      kind: "roles",
      logical: "exec",
      address: "roles.exec",
      name: `${stack}-exec`,
      dependsOn: [],
      adopt: false,
      readOnly: false,
    });
    expect(exec!.build(NO_OUTPUTS)).toEqual({
      name: `${stack}-exec`,
      path: "/",
      trustPolicy: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: ["ecs-tasks.amazonaws.com"] }, Action: "sts:AssumeRole" }],
      },
      managedPolicies: [{ name: EXEC_POLICY }, { arn: READ_ONLY_ARN }],
      inlinePolicies: {},
      tags: { env: "test", team: "web", [STACK_TAG]: stack, [ID_TAG]: "roles/exec" },
    });
    expect(task).toMatchObject({ address: "roles.task", name: "explicit-name", adopt: true });
    expect(task!.build(NO_OUTPUTS)).toMatchObject({ name: "explicit-name", path: "/app/", maxSessionDuration: 7200 });
  });

  it.each([
    ["us-east-1", "aws"],
    ["cn-north-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
  ])("the partition of %s is %s", (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });
});

describe("rolesReconciler.preview", () => {
  it("shows a role to be created in the paths its diffs use", () => {
    const { exec } = desiredOf("pure", { exec: fullRole({ description: "runs tasks", maxSessionDurationSeconds: 7200 }) });
    expect(rolesReconciler.preview!(exec!.value)).toEqual([
      { path: "name", after: "pure-exec" },
      { path: "path", after: "/" },
      { path: "trustPolicy", after: normalisePolicyDocument(exec!.value.trustPolicy) },
      { path: `managedPolicies[${EXEC_POLICY}]`, after: "attached" },
      { path: `managedPolicies[${READ_ONLY_ARN}]`, after: "attached" },
      { path: "inlinePolicies.read", after: normalisePolicyDocument(readPolicy) },
      { path: "description", after: "runs tasks" },
      { path: "maxSessionDuration", after: 7200 },
      { path: "tags.env", after: "test" },
      { path: `tags.${STACK_TAG}`, after: "pure" },
      { path: `tags.${ID_TAG}`, after: "roles/exec" },
    ]);
  });
});

describe("rolesReconciler.diff (pure)", () => {
  const stack = "pure";
  const { exec } = desiredOf(stack, { exec: fullRole({ description: "runs tasks" }) });
  const desired = exec!.value;
  const inSync: ObservedRole = {
    name: desired.name,
    id: "arn:aws:iam::123456789012:role/pure-exec",
    arn: "arn:aws:iam::123456789012:role/pure-exec",
    tags: { ...desired.tags, "aws:cloudformation:stack-name": "x" },
    path: "/",
    description: "runs tasks",
    maxSessionDuration: 3600,
    trustPolicy: normalisePolicyDocument(desired.trustPolicy),
    attachedPolicies: [
      { name: EXEC_POLICY, arn: EXEC_POLICY_ARN },
      { name: "ReadOnlyAccess", arn: READ_ONLY_ARN },
    ],
    inlinePolicies: { read: normalisePolicyDocument(readPolicy) },
  };

  it.each<[string, Partial<ObservedRole>, object[]]>([
    [
      "nothing differs: no diff (AWS's own aws: tags and maxSessionDuration, not in the spec, are not drift)",
      { maxSessionDuration: 7200 },
      [],
    ],
    ["another path forces a replacement", { path: "/old/" }, [{ path: "path", before: "/old/", after: "/", forcesReplacement: true }]],
    [
      "a managed policy not attached is attached (by the name the spec gives)",
      { attachedPolicies: [{ name: "ReadOnlyAccess", arn: READ_ONLY_ARN }] },
      [{ path: `managedPolicies[${EXEC_POLICY}]`, after: "attached" }],
    ],
    [
      "a policy of the same name elsewhere still matches a name; an extra one is detached, keyed by ARN",
      {
        attachedPolicies: [
          { name: EXEC_POLICY, arn: `arn:aws:iam::123456789012:policy/${EXEC_POLICY}` },
          { name: "ReadOnlyAccess", arn: READ_ONLY_ARN },
          { name: "Extra", arn: "arn:aws:iam::aws:policy/Extra" },
        ],
      },
      [{ path: "managedPolicies[arn:aws:iam::aws:policy/Extra]", before: "attached" }],
    ],
    [
      "an inline policy not in the spec is removed",
      { inlinePolicies: { read: normalisePolicyDocument(readPolicy), extra: normalisePolicyDocument(readPolicy) } },
      [{ path: "inlinePolicies.extra", before: normalisePolicyDocument(readPolicy) }],
    ],
    [
      "a missing inline policy is put",
      { inlinePolicies: {} },
      [{ path: "inlinePolicies.read", after: normalisePolicyDocument(readPolicy) }],
    ],
    ["another description", { description: "old" }, [{ path: "description", before: "old", after: "runs tasks" }]],
    ["a tag another actor added is removed", { tags: { ...desired.tags, owner: "someone" } }, [{ path: "tags.owner", before: "someone" }]],
  ])("%s", (_reason, observed, diffs) => {
    expect(rolesReconciler.diff(desired, { ...inSync, ...observed }).lines).toEqual(diffs);
  });

  it("a description or session length the spec leaves out is not drift", () => {
    const { bare } = desiredOf(stack, { bare: { trustedServices: ["ecs-tasks.amazonaws.com"] } });
    const observed = { ...inSync, name: bare!.value.name, tags: bare!.value.tags, attachedPolicies: [], inlinePolicies: {} };
    expect(rolesReconciler.diff(bare!.value, { ...observed, description: "set by hand", maxSessionDuration: 43200 }).lines).toEqual([]);
  });

  const noChange: RoleChange = { attach: [], detach: [], putInline: {}, deleteInline: [], tags: { set: {}, remove: [] } };
  const extraArn = "arn:aws:iam::aws:policy/Extra";
  const changes: Array<[string, Partial<RoleDesired>, Partial<ObservedRole>, RoleChange]> = [
    ["in sync: nothing to write", {}, {}, noChange],
    ["another path is a replacement, not an update: nothing to write", {}, { path: "/old/" }, noChange],
    [
      "another trust policy: the spec's document, as it is written",
      {},
      { trustPolicy: normalisePolicyDocument({ Version: "2012-10-17", Statement: [] }) },
      { ...noChange, trustPolicy: desired.trustPolicy },
    ],
    [
      "a policy not attached is attached by the name the spec gives (update resolves it)",
      {},
      { attachedPolicies: [{ name: "ReadOnlyAccess", arn: READ_ONLY_ARN }] },
      { ...noChange, attach: [{ name: EXEC_POLICY }] },
    ],
    [
      "a policy of the same name elsewhere still matches; an extra one is detached by its ARN",
      {},
      {
        attachedPolicies: [
          { name: EXEC_POLICY, arn: `arn:aws:iam::123456789012:policy/${EXEC_POLICY}` },
          { name: "ReadOnlyAccess", arn: READ_ONLY_ARN },
          { name: "Extra", arn: extraArn },
        ],
      },
      { ...noChange, detach: [extraArn] },
    ],
    [
      "an inline policy changed is put as the spec writes it; one not in the spec is deleted",
      {},
      {
        inlinePolicies: {
          read: normalisePolicyDocument({ Version: "2012-10-17", Statement: [] }),
          extra: normalisePolicyDocument(readPolicy),
        },
      },
      { ...noChange, putInline: { read: readPolicy }, deleteInline: ["extra"] },
    ],
    [
      "another description: UpdateRole keeps the session length the spec leaves out",
      {},
      { description: "old", maxSessionDuration: 7200 },
      { ...noChange, updateRole: { RoleName: desired.name, Description: "runs tasks", MaxSessionDuration: 7200 } },
    ],
    [
      "another session length: UpdateRole keeps the description the spec leaves out",
      { description: undefined, maxSessionDuration: 3600 },
      { description: "set by hand", maxSessionDuration: 7200 },
      { ...noChange, updateRole: { RoleName: desired.name, Description: "set by hand", MaxSessionDuration: 3600 } },
    ],
    [
      "a changed tag is set, one another actor added is removed, AWS's own stay",
      {},
      { tags: { ...inSync.tags, env: "prod", owner: "someone" } },
      { ...noChange, tags: { set: { env: "test" }, remove: ["owner"] } },
    ],
  ];

  it.each(changes)("the change: %s", (_reason, desiredExtra, observed, change) => {
    expect(rolesReconciler.diff({ ...desired, ...desiredExtra }, { ...inSync, ...observed }).change).toEqual(change);
  });

  it.each(changes)("once the change is made, only a replacement is left: %s", (_reason, desiredExtra, observedExtra) => {
    const want = { ...desired, ...desiredExtra };
    const observed = { ...inSync, ...observedExtra };
    const { change } = rolesReconciler.diff(want, observed);
    const resolved = change.attach.map((ref) => ("arn" in ref ? ref.arn : EXEC_POLICY_ARN));
    const after = updatedRole(observed, change, resolved);
    expect(rolesReconciler.diff(want, after).lines.filter((line) => !line.forcesReplacement)).toEqual([]);
  });
});

describe("roles against moto", () => {
  it("creates a role from nothing with its policies and tags; observing it then shows no diff and makes no writes", async () => {
    const stack = uniqueName();
    const { exec } = desiredOf(stack, {
      exec: fullRole({ path: "/app/", description: "runs tasks", maxSessionDurationSeconds: 7200, tags: { team: "web" } }),
    });
    const ctx = contextOf(stack);
    expect(await rolesReconciler.observe([exec!], ctx)).toEqual(new Map());

    const fromCreate = await rolesReconciler.create(exec!.value, ctx);
    expect(writes()).toEqual(["CreateRole", "AttachRolePolicy", "AttachRolePolicy", "PutRolePolicy"]);

    recorded.reset();
    const observed = await observeOne(exec!, ctx);
    expect(writes()).toEqual([]);
    // What create reports (without reading back) is what a fresh read sees.
    expect({ ...observed!, attachedPolicies: sortByArn(observed!.attachedPolicies) }).toEqual({
      ...fromCreate,
      attachedPolicies: sortByArn(fromCreate.attachedPolicies),
    });
    expect(observed).toMatchObject({
      name: `${stack}-exec`,
      arn: `arn:aws:iam::123456789012:role/app/${stack}-exec`,
      path: "/app/",
      description: "runs tasks",
      maxSessionDuration: 7200,
      tags: { env: "test", team: "web", [STACK_TAG]: stack, [ID_TAG]: "roles/exec" },
    });
    expect(sortByArn(observed!.attachedPolicies)).toEqual([
      { name: "ReadOnlyAccess", arn: READ_ONLY_ARN },
      { name: EXEC_POLICY, arn: EXEC_POLICY_ARN },
    ]);
    expect(rolesReconciler.diff(exec!.value, observed!).lines).toEqual([]);
    expect(rolesReconciler.outputs(observed!)).toEqual({ arn: observed!.arn, name: `${stack}-exec` });
  });

  it("a trust policy rewritten out of band in an equivalent form is no drift", async () => {
    const stack = uniqueName();
    const { exec } = desiredOf(stack, { exec: { trustedServices: ["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"] } });
    const ctx = contextOf(stack);
    await rolesReconciler.create(exec!.value, ctx);

    // Keys reordered, Statement an object, Action a single string, services in the other order.
    const equivalent = `{"Statement":{"Action":"sts:AssumeRole","Principal":{"Service":["ecs.amazonaws.com","ecs-tasks.amazonaws.com"]},"Effect":"Allow"},"Version":"2012-10-17"}`;
    await clients.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: exec!.value.name, PolicyDocument: equivalent }));
    const observed = await observeOne(exec!, ctx);
    expect(rolesReconciler.diff(exec!.value, observed!).lines).toEqual([]);

    const { single } = desiredOf(stack, { single: { trustedServices: ["ecs-tasks.amazonaws.com"] } });
    await rolesReconciler.create(single!.value, ctx);
    const asString = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole"],"Principal":{"Service":"ecs-tasks.amazonaws.com"}}]}`;
    await clients.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: single!.value.name, PolicyDocument: asString }));
    expect(rolesReconciler.diff(single!.value, (await observeOne(single!, ctx))!).lines).toEqual([]);
  });

  it("a real trust change is one trustPolicy diff, and the update calls UpdateAssumeRolePolicy only", async () => {
    const stack = uniqueName();
    const { exec: before } = desiredOf(stack, { exec: fullRole() });
    const ctx = contextOf(stack);
    await rolesReconciler.create(before!.value, ctx);

    const { exec: after } = desiredOf(stack, { exec: fullRole({ trustedServices: ["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"] }) });
    const observed = await observeOne(after!, ctx);
    const { lines: diffs, change } = rolesReconciler.diff(after!.value, observed!);
    expect(diffs).toEqual([
      {
        path: "trustPolicy",
        before: normalisePolicyDocument(before!.value.trustPolicy),
        after: normalisePolicyDocument(after!.value.trustPolicy),
      },
    ]);

    recorded.reset();
    const updated = await rolesReconciler.update(change, observed!, ctx);
    expect(writes()).toEqual(["UpdateAssumeRolePolicy"]);
    expect(await liveTrust(after!.value.name)).toEqual(normalisePolicyDocument(after!.value.trustPolicy));
    expect(await liveAttachedArns(after!.value.name)).toEqual([READ_ONLY_ARN, EXEC_POLICY_ARN]);
    expect(await liveInlineNames(after!.value.name)).toEqual(["read"]);
    const again = await observeOne(after!, ctx);
    expect(rolesReconciler.diff(after!.value, again!).lines).toEqual([]);
    expect(updated).toEqual(again);
  });

  it("a managed policy detached out of band shows in the diff and is attached again", async () => {
    const stack = uniqueName();
    const { exec } = desiredOf(stack, { exec: fullRole() });
    const ctx = contextOf(stack);
    await rolesReconciler.create(exec!.value, ctx);
    await clients.iam.send(new DetachRolePolicyCommand({ RoleName: exec!.value.name, PolicyArn: EXEC_POLICY_ARN }));

    const observed = await observeOne(exec!, ctx);
    const { lines: diffs, change } = rolesReconciler.diff(exec!.value, observed!);
    expect(diffs).toEqual([{ path: `managedPolicies[${EXEC_POLICY}]`, after: "attached" }]);

    recorded.reset();
    await rolesReconciler.update(change, observed!, ctx);
    expect(writes()).toEqual(["AttachRolePolicy"]);
    expect(await liveAttachedArns(exec!.value.name)).toEqual([READ_ONLY_ARN, EXEC_POLICY_ARN]);
    expect(rolesReconciler.diff(exec!.value, (await observeOne(exec!, ctx))!).lines).toEqual([]);
  });

  it("a managed policy and an inline policy added out of band are removed", async () => {
    const stack = uniqueName();
    const { exec } = desiredOf(stack, { exec: fullRole() });
    const ctx = contextOf(stack);
    await rolesReconciler.create(exec!.value, ctx);
    const RoleName = exec!.value.name;
    const extraDoc = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:*", Resource: "*" }] };
    await clients.iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: "extra", PolicyDocument: JSON.stringify(extraDoc) }));
    const extraArn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    await clients.iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: extraArn }));

    const observed = await observeOne(exec!, ctx);
    const { lines: diffs, change } = rolesReconciler.diff(exec!.value, observed!);
    expect(diffs).toEqual([
      { path: `managedPolicies[${extraArn}]`, before: "attached" },
      { path: "inlinePolicies.extra", before: normalisePolicyDocument(extraDoc) },
    ]);

    recorded.reset();
    await rolesReconciler.update(change, observed!, ctx);
    expect(writes()).toEqual(["DetachRolePolicy", "DeleteRolePolicy"]);
    expect(await liveInlineNames(RoleName)).toEqual(["read"]);
    expect(await liveAttachedArns(RoleName)).toEqual([READ_ONLY_ARN, EXEC_POLICY_ARN]);
    expect(rolesReconciler.diff(exec!.value, (await observeOne(exec!, ctx))!).lines).toEqual([]);
  });

  it("an inline policy changed out of band is put back; an equivalent rewrite is left alone", async () => {
    const stack = uniqueName();
    const { exec } = desiredOf(stack, { exec: fullRole() });
    const ctx = contextOf(stack);
    await rolesReconciler.create(exec!.value, ctx);
    const RoleName = exec!.value.name;

    // Statement an object, keys reordered, single strings and lists swapped. Version stays: moto refuses an inline
    // policy without Version 2012-10-17 (MalformedPolicyDocument, the error AWS gives for managed policies).
    const equivalent = {
      Statement: { Resource: ["arn:aws:s3:::assets/*"], Action: "s3:GetObject", Effect: "Allow" },
      Version: "2012-10-17",
    };
    await clients.iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: "read", PolicyDocument: JSON.stringify(equivalent) }));
    expect(rolesReconciler.diff(exec!.value, (await observeOne(exec!, ctx))!).lines).toEqual([]);

    const widened = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] };
    await clients.iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: "read", PolicyDocument: JSON.stringify(widened) }));
    const observed = await observeOne(exec!, ctx);
    const { lines: diffs, change } = rolesReconciler.diff(exec!.value, observed!);
    expect(diffs).toEqual([
      { path: "inlinePolicies.read", before: normalisePolicyDocument(widened), after: normalisePolicyDocument(readPolicy) },
    ]);

    recorded.reset();
    await rolesReconciler.update(change, observed!, ctx);
    expect(writes()).toEqual(["PutRolePolicy"]);
    const { PolicyDocument } = await clients.iam.send(new GetRolePolicyCommand({ RoleName, PolicyName: "read" }));
    expect(normalisePolicyDocument(PolicyDocument!)).toEqual(normalisePolicyDocument(readPolicy));
  });

  it("description, session length and tags change with UpdateRole and only the changed tag keys", async () => {
    const stack = uniqueName();
    const { exec: before } = desiredOf(stack, {
      exec: {
        trustedServices: ["ecs-tasks.amazonaws.com"],
        description: "old",
        maxSessionDurationSeconds: 7200,
        tags: { team: "web", keep: "1" },
      },
    });
    const ctx = contextOf(stack);
    await rolesReconciler.create(before!.value, ctx);

    const { exec: after } = desiredOf(stack, {
      exec: {
        trustedServices: ["ecs-tasks.amazonaws.com"],
        description: "new",
        maxSessionDurationSeconds: 7200,
        tags: { team: "api", keep: "1" },
      },
    });
    const observed = await observeOne(after!, ctx);
    const { lines: diffs, change } = rolesReconciler.diff(after!.value, observed!);
    expect(diffs).toEqual([
      { path: "description", before: "old", after: "new" },
      { path: "tags.team", before: "web", after: "api" },
    ]);
    recorded.reset();
    await rolesReconciler.update(change, observed!, ctx);
    expect(writes()).toEqual(["UpdateRole", "TagRole"]);
    const again = await observeOne(after!, ctx);
    expect(again).toMatchObject({ description: "new", maxSessionDuration: 7200, tags: { team: "api", keep: "1" } });
    expect(rolesReconciler.diff(after!.value, again!).lines).toEqual([]);

    // Dropping a tag from the spec removes just that key; the session length changes, the description stays.
    const { exec: fewer } = desiredOf(stack, {
      exec: { trustedServices: ["ecs-tasks.amazonaws.com"], maxSessionDurationSeconds: 3600, tags: { team: "api" } },
    });
    const { lines: diffs2, change: change2 } = rolesReconciler.diff(fewer!.value, again!);
    expect(diffs2).toEqual([
      { path: "maxSessionDuration", before: 7200, after: 3600 },
      { path: "tags.keep", before: "1" },
    ]);
    recorded.reset();
    await rolesReconciler.update(change2, again!, ctx);
    expect(writes()).toEqual(["UpdateRole", "UntagRole"]);
    expect(await observeOne(fewer!, ctx)).toMatchObject({ description: "new", maxSessionDuration: 3600, tags: { team: "api" } });
  });

  it("resolves a policy name to the account's own policy when AWS has none of that name", async () => {
    const stack = uniqueName();
    const policyName = `${stack}-own`;
    const { Policy } = await clients.iam.send(
      new CreatePolicyCommand({ PolicyName: policyName, PolicyDocument: JSON.stringify(readPolicy) }),
    );
    const { exec } = desiredOf(stack, { exec: { trustedServices: ["ecs-tasks.amazonaws.com"], managedPolicies: [policyName] } });
    const ctx = contextOf(stack);
    await rolesReconciler.create(exec!.value, ctx);
    expect(await liveAttachedArns(exec!.value.name)).toEqual([Policy!.Arn]);
    expect(Policy!.Arn).toBe(`arn:aws:iam::123456789012:policy/${policyName}`);
    expect(rolesReconciler.diff(exec!.value, (await observeOne(exec!, ctx))!).lines).toEqual([]);
  });

  it("a policy name that resolves nowhere is an error naming it, before the role is created", async () => {
    const stack = uniqueName();
    const { exec } = desiredOf(stack, {
      exec: { trustedServices: ["ecs-tasks.amazonaws.com"], managedPolicies: ["NoSuchPolicyAnywhere"] },
    });
    const ctx = contextOf(stack);
    await expect(rolesReconciler.create(exec!.value, ctx)).rejects.toThrow(
      /managed policy NoSuchPolicyAnywhere not found.*arn:aws:iam::aws:policy\/service-role\/NoSuchPolicyAnywhere.*arn:aws:iam::123456789012:policy\/NoSuchPolicyAnywhere/,
    );
    expect(await observeOne(exec!, ctx)).toBeUndefined();
    expect(writes()).toEqual([]);
  });

  it("deletes a role that has attached and inline policies; deleting it again succeeds", async () => {
    const stack = uniqueName();
    const { exec } = desiredOf(stack, { exec: fullRole() });
    const ctx = contextOf(stack);
    const observed = await created(exec!, ctx);

    recorded.reset();
    await rolesReconciler.delete(observed, ctx);
    expect(writes().sort()).toEqual(["DeleteRole", "DeleteRolePolicy", "DetachRolePolicy", "DetachRolePolicy"]);
    expect(await observeOne(exec!, ctx)).toBeUndefined();
    await expect(clients.iam.send(new GetRoleCommand({ RoleName: exec!.value.name }))).rejects.toMatchObject({
      name: "NoSuchEntityException",
    });

    await expect(rolesReconciler.delete(observed, ctx)).resolves.toBeUndefined();
  });

  it("delete empties the live lists, not the (stale) observed ones", async () => {
    const stack = uniqueName();
    const { exec } = desiredOf(stack, { exec: { trustedServices: ["ecs-tasks.amazonaws.com"] } });
    const ctx = contextOf(stack);
    const observed = await created(exec!, ctx);
    await clients.iam.send(new AttachRolePolicyCommand({ RoleName: observed.name, PolicyArn: READ_ONLY_ARN }));
    await clients.iam.send(
      new PutRolePolicyCommand({ RoleName: observed.name, PolicyName: "late", PolicyDocument: JSON.stringify(readPolicy) }),
    );

    await rolesReconciler.delete(observed, ctx);
    expect(await observeOne(exec!, ctx)).toBeUndefined();
  });

  it("discover finds the stack's roles, whatever their path, and not another stack's or an untagged one", async () => {
    const stack = uniqueName();
    const other = uniqueName();
    const mine = desiredOf(stack, { a: fullRole(), b: { trustedServices: ["ecs-tasks.amazonaws.com"], path: "/deep/path/" } });
    const theirs = desiredOf(other, { a: fullRole() });
    for (const entry of Object.values(mine)) await rolesReconciler.create(entry.value, contextOf(stack));
    await rolesReconciler.create(theirs["a"]!.value, contextOf(other));
    // Same trust policy and a name like the stack's, but no ownership tags.
    const untagged = `${stack}-untagged`;
    await clients.iam.send(
      new CreateRoleCommand({ RoleName: untagged, AssumeRolePolicyDocument: JSON.stringify(mine["a"]!.value.trustPolicy) }),
    );
    // Tagged as the stack's, but assumable by an account: not a role this tool writes, so its tags are never read.
    const assumedByAccount = `${stack}-account`;
    await clients.iam.send(
      new CreateRoleCommand({
        RoleName: assumedByAccount,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sts:AssumeRole" }],
        }),
        Tags: [{ Key: STACK_TAG, Value: stack }],
      }),
    );

    recorded.reset();
    const found = await rolesReconciler.discover(contextOf(stack), new Set());
    expect(writes()).toEqual([]);
    // One listing of the whole account, whatever the number of roles: none is read on its own.
    expect(actions()).toEqual(["GetAccountAuthorizationDetails"]);
    expect(found.map((r) => r.name)).toEqual([`${stack}-a`, `${stack}-b`]);
    // What pruning needs, as observe reads it; the description and session length (ListRoles') only where a spec sets them.
    const { description: _description, maxSessionDuration: _session, ...observed } = (await observeOne(mine["a"]!, contextOf(stack)))!;
    expect(found[0]).toMatchObject(observed);
    expect(found[1]!.path).toBe("/deep/path/");

    // A role observe already read (known by its ARN) is neither read again nor returned.
    recorded.reset();
    const rest = await rolesReconciler.discover(contextOf(stack), new Set([found[0]!.id]));
    expect(rest.map((r) => r.name)).toEqual([`${stack}-b`]);

    expect((await rolesReconciler.discover(contextOf(other), new Set())).map((r) => r.name)).toEqual([`${other}-a`]);

    for (const role of [...found, ...(await rolesReconciler.discover(contextOf(other), new Set()))])
      await rolesReconciler.delete(role, contextOf(stack));
    for (const RoleName of [untagged, assumedByAccount]) await clients.iam.send(new DeleteRoleCommand({ RoleName }));
    expect(await rolesReconciler.discover(contextOf(stack), new Set())).toEqual([]);
  });
});

function sortByArn<T extends { arn: string }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => a.arn.localeCompare(b.arn));
}
