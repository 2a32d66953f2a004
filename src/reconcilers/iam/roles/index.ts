import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetRoleCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
  paginateGetAccountAuthorizationDetails,
  paginateListRoles,
  type Role,
  type RoleDetail,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { isDeepStrictEqual } from "node:util";
import type { AwsClients } from "../../../aws/clients.js";
import { isNotFound } from "../../../aws/errors.js";
import { fromTagList, toTagList } from "../../diff-helpers.js";
import { sharedRead, STACK_TAG, type Context, type Reconciler } from "../../contract.js";
import { createRecognising } from "../../recognise.js";
import { writeIamRoleTags } from "../api.js";
import {
  createdRole,
  diffRole,
  isCandidate,
  observedRole,
  partitionOf,
  policyNameOf,
  previewRole,
  roleNodes,
  updatedRole,
  type AttachedPolicy,
  type ManagedPolicyRef,
  type ObservedRole,
  type RoleChange,
  type RoleDesired,
} from "./model.js";
import { normalisePolicyDocument, type CanonicalPolicyDocument } from "./policy-document.js";

export const rolesReconciler: Reconciler<RoleDesired, ObservedRole, RoleChange> = {
  kind: "roles",
  refersTo: [],
  looksUp: [],
  nodes: roleNodes,

  async observe(desired, ctx) {
    // Only a role whose spec sets them needs its description and session length, which only ListRoles gives.
    const withSettings = desired.some(({ value }) => value.description !== undefined || value.maxSessionDuration !== undefined);
    const roles = await accountRoles(ctx, withSettings);
    return new Map(
      desired.flatMap(({ address, value }) => {
        const live = roles.get(value.name);
        return live ? [[address, toObserved(live)] as const] : [];
      }),
    );
  },

  /**
   * IAM roles are not in the Resource Groups Tagging API's GetResources: the stack's roles are picked from the
   * account's, read whole (policies and tags included) by the listing observe reads too. AWS's own roles
   * (/aws-service-role/, /aws-reserved/) and roles that people or accounts assume are never the stack's: this
   * tool only creates roles for services.
   */
  async discover(ctx, known) {
    const roles = [...(await accountRoles(ctx, false)).values()];
    return roles
      .filter((live) => fromTagList(live.role.Tags)[STACK_TAG] === ctx.stack && !known.has(live.role.Arn ?? "") && isCandidate(live.role))
      .map(toObserved)
      .sort((a, b) => a.name.localeCompare(b.name));
  },

  diff: diffRole,

  async create(desired, ctx) {
    const { iam } = ctx.clients;
    // Every policy name is resolved before anything is written: a misspelt one must not leave a half-made role.
    const toAttach = await resolvePolicyArns(desired.managedPolicies, ctx);
    const role = await createRecognising(
      async () =>
        (
          await iam.send(
            new CreateRoleCommand({
              RoleName: desired.name,
              Path: desired.path,
              AssumeRolePolicyDocument: JSON.stringify(desired.trustPolicy),
              Description: desired.description,
              MaxSessionDuration: desired.maxSessionDuration,
              Tags: toTagList(desired.tags),
            }),
          )
        ).Role,
      desired.tags,
      {
        alreadyExists: ["EntityAlreadyExists"],
        read: async () => (await ifExists(iam.send(new GetRoleCommand({ RoleName: desired.name }))))?.Role,
        tagsOf: (found) => fromTagList(found.Tags),
        matches: (found) =>
          isDeepStrictEqual(normalisePolicyDocument(found.AssumeRolePolicyDocument ?? "{}"), normalisePolicyDocument(desired.trustPolicy)),
      },
    );
    for (const PolicyArn of toAttach) await iam.send(new AttachRolePolicyCommand({ RoleName: desired.name, PolicyArn }));
    for (const [PolicyName, document] of Object.entries(desired.inlinePolicies))
      await iam.send(new PutRolePolicyCommand({ RoleName: desired.name, PolicyName, PolicyDocument: JSON.stringify(document) }));
    return createdRole(desired, role, toAttach);
  },

  async update(change, observed, ctx) {
    const { iam } = ctx.clients;
    const RoleName = observed.name;
    // Resolved before the first write, as in create.
    const toAttach = await resolvePolicyArns(change.attach, ctx);
    if (change.trustPolicy)
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: JSON.stringify(change.trustPolicy) }));
    for (const PolicyArn of toAttach) await iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn }));
    for (const PolicyArn of change.detach) await iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn }));
    for (const [PolicyName, document] of Object.entries(change.putInline))
      await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument: JSON.stringify(document) }));
    for (const PolicyName of change.deleteInline) await iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName }));
    if (change.updateRole) await iam.send(new UpdateRoleCommand(change.updateRole));
    await writeIamRoleTags(ctx, RoleName, change.tags);
    return updatedRole(observed, change, toAttach);
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

  preview: previewRole,

  outputs(observed) {
    return { arn: observed.arn, name: observed.name };
  },
};

