import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
  paginateListRoleTags,
  paginateListRoles,
  type Role,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { AwsClients } from "../../../aws/clients.js";
import type { FieldDiff } from "../../../plan/model.js";
import type { PolicyDocument, RoleSpec } from "../../../schema/iam.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { mapConcurrently } from "../../shared/collections.js";
import { diffField, diffTags, fromTagList, tagChanges, toTagList } from "../../shared/diff-helpers.js";
import { normalisePolicyDocument, type CanonicalPolicyDocument } from "./policy-document.js";
import {
  STACK_TAG,
  addressOf,
  ownedTags,
  type Context,
  type DesiredNode,
  type Observed,
  type LegacyReconciler,
  type Tags,
} from "../../shared/types.js";

/** A managed policy as the spec names it: AWS's or the account's by name, or any by ARN. */
export type ManagedPolicyRef = { name: string } | { arn: string };

export interface RoleDesired {
  name: string;
  path: string;
  description?: string;
  trustPolicy: PolicyDocument;
  managedPolicies: ManagedPolicyRef[];
  inlinePolicies: Record<string, PolicyDocument>;
  maxSessionDuration?: number;
  tags: Tags;
}

export interface AttachedPolicy {
  name: string;
  arn: string;
}

export interface ObservedRole extends Observed {
  arn: string;
  path: string;
  description?: string;
  maxSessionDuration: number;
  trustPolicy: CanonicalPolicyDocument;
  attachedPolicies: AttachedPolicy[];
  inlinePolicies: Record<string, CanonicalPolicyDocument>;
}

const DEFAULT_MAX_SESSION_DURATION = 3600;
const MANAGED_PREFIX = "managedPolicies[";
const INLINE_PREFIX = "inlinePolicies.";

