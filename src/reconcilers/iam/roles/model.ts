import type { Role, UpdateRoleCommandInput } from "@aws-sdk/client-iam";
import type { FieldDiff } from "../../../plan/model.js";
import type { PolicyDocument, RoleSpec } from "../../../schema/iam.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { applyTagChange, diffField, diffTags, fromTagList, sortedSet, tagChange, type TagChange } from "../../diff-helpers.js";
import { desiredNode, ownedTags, type DesiredNode, type Diff, type Observed, type Tags } from "../../contract.js";
import { normalisePolicyDocument, type CanonicalPolicyDocument } from "./policy-document.js";

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

/** UpdateRole sets both fields every time (see updateRoleInput). */
export type UpdateRoleInput = UpdateRoleCommandInput & { RoleName: string; MaxSessionDuration: number };

/** What update writes to a role, each part only when its field lines are there. */
export interface RoleChange {
  /** The trust policy for UpdateAssumeRolePolicy. */
  trustPolicy?: PolicyDocument;
  /** As the spec names them: a name is resolved to its ARN before the first write. */
  attach: ManagedPolicyRef[];
  /** ARNs of attached policies the spec does not name. */
  detach: string[];
  /** Inline policies to put, by name: missing or different ones. */
  putInline: Record<string, PolicyDocument>;
  /** Names of inline policies the spec does not have. */
  deleteInline: string[];
  updateRole?: UpdateRoleInput;
  tags: TagChange;
}

const DEFAULT_MAX_SESSION_DURATION = 3600;
const MANAGED_PREFIX = "managedPolicies[";
const INLINE_PREFIX = "inlinePolicies.";

export function roleNodes(spec: Spec): DesiredNode<RoleDesired>[] {
  return Object.entries(spec.roles).map(([logical, entry]) => {
    const desired = desiredRole(spec, logical, entry);
    return desiredNode({ kind: "roles", logical, name: desired.name, dependsOn: [], adopt: entry.adopt ?? false, build: () => desired });
  });
}

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

export function diffRole(desired: RoleDesired, observed: ObservedRole): Diff<RoleChange> {
  const trust = diffField("trustPolicy", observed.trustPolicy, normalisePolicyDocument(desired.trustPolicy));
  const managed = diffManagedPolicies(desired.managedPolicies, observed.attachedPolicies);
  const inline = diffInlinePolicies(desired.inlinePolicies, observed.inlinePolicies);
  // AWS reports no description as "" or not at all: both mean none.
  const description = desired.description !== undefined ? diffField("description", observed.description ?? "", desired.description) : [];
  const session =
    desired.maxSessionDuration !== undefined
      ? diffField("maxSessionDuration", observed.maxSessionDuration, desired.maxSessionDuration)
      : [];
  return {
    lines: [
      ...diffField("path", observed.path, desired.path, { forcesReplacement: true }),
      ...trust,
      ...managed.lines,
      ...inline.lines,
      ...description,
      ...session,
      ...diffTags(desired.tags, observed.tags),
    ],
    change: {
      ...(trust.length > 0 && { trustPolicy: desired.trustPolicy }),
      attach: managed.attach,
      detach: managed.detach,
      putInline: inline.put,
      deleteInline: inline.remove,
      ...(description.length + session.length > 0 && { updateRole: updateRoleInput(desired, observed) }),
      tags: tagChange(desired.tags, observed.tags),
    },
  };
}

/**
 * Both fields every time: UpdateRole without Description clears the description on moto, and neither field
 * must change unless the spec says so.
 */
function updateRoleInput(desired: RoleDesired, observed: ObservedRole): UpdateRoleInput {
  return {
    RoleName: observed.name,
    Description: desired.description ?? observed.description,
    MaxSessionDuration: desired.maxSessionDuration ?? observed.maxSessionDuration,
  };
}

const refKey = (ref: ManagedPolicyRef) => ("arn" in ref ? ref.arn : ref.name);
const matchesRef = (policy: AttachedPolicy, ref: ManagedPolicyRef) => ("arn" in ref ? policy.arn === ref.arn : policy.name === ref.name);
const managedPath = (key: string) => `${MANAGED_PREFIX}${key}]`;