// ---- reading -------------------------------------------------------------------------------------------

/** The call's result, or undefined when IAM answers that the entity does not exist. */
async function ifExists<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Every role of the account, whole, in one listing per plan, one call per 1,000 roles whatever the number of roles
 * in the spec: GetAccountAuthorizationDetails gives each role's trust policy, attached and inline policies and
 * tags. Its description and maximum session duration it leaves out: `withSettings` adds ListRoles (beside it,
 * as paged) for them. (Per role, GetRole, ListAttachedRolePolicies, ListRolePolicies and GetRolePolicy would be
 * four calls or more, and discovery one ListRoleTags per candidate besides.) A role created between the two
 * answers is in one only: it is left out, as if read a moment earlier.
 */
async function accountRoles(ctx: Context, withSettings: boolean): Promise<Map<string, LiveRole>> {
  const [details, listed] = await Promise.all([
    sharedRead(ctx, "iam GetAccountAuthorizationDetails", () => roleDetails(ctx.clients)),
    withSettings ? sharedRead(ctx, "iam ListRoles", () => listRoles(ctx.clients)) : undefined,
  ]);
  const roles = new Map<string, LiveRole>();
  for (const detail of details) {
    const name = detail.RoleName;
    const settings = name === undefined ? undefined : listed?.get(name);
    if (name === undefined || (listed && !settings)) continue;
    const role: Role = {
      RoleName: name,
      Arn: detail.Arn,
      RoleId: detail.RoleId,
      Path: detail.Path,
      CreateDate: detail.CreateDate,
      AssumeRolePolicyDocument: detail.AssumeRolePolicyDocument,
      Tags: detail.Tags,
      ...(settings && { Description: settings.Description, MaxSessionDuration: settings.MaxSessionDuration }),
    };
    roles.set(name, { role, detail });
  }
  return roles;
}

interface LiveRole {
  role: Role;
  detail: RoleDetail;
}

/** Only the roles the stack reads are converted: another tool's role whose documents are not JSON stops nothing here. */
function toObserved({ role, detail }: LiveRole): ObservedRole {
  const attached = (detail.AttachedManagedPolicies ?? []).flatMap((p) =>
    p.PolicyArn ? [{ name: p.PolicyName ?? policyNameOf(p.PolicyArn), arn: p.PolicyArn }] : [],
  );
  const inline = Object.fromEntries(
    (detail.RolePolicyList ?? []).flatMap((p) =>
      p.PolicyName && p.PolicyDocument ? [[p.PolicyName, normalisePolicyDocument(p.PolicyDocument)] as const] : [],
    ),
  );
  return observedRole(role.RoleName!, role, attached, inline);
}

async function listRoles(clients: AwsClients): Promise<Map<string, Role>> {
  const roles = new Map<string, Role>();
  for await (const page of paginateListRoles({ client: clients.iam, pageSize: 1000 }, {}))
    for (const role of page.Roles ?? []) if (role.RoleName) roles.set(role.RoleName, role);
  return roles;
}

async function roleDetails(clients: AwsClients): Promise<RoleDetail[]> {
  const roles: RoleDetail[] = [];
  for await (const page of paginateGetAccountAuthorizationDetails({ client: clients.iam, pageSize: 1000 }, { Filter: ["Role"] }))
    roles.push(...(page.RoleDetailList ?? []));
  return roles;
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

// ---- managed policy ARNs -------------------------------------------------------------------------------

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

/** The distinct ARNs the refs name: two names may resolve to one policy. */
async function resolvePolicyArns(refs: readonly ManagedPolicyRef[], ctx: Context): Promise<string[]> {
  return [...new Set(await Promise.all(refs.map((ref) => resolvePolicyArn(ref, ctx))))];
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