export const rolesReconciler: LegacyReconciler<RoleDesired, ObservedRole> = {
  kind: "roles",
  refersTo: [],
  looksUp: [],

  nodes(spec: Spec): DesiredNode<RoleDesired>[] {
    return Object.entries(spec.roles).map(([logical, entry]) => {
      const desired = desiredRole(spec, logical, entry);
      return {
        kind: "roles",
        logical,
        address: addressOf("roles", logical),
        name: desired.name,
        dependsOn: [],
        adopt: entry.adopt ?? false,
        readOnly: false,
        build: () => desired,
      };
    });
  },

  async observe(desired, ctx) {
    const found = await Promise.all(desired.map(async ({ address, value }) => [address, await readRole(ctx.clients, value.name)] as const));
    return new Map(found.filter((entry): entry is readonly [string, ObservedRole] => entry[1] !== undefined));
  },

  /**
   * IAM roles are not in the Resource Groups Tagging API's GetResources, and ListRoles returns no tags, so
   * finding the stack's roles costs: every page of ListRoles (up to 1000 roles a page), one ListRoleTags per
   * role that only service principals may assume (roles of other stacks and tools included; at most 5 at a
   * time), then a full read (GetRole, ListAttachedRolePolicies, ListRolePolicies, GetRolePolicy each) of the
   * stack's own roles. AWS's own roles (/aws-service-role/, /aws-reserved/) and roles that people or
   * accounts assume are skipped without a call: this tool only creates roles for services.
   */
  async discover(ctx, known) {
    const candidates: string[] = [];
    for await (const page of paginateListRoles({ client: ctx.clients.iam, pageSize: 1000 }, {})) {
      for (const role of page.Roles ?? [])
        if (role.RoleName && !known.has(role.Arn ?? "") && isCandidate(role)) candidates.push(role.RoleName);
    }
    const owned = await mapConcurrently(candidates, 5, async (name) =>
      (await readRoleTags(ctx.clients, name))?.[STACK_TAG] === ctx.stack ? name : undefined,
    );
    const roles = await Promise.all(owned.filter((name) => name !== undefined).map((name) => readRole(ctx.clients, name)));
    // Checked again on the full read: the tag may have changed since ListRoleTags.
    return roles
      .filter((role): role is ObservedRole => role !== undefined && role.tags[STACK_TAG] === ctx.stack)
      .sort((a, b) => a.name.localeCompare(b.name));
  },

  diff(desired, observed) {
    return [
      ...diffField("path", observed.path, desired.path, { forcesReplacement: true }),
      ...diffField("trustPolicy", observed.trustPolicy, normalisePolicyDocument(desired.trustPolicy)),
      ...diffManagedPolicies(desired.managedPolicies, observed.attachedPolicies),
      ...diffInlinePolicies(desired.inlinePolicies, observed.inlinePolicies),
      // AWS reports no description as "" or not at all: both mean none.
      ...(desired.description !== undefined ? diffField("description", observed.description ?? "", desired.description) : []),
      ...(desired.maxSessionDuration !== undefined
        ? diffField("maxSessionDuration", observed.maxSessionDuration, desired.maxSessionDuration)
        : []),
      ...diffTags(desired.tags, observed.tags),
    ];
  },

  async create(desired, ctx) {
    const { iam } = ctx.clients;
    // Every policy name is resolved before anything is written: a misspelt one must not leave a half-made role.
    const toAttach = await Promise.all(desired.managedPolicies.map((ref) => resolvePolicyArn(ref, ctx)));
    const { Role: role } = await iam.send(
      new CreateRoleCommand({
        RoleName: desired.name,
        Path: desired.path,
        AssumeRolePolicyDocument: JSON.stringify(desired.trustPolicy),
        Description: desired.description,
        MaxSessionDuration: desired.maxSessionDuration,
        Tags: toTagList(desired.tags),
      }),
    );
    for (const arn of new Set(toAttach)) await iam.send(new AttachRolePolicyCommand({ RoleName: desired.name, PolicyArn: arn }));
    for (const [policyName, document] of Object.entries(desired.inlinePolicies)) {
      await iam.send(
        new PutRolePolicyCommand({ RoleName: desired.name, PolicyName: policyName, PolicyDocument: JSON.stringify(document) }),
      );
    }
    const arn = role?.Arn ?? "";
    return {
      name: desired.name,
      id: arn,
      arn,
      tags: role?.Tags ? fromTagList(role.Tags) : { ...desired.tags },
      path: role?.Path ?? desired.path,
      ...(desired.description !== undefined && { description: desired.description }),
      maxSessionDuration: role?.MaxSessionDuration ?? desired.maxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION,
      trustPolicy: normalisePolicyDocument(desired.trustPolicy),
      attachedPolicies: [...new Set(toAttach)].map((policyArn) => ({ name: policyNameOf(policyArn), arn: policyArn })),
      inlinePolicies: mapValues(desired.inlinePolicies, normalisePolicyDocument),
    };
  },

  async update(desired, observed, diffs, ctx) {
    const { iam } = ctx.clients;
    const RoleName = observed.name;
    const next: ObservedRole = {
      ...observed,
      tags: { ...observed.tags },
      attachedPolicies: [...observed.attachedPolicies],
      inlinePolicies: { ...observed.inlinePolicies },
    };

    const managed = diffs.filter((d) => d.path.startsWith(MANAGED_PREFIX));
    const toAttach = managed.filter((d) => d.after === "attached").map((d) => policyRefOf(managedKeyOf(d.path)));
    const toDetach = managed
      .filter((d) => d.before === "attached" && d.after === undefined)
      .flatMap((d) => observed.attachedPolicies.filter((p) => matchesKey(p, managedKeyOf(d.path))));
    // Resolved before the first write, as in create.
    const attachArns = await Promise.all(toAttach.map((ref) => resolvePolicyArn(ref, ctx)));

    if (diffs.some((d) => d.path === "trustPolicy")) {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: JSON.stringify(desired.trustPolicy) }));
      next.trustPolicy = normalisePolicyDocument(desired.trustPolicy);
    }

    for (const policyArn of new Set(attachArns)) {
      await iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: policyArn }));
      next.attachedPolicies.push({ name: policyNameOf(policyArn), arn: policyArn });
    }
    for (const policy of toDetach) {
      await iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: policy.arn }));
      next.attachedPolicies = next.attachedPolicies.filter((p) => p.arn !== policy.arn);
    }

    for (const d of diffs.filter((d) => d.path.startsWith(INLINE_PREFIX))) {
      const policyName = d.path.slice(INLINE_PREFIX.length);
      const document = desired.inlinePolicies[policyName];
      if (document) {
        await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: policyName, PolicyDocument: JSON.stringify(document) }));
        next.inlinePolicies[policyName] = normalisePolicyDocument(document);
      } else {
        await iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: policyName }));
        delete next.inlinePolicies[policyName];
      }
    }

    if (diffs.some((d) => d.path === "description" || d.path === "maxSessionDuration")) {
      // Both fields every time: UpdateRole without Description clears the description on moto, and neither
      // field must change unless the spec says so.
      const description = desired.description ?? observed.description;
      const maxSessionDuration = desired.maxSessionDuration ?? observed.maxSessionDuration;
      await iam.send(new UpdateRoleCommand({ RoleName, Description: description, MaxSessionDuration: maxSessionDuration }));
      next.maxSessionDuration = maxSessionDuration;
      if (description !== undefined) next.description = description;
    }

    const tags = tagChanges(diffs, desired.tags);
    if (Object.keys(tags.set).length > 0) {
      await iam.send(new TagRoleCommand({ RoleName, Tags: toTagList(tags.set) }));
      Object.assign(next.tags, tags.set);
    }
    if (tags.remove.length > 0) {
      await iam.send(new UntagRoleCommand({ RoleName, TagKeys: tags.remove }));
      for (const key of tags.remove) delete next.tags[key];
    }
    return next;
  },

  /** AWS refuses DeleteRole while policies are attached: the live lists are read again and emptied first. */
  async delete(observed, ctx) {
    const { iam } = ctx.clients;
    const RoleName = observed.name;
    const attached = await ifExists(listAttachedPolicies(ctx.clients, RoleName));
    if (!attached) return;
    for (const policy of attached) await ifExists(iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: policy.arn })));
    const inline = await ifExists(listInlinePolicyNames(ctx.clients, RoleName));
    if (!inline) return;
    for (const PolicyName of inline) await ifExists(iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName })));
    await ifExists(iam.send(new DeleteRoleCommand({ RoleName })));
  },

  /** A role to be created, in the paths its diffs use. */
  preview(desired) {
    return [
      { path: "name", after: desired.name },
      { path: "path", after: desired.path },
      { path: "trustPolicy", after: normalisePolicyDocument(desired.trustPolicy) },
      ...desired.managedPolicies.map((ref): FieldDiff => ({ path: `${MANAGED_PREFIX}${refKey(ref)}]`, after: "attached" })),
      ...Object.entries(desired.inlinePolicies).map(([name, document]): FieldDiff => ({
        path: `${INLINE_PREFIX}${name}`,
        after: normalisePolicyDocument(document),
      })),
      ...(desired.description !== undefined ? [{ path: "description", after: desired.description }] : []),
      ...(desired.maxSessionDuration !== undefined ? [{ path: "maxSessionDuration", after: desired.maxSessionDuration }] : []),
      ...Object.entries(desired.tags).map(([key, value]) => ({ path: `tags.${key}`, after: value })),
    ];
  },

  outputs(observed) {
    return { arn: observed.arn, name: observed.name };
  },
};