/** A desired policy missing is attached; an attached one the spec does not name is detached (keyed by its ARN). */
function diffManagedPolicies(desired: readonly ManagedPolicyRef[], attached: readonly AttachedPolicy[]) {
  const missing = new Map(desired.filter((ref) => !attached.some((p) => matchesRef(p, ref))).map((ref) => [refKey(ref), ref]));
  const attach = [...missing.keys()].sort().map((key) => missing.get(key)!);
  const detach = [...new Set(attached.filter((p) => !desired.some((ref) => matchesRef(p, ref))).map((p) => p.arn))].sort();
  const lines = [
    ...attach.map((ref): FieldDiff => ({ path: managedPath(refKey(ref)), after: "attached" })),
    ...detach.map((arn): FieldDiff => ({ path: managedPath(arn), before: "attached" })),
  ];
  return { lines, attach, detach };
}

function diffInlinePolicies(desired: Record<string, PolicyDocument>, observed: Record<string, CanonicalPolicyDocument>) {
  const lines: FieldDiff[] = [];
  const put: Record<string, PolicyDocument> = {};
  const remove: string[] = [];
  for (const name of sortedSet([...Object.keys(desired), ...Object.keys(observed)])) {
    const want = desired[name];
    const line = diffField(`${INLINE_PREFIX}${name}`, observed[name], want === undefined ? undefined : normalisePolicyDocument(want));
    if (line.length === 0) continue;
    lines.push(...line);
    if (want === undefined) remove.push(name);
    else put[name] = want;
  }
  return { lines, put, remove };
}

/** A role to be created, in the paths its diffs use. */
export function previewRole(desired: RoleDesired): FieldDiff[] {
  return [
    { path: "name", after: desired.name },
    { path: "path", after: desired.path },
    { path: "trustPolicy", after: normalisePolicyDocument(desired.trustPolicy) },
    ...desired.managedPolicies.map((ref): FieldDiff => ({ path: managedPath(refKey(ref)), after: "attached" })),
    ...Object.entries(desired.inlinePolicies).map(([name, document]): FieldDiff => ({
      path: `${INLINE_PREFIX}${name}`,
      after: normalisePolicyDocument(document),
    })),
    ...(desired.description !== undefined ? [{ path: "description", after: desired.description }] : []),
    ...(desired.maxSessionDuration !== undefined ? [{ path: "maxSessionDuration", after: desired.maxSessionDuration }] : []),
    ...Object.entries(desired.tags).map(([key, value]) => ({ path: `tags.${key}`, after: value })),
  ];
}

// ---- observed state ------------------------------------------------------------------------------------

/** GetRole's answer and the role's policies, as diff compares them. */
export function observedRole(
  name: string,
  role: Role,
  attachedPolicies: AttachedPolicy[],
  inlinePolicies: Record<string, CanonicalPolicyDocument>,
): ObservedRole {
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

/** The role as create made it, from CreateRole's answer and what was written, without reading it back. */
export function createdRole(desired: RoleDesired, role: Role | undefined, attachedArns: readonly string[]): ObservedRole {
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
    attachedPolicies: attachedArns.map(attachedPolicy),
    inlinePolicies: mapValues(desired.inlinePolicies, normalisePolicyDocument),
  };
}

/** The role once update has made the change; `attachedArns` are the ARNs its `attach` resolved to. */
export function updatedRole(observed: ObservedRole, change: RoleChange, attachedArns: readonly string[]): ObservedRole {
  const detached = new Set(change.detach);
  const inlinePolicies = { ...observed.inlinePolicies, ...mapValues(change.putInline, normalisePolicyDocument) };
  for (const name of change.deleteInline) delete inlinePolicies[name];
  const { updateRole } = change;
  return {
    ...observed,
    ...(change.trustPolicy && { trustPolicy: normalisePolicyDocument(change.trustPolicy) }),
    attachedPolicies: [...observed.attachedPolicies, ...attachedArns.map(attachedPolicy)].filter((p) => !detached.has(p.arn)),
    inlinePolicies,
    ...(updateRole && { maxSessionDuration: updateRole.MaxSessionDuration }),
    ...(updateRole?.Description !== undefined && { description: updateRole.Description }),
    tags: applyTagChange(observed.tags, change.tags),
  };
}

/** Could this be one of the tool's roles: not AWS's own, and assumable only by services? */
export function isCandidate(role: Role): boolean {
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
export const policyNameOf = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);

const attachedPolicy = (arn: string): AttachedPolicy => ({ name: policyNameOf(arn), arn });

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}