function desiredRole(spec: Spec, logical: string, entry: RoleSpec): RoleDesired {
  return {
    name: physicalName(spec, "roles", logical),
    path: entry.path ?? "/",
    ...(entry.description !== undefined && { description: entry.description }),
    trustPolicy: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: [...entry.trustedServices] }, Action: "sts:AssumeRole" }],
    },
    managedPolicies: entry.managedPolicies.map((p) => (p.startsWith("arn:") ? { arn: p } : { name: p })),
    inlinePolicies: { ...entry.inlinePolicies },
    ...(entry.maxSessionDurationSeconds !== undefined && { maxSessionDuration: entry.maxSessionDurationSeconds }),
    tags: ownedTags(spec, "roles", logical, entry.tags),
  };
}

// ---- diff ----------------------------------------------------------------------------------------------

const refKey = (ref: ManagedPolicyRef) => ("arn" in ref ? ref.arn : ref.name);
const matchesRef = (policy: AttachedPolicy, ref: ManagedPolicyRef) => ("arn" in ref ? policy.arn === ref.arn : policy.name === ref.name);
const matchesKey = (policy: AttachedPolicy, key: string) => matchesRef(policy, policyRefOf(key));
const policyRefOf = (key: string): ManagedPolicyRef => (key.startsWith("arn:") ? { arn: key } : { name: key });
const managedKeyOf = (path: string) => path.slice(MANAGED_PREFIX.length, -1);

/** A desired policy missing is attached; an attached one the spec does not name is detached (keyed by its ARN). */
function diffManagedPolicies(desired: readonly ManagedPolicyRef[], attached: readonly AttachedPolicy[]): FieldDiff[] {
  const missing = desired.filter((ref) => !attached.some((p) => matchesRef(p, ref))).map(refKey);
  const extra = attached.filter((p) => !desired.some((ref) => matchesRef(p, ref))).map((p) => p.arn);
  return [
    ...[...new Set(missing)].sort().map((key): FieldDiff => ({ path: `${MANAGED_PREFIX}${key}]`, after: "attached" })),
    ...[...new Set(extra)].sort().map((key): FieldDiff => ({ path: `${MANAGED_PREFIX}${key}]`, before: "attached" })),
  ];
}

function diffInlinePolicies(desired: Record<string, PolicyDocument>, observed: Record<string, CanonicalPolicyDocument>): FieldDiff[] {
  const names = [...new Set([...Object.keys(desired), ...Object.keys(observed)])].sort();
  return names.flatMap((name) => {
    const want = desired[name];
    return diffField(`${INLINE_PREFIX}${name}`, observed[name], want === undefined ? undefined : normalisePolicyDocument(want));
  });
}

// ---- reading -------------------------------------------------------------------------------------------

const isNoSuchEntity = (e: unknown) => e instanceof Error && (e.name === "NoSuchEntityException" || e.name === "NoSuchEntity");

/** The call's result, or undefined when IAM answers that the entity does not exist. */
async function ifExists<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (e) {
    if (isNoSuchEntity(e)) return undefined;
    throw e;
  }
}

/** The full observed state of one role; undefined when it does not exist (or vanished while being read). */
async function readRole(clients: AwsClients, name: string): Promise<ObservedRole | undefined> {
  const read = await ifExists(
    (async () => {
      const { Role: role } = await clients.iam.send(new GetRoleCommand({ RoleName: name }));
      const [attachedPolicies, inlinePolicies] = await Promise.all([
        listAttachedPolicies(clients, name),
        readInlinePolicies(clients, name),
      ]);
      return role && { role, attachedPolicies, inlinePolicies };
    })(),
  );
  if (!read) return undefined;
  const { role, attachedPolicies, inlinePolicies } = read;
  const arn = role.Arn ?? "";
  return {
    name: role.RoleName ?? name,
    id: arn,
    arn,
    tags: fromTagList(role.Tags),
    path: role.Path ?? "/",
    ...(role.Description !== undefined && { description: role.Description }),
    maxSessionDuration: role.MaxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION,
    trustPolicy: normalisePolicyDocument(role.AssumeRolePolicyDocument ?? "{}"),
    attachedPolicies,
    inlinePolicies,
  };
}

async function listAttachedPolicies(clients: AwsClients, roleName: string): Promise<AttachedPolicy[]> {
  const policies: AttachedPolicy[] = [];
  for await (const page of paginateListAttachedRolePolicies({ client: clients.iam }, { RoleName: roleName })) {
    for (const p of page.AttachedPolicies ?? [])
      if (p.PolicyArn) policies.push({ name: p.PolicyName ?? policyNameOf(p.PolicyArn), arn: p.PolicyArn });
  }
  return policies;
}

async function listInlinePolicyNames(clients: AwsClients, roleName: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListRolePolicies({ client: clients.iam }, { RoleName: roleName }))
    names.push(...(page.PolicyNames ?? []));
  return names;
}

async function readInlinePolicies(clients: AwsClients, roleName: string): Promise<Record<string, CanonicalPolicyDocument>> {
  const names = await listInlinePolicyNames(clients, roleName);
  const documents = await Promise.all(
    names.map(async (PolicyName) => {
      // Deleted between the list and this read: it is not there.
      const policy = await ifExists(clients.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName })));
      return policy?.PolicyDocument === undefined ? undefined : ([PolicyName, normalisePolicyDocument(policy.PolicyDocument)] as const);
    }),
  );
  return Object.fromEntries(documents.filter((d) => d !== undefined));
}

async function readRoleTags(clients: AwsClients, roleName: string): Promise<Tags | undefined> {
  return ifExists(
    (async () => {
      const tags: Tags = {};
      for await (const page of paginateListRoleTags({ client: clients.iam }, { RoleName: roleName }))
        Object.assign(tags, fromTagList(page.Tags));
      return tags;
    })(),
  );
}

/** Could this be one of the tool's roles: not AWS's own, and assumable only by services? */
function isCandidate(role: Role): boolean {
  const path = role.Path ?? "/";
  if (path.startsWith("/aws-service-role/") || path.startsWith("/aws-reserved/")) return false;
  if (role.AssumeRolePolicyDocument === undefined) return false;
  let trust: CanonicalPolicyDocument;
  try {
    trust = normalisePolicyDocument(role.AssumeRolePolicyDocument);
  } catch {
    // A trust policy that is not JSON was not written by this tool; it must not stop discovery of the others.
    return false;
  }
  return (
    trust.Statement.length > 0 &&
    trust.Statement.every((s) => {
      const principal = s["Principal"];
      return (
        typeof principal === "object" && principal !== null && !Array.isArray(principal) && Object.keys(principal).join() === "Service"
      );
    })
  );
}

function mapValues<A, B>(record: Record<string, A>, fn: (value: A) => B): Record<string, B> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]));
}

// ---- managed policy ARNs -------------------------------------------------------------------------------

/** `arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy` → `AmazonECSTaskExecutionRolePolicy`. */
const policyNameOf = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

interface PolicyLookups {
  arns: Map<string, Promise<string>>;
  account?: Promise<string>;
}

/** Per set of clients (one run): each policy name and the account id are looked up once. */
const lookups = new WeakMap<AwsClients, PolicyLookups>();

function lookupsFor(clients: AwsClients): PolicyLookups {
  let found = lookups.get(clients);
  if (!found) {
    found = { arns: new Map() };
    lookups.set(clients, found);
  }
  return found;
}

/** Caches a lookup, but not its failure: a later attempt in the same run asks again. */
function cached<T>(get: () => Promise<T> | undefined, set: (p: Promise<T> | undefined) => void, make: () => Promise<T>): Promise<T> {
  const existing = get();
  if (existing) return existing;
  const made = make();
  set(made);
  made.catch(() => set(undefined));
  return made;
}

async function resolvePolicyArn(ref: ManagedPolicyRef, ctx: Context): Promise<string> {
  if ("arn" in ref) return ref.arn;
  const state = lookupsFor(ctx.clients);
  return cached(
    () => state.arns.get(ref.name),
    (p) => (p ? state.arns.set(ref.name, p) : state.arns.delete(ref.name)),
    () => findPolicyArn(ref.name, ctx, state),
  );
}

/** AWS managed policies live at the root or under /service-role/ or /job-function/; then the account's own. */
async function findPolicyArn(name: string, ctx: Context, state: PolicyLookups): Promise<string> {
  const partition = partitionOf(ctx.region);
  const tried: string[] = [];
  for (const path of ["", "service-role/", "job-function/"]) {
    const arn = `arn:${partition}:iam::aws:policy/${path}${name}`;
    tried.push(arn);
    if (await policyExists(ctx.clients, arn)) return arn;
  }
  const account = await cached(
    () => state.account,
    (p) => (state.account = p),
    async () => (await ctx.clients.sts.send(new GetCallerIdentityCommand({}))).Account ?? "",
  );
  const own = `arn:${partition}:iam::${account}:policy/${name}`;
  tried.push(own);
  if (await policyExists(ctx.clients, own)) return own;
  throw new Error(
    `managed policy ${name} not found: neither an AWS managed policy nor one of account ${account} (tried ${tried.join(", ")})`,
  );
}

async function policyExists(clients: AwsClients, arn: string): Promise<boolean> {
  return (await ifExists(clients.iam.send(new GetPolicyCommand({ PolicyArn: arn })))) !== undefined;
}
