/**
 * Task definitions (ECS), one family per spec entry. A task definition is immutable: every change registers a
 * new revision, and only when the normalised content differs from the live one (see
 * task-definition-normalise.ts), so a re-plan never registers anything.
 *
 * The live revision is the newest ACTIVE one of the family that carries this stack's tag, else the newest
 * ACTIVE one (whose owner the planner then judges). Revisions the stack registered carry its tags; others in
 * the family are never deregistered or deleted. After registering, only the newest `keepRevisions` of the
 * stack's ACTIVE revisions stay active: older ones are deregistered. Deleting a family deregisters the stack's
 * revisions and then deletes them (DeleteTaskDefinitions), so that nothing tagged as the stack's is left.
 */
import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  paginateListTaskDefinitions,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
  type TaskDefinitionStatus,
} from "@aws-sdk/client-ecs";
import { awsErrorIs } from "../../../aws/errors.js";
import { KnownAfterApply, type FieldDiff } from "../../../plan/model.js";
import type { ContainerSpec, TaskDefinitionSpec } from "../../../schema/ecs.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { diffTags, isTagDiff, known } from "../../shared/diff-helpers.js";
import { fromEcsTags, toEcsTags, updateEcsTags } from "../api.js";
import { findTaggedResources, parseArn, queryTaggedResources, resourcesOfType } from "../../shared/tagged-resources.js";
import {
  containerSummary,
  diffTaskDefinition,
  normaliseTaskDefinition,
  type ContainerDefinitionInput,
  type NormalisedTaskDefinition,
  type TaskDefinitionInput,
  type Unknowable,
} from "./normalise.js";
import { inBatches } from "../../shared/collections.js";
import {
  addressOf,
  ownedTags,
  STACK_TAG,
  type Context,
  type DesiredNode,
  type Observed,
  type Outputs,
  type LegacyReconciler,
  type Tags,
} from "../../shared/types.js";

export interface TaskDefinitionDesired {
  family: string;
  /** How many of the stack's newest ACTIVE revisions stay registered. */
  keepRevisions: number;
  /** What RegisterTaskDefinition is sent, apart from the family and the tags. */
  definition: TaskDefinitionInput;
  tags: Tags;
}

export interface ObservedTaskDefinition extends Observed {
  /** `name` is the family, `id` the revision's ARN. */
  revision: number;
  /** ACTIVE; INACTIVE only for a family discovered with nothing but deregistered revisions of the stack left. */
  status: string;
  definition: NormalisedTaskDefinition;
}

// ---------------------------------------------------------------------------------------------------------
// Desired state from the spec

const isArn = (reference: string) => reference.startsWith("arn:");

/** A role of the spec (its ARN, once known) or a role ARN given as is. */
function roleArn(outputs: Outputs, reference: string | undefined): Unknowable<string> | undefined {
  if (reference === undefined) return undefined;
  return isArn(reference) ? reference : outputs.string(addressOf("roles", reference), "arn");
}

/** `arn:jsonKey::` takes one key of a JSON secret (the version stage and id left to their defaults). */
function secretValueFrom(source: ContainerSpec["secrets"][string]): string {
  if ("ssmParameter" in source) return source.ssmParameter;
  return source.jsonKey === undefined ? source.secretsManager : `${source.secretsManager}:${source.jsonKey}::`;
}

function portMapping(mapping: ContainerSpec["portMappings"][number]) {
  if (typeof mapping === "number") return { containerPort: mapping, hostPort: mapping, protocol: "tcp" as const };
  return {
    containerPort: mapping.containerPort,
    hostPort: mapping.hostPort ?? mapping.containerPort,
    protocol: mapping.protocol,
    ...(mapping.name !== undefined && { name: mapping.name }),
    ...(mapping.appProtocol !== undefined && { appProtocol: mapping.appProtocol }),
  };
}

function healthCheck(check: NonNullable<ContainerSpec["healthCheck"]>) {
  return {
    command: check.command,
    ...(check.intervalSeconds !== undefined && { interval: check.intervalSeconds }),
    ...(check.timeoutSeconds !== undefined && { timeout: check.timeoutSeconds }),
    ...(check.retries !== undefined && { retries: check.retries }),
    ...(check.startPeriodSeconds !== undefined && { startPeriod: check.startPeriodSeconds }),
  };
}

function containerDefinition(spec: Spec, name: string, c: ContainerSpec, outputs: Outputs): ContainerDefinitionInput {
  const environment = Object.entries(c.environment).sort(([a], [b]) => a.localeCompare(b));
  const secrets = Object.entries(c.secrets).sort(([a], [b]) => a.localeCompare(b));
  const awslogs = c.logging?.awslogs;
  return {
    name,
    image: c.image,
    ...(c.cpu !== undefined && { cpu: c.cpu }),
    ...(c.memory !== undefined && { memory: c.memory }),
    ...(c.memoryReservation !== undefined && { memoryReservation: c.memoryReservation }),
    essential: c.essential,
    ...(c.portMappings.length > 0 && { portMappings: c.portMappings.map(portMapping) }),
    ...(environment.length > 0 && { environment: environment.map(([key, value]) => ({ name: key, value })) }),
    ...(secrets.length > 0 && { secrets: secrets.map(([key, source]) => ({ name: key, valueFrom: secretValueFrom(source) })) }),
    ...(c.dependsOn.length > 0 && { dependsOn: c.dependsOn.map((d) => ({ containerName: d.container, condition: d.condition })) }),
    ...(c.healthCheck && { healthCheck: healthCheck(c.healthCheck) }),
    ...(c.command && { command: c.command }),
    ...(c.entryPoint && { entryPoint: c.entryPoint }),
    ...(c.workingDirectory !== undefined && { workingDirectory: c.workingDirectory }),
    ...(c.user !== undefined && { user: c.user }),
    ...(awslogs && {
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": outputs.string(addressOf("logGroups", awslogs.logGroup), "name"),
          "awslogs-region": awslogs.region ?? spec.region,
          "awslogs-stream-prefix": awslogs.streamPrefix ?? name,
        },
      },
    }),
    ...(c.readonlyRootFilesystem !== undefined && { readonlyRootFilesystem: c.readonlyRootFilesystem }),
    ...(c.ulimits && { ulimits: c.ulimits }),
    ...(c.stopTimeoutSeconds !== undefined && { stopTimeout: c.stopTimeoutSeconds }),
    ...(c.startTimeoutSeconds !== undefined && { startTimeout: c.startTimeoutSeconds }),
  };
}

export function desiredTaskDefinition(spec: Spec, logical: string, entry: TaskDefinitionSpec, outputs: Outputs): TaskDefinitionDesired {
  const executionRoleArn = roleArn(outputs, entry.executionRole);
  const taskRoleArn = roleArn(outputs, entry.taskRole);
  return {
    family: physicalName(spec, "taskDefinitions", logical),
    keepRevisions: entry.keepRevisions,
    definition: {
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: String(entry.cpu),
      memory: String(entry.memory),
      ...(entry.runtimePlatform && { runtimePlatform: entry.runtimePlatform }),
      ...(executionRoleArn !== undefined && { executionRoleArn }),
      ...(taskRoleArn !== undefined && { taskRoleArn }),
      ...(entry.ephemeralStorageGiB !== undefined && { ephemeralStorage: { sizeInGiB: entry.ephemeralStorageGiB } }),
      containerDefinitions: Object.entries(entry.containers).map(([name, c]) => containerDefinition(spec, name, c, outputs)),
    },
    tags: ownedTags(spec, "taskDefinitions", logical, entry.tags),
  };
}

/** The roles given by logical name and every container's log group. */
export function taskDefinitionDependencies(entry: TaskDefinitionSpec): string[] {
  const roles = [entry.executionRole, entry.taskRole].filter((r): r is string => r !== undefined && !isArn(r));
  const logGroups = Object.values(entry.containers).flatMap((c) => (c.logging ? [c.logging.awslogs.logGroup] : []));
  return [...new Set([...roles.map((r) => addressOf("roles", r)), ...logGroups.map((g) => addressOf("logGroups", g))])];
}

function taskDefinitionNode(spec: Spec, logical: string, entry: TaskDefinitionSpec): DesiredNode<TaskDefinitionDesired> {
  return {
    kind: "taskDefinitions",
    logical,
    address: addressOf("taskDefinitions", logical),
    name: physicalName(spec, "taskDefinitions", logical),
    dependsOn: taskDefinitionDependencies(entry),
    adopt: entry.adopt ?? false,
    readOnly: false,
    build: (outputs) => desiredTaskDefinition(spec, logical, entry, outputs),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Diff and preview

export function diffTaskDefinitionResource(desired: TaskDefinitionDesired, observed: ObservedTaskDefinition): FieldDiff[] {
  return [
    ...diffTaskDefinition(normaliseTaskDefinition(desired.definition), observed.definition),
    ...diffTags(desired.tags, observed.tags),
  ];
}

/** A new family: its task-level settings and one line per container, not every leaf. */
export function previewTaskDefinition(desired: TaskDefinitionDesired): FieldDiff[] {
  const d = desired.definition;
  const lines: Array<[string, unknown]> = [
    ["cpu", d.cpu],
    ["memory", d.memory],
    ["executionRoleArn", d.executionRoleArn],
    ["taskRoleArn", d.taskRoleArn],
    ["runtimePlatform.cpuArchitecture", d.runtimePlatform?.cpuArchitecture],
    ["runtimePlatform.operatingSystemFamily", d.runtimePlatform?.operatingSystemFamily],
    ["ephemeralStorage.sizeInGiB", d.ephemeralStorage?.sizeInGiB],
    ...d.containerDefinitions.map((c): [string, unknown] => [`containers.${c.name}`, containerSummary(c)]),
    ...Object.entries(desired.tags).map(([key, value]): [string, unknown] => [`tags.${key}`, value]),
  ];
  return lines.filter(([, after]) => after !== undefined).map(([path, after]) => ({ path, after }));
}

// ---------------------------------------------------------------------------------------------------------
// Reads

/** `family` and `revision` of a task definition ARN (`…:task-definition/web:7`). */
export function revisionOf(arn: string): { family: string; revision: number } | undefined {
  const parsed = parseArn(arn);
  if (parsed?.service !== "ecs" || parsed.resourceType !== "task-definition") return undefined;
  const colon = parsed.resource.lastIndexOf(":");
  const revision = Number(parsed.resource.slice(colon + 1));
  return colon > 0 && Number.isInteger(revision) ? { family: parsed.resource.slice(0, colon), revision } : undefined;
}

const newestFirst = (arns: Iterable<string>) => [...arns].sort((a, b) => (revisionOf(b)?.revision ?? 0) - (revisionOf(a)?.revision ?? 0));

const ofFamily = (family: string) => (arn: string) => revisionOf(arn)?.family === family;

/** A revision that does not exist (or no longer does): ECS answers ClientException, told apart by its message. */
function isGone(error: unknown): boolean {
  const message = error instanceof Error ? error.message : "";
  return awsErrorIs(error, "ClientException") && /unable to describe task definition|does not exist|not found/i.test(message);
}

function toObserved(td: TaskDefinition, tags: Tags): ObservedTaskDefinition {
  return {
    name: td.family!,
    id: td.taskDefinitionArn!,
    tags,
    revision: td.revision!,
    status: td.status ?? "ACTIVE",
    definition: normaliseTaskDefinition(td),
  };
}

/** One revision (ARN) or the family's newest (family); undefined when there is none. */
async function describe(ctx: Context, taskDefinition: string): Promise<ObservedTaskDefinition | undefined> {
  try {
    const answer = await ctx.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ["TAGS"] }));
    return answer.taskDefinition && toObserved(answer.taskDefinition, fromEcsTags(answer.tags));
  } catch (error) {
    if (isGone(error)) return undefined;
    throw error;
  }
}

/** The family's revisions of one status, newest first. `familyPrefix` is a prefix: other families are left out. */
async function listRevisions(ctx: Context, family: string, status: TaskDefinitionStatus): Promise<string[]> {
  const arns: string[] = [];
  const pages = paginateListTaskDefinitions({ client: ctx.clients.ecs }, { familyPrefix: family, status, sort: "DESC" });
  for await (const page of pages) arns.push(...(page.taskDefinitionArns ?? []).filter(ofFamily(family)));
  return newestFirst(arns);
}

/** The family's revisions carrying this stack's tag, asked afresh (a run's writes are newer than the plan's read). */
async function stackRevisions(ctx: Context, family: string): Promise<Set<string>> {
  return new Set((await queryTaggedResources(ctx)).map((r) => r.arn).filter(ofFamily(family)));
}

/**
 * The family's live revision: the newest ACTIVE one the stack registered, else the newest ACTIVE one. Describing
 * the family answers the newest ACTIVE revision in one call; only when that one is not the stack's are the
 * family's revisions listed. (moto answers the highest revision even when it is INACTIVE.)
 */
async function observeFamily(ctx: Context, family: string): Promise<ObservedTaskDefinition | undefined> {
  const latest = await describe(ctx, family);
  if (latest?.status === "ACTIVE" && latest.tags[STACK_TAG] === ctx.stack) return latest;
  const active = await listRevisions(ctx, family, "ACTIVE");
  if (active.length === 0) return undefined;
  const ours = new Set((await findTaggedResources(ctx)).map((r) => r.arn));
  const pick = active.find((arn) => ours.has(arn)) ?? active[0]!;
  return latest?.id === pick ? latest : describe(ctx, pick);
}

/**
 * Every family with a revision tagged as the stack's (Tagging API), not in `known`: its live revision when it is
 * the stack's; else, when only deregistered revisions of the stack are left (a deletion cut short), the newest
 * of those, so that deleting the family finishes the job.
 */
async function discoverTaskDefinitions(ctx: Context, knownIds: ReadonlySet<string>): Promise<ObservedTaskDefinition[]> {
  const tagged = resourcesOfType(await findTaggedResources(ctx), "ecs", "task-definition");
  const knownFamilies = new Set([...knownIds].map((arn) => revisionOf(arn)?.family));
  const tagsOf = new Map(tagged.map((r) => [r.arn, r.tags]));
  const families = new Set(
    tagged.map((r) => revisionOf(r.arn)?.family).filter((f): f is string => f !== undefined && !knownFamilies.has(f)),
  );

  const found = await Promise.all(
    [...families].map(async (family): Promise<ObservedTaskDefinition | undefined> => {
      const live = await observeFamily(ctx, family);
      if (live?.tags[STACK_TAG] === ctx.stack) return live;
      const [newest] = (await listRevisions(ctx, family, "INACTIVE")).filter((arn) => tagsOf.has(arn));
      if (!newest) return undefined;
      const tags = tagsOf.get(newest)!;
      const revision = revisionOf(newest)!.revision;
      return { name: family, id: newest, tags, revision, status: "INACTIVE", definition: { containerDefinitions: [] } };
    }),
  );
  return found.filter((o): o is ObservedTaskDefinition => o !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}

async function observeTaskDefinitions(
  desired: ReadonlyArray<{ address: string; value: TaskDefinitionDesired }>,
  ctx: Context,
): Promise<Map<string, ObservedTaskDefinition>> {
  const found = await Promise.all(desired.map(async ({ address, value }) => [address, await observeFamily(ctx, value.family)] as const));
  return new Map(found.filter((entry): entry is readonly [string, ObservedTaskDefinition] => entry[1] !== undefined));
}

// ---------------------------------------------------------------------------------------------------------
// Writes

/** The definition with every output of another node known (the engine created those first). */
function resolved<T>(value: T, what: string): T {
  if (value instanceof KnownAfterApply) return known(value, what) as T;
  if (Array.isArray(value)) return value.map((v) => resolved(v, what)) as T;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, resolved(v, what)])) as T;
  }
  return value;
}

async function deregister(ctx: Context, arn: string): Promise<void> {
  try {
    await ctx.clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

/** DeleteTaskDefinitions takes at most 10 revisions a call and reports each failure apart; one already gone is not a failure. */
async function deleteRevisions(ctx: Context, family: string, arns: readonly string[]): Promise<void> {
  for (const batch of inBatches(arns, 10)) {
    const answer = await ctx.clients.ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: batch }));
    const failed = (answer.failures ?? []).filter((f) => !/does not exist/i.test(f.reason ?? ""));
    if (failed.length > 0) {
      const reasons = failed.map((f) => `${f.arn}: ${f.reason}${f.detail ? ` (${f.detail})` : ""}`).join("; ");
      throw new Error(`task definition ${family}: DeleteTaskDefinitions failed for ${reasons}`);
    }
  }
}

/**
 * Keeps the newest `keepRevisions` of the stack's ACTIVE revisions of the family and deregisters the older ones.
 * The revision just registered counts even if a list does not show it yet; revisions without the stack's tag
 * are someone else's and never touched.
 */
async function retire(ctx: Context, desired: TaskDefinitionDesired, registered: string): Promise<void> {
  const [ours, active] = await Promise.all([stackRevisions(ctx, desired.family), listRevisions(ctx, desired.family, "ACTIVE")]);
  ours.add(registered);
  const kept = newestFirst(new Set([registered, ...active])).filter((arn) => ours.has(arn));
  for (const arn of kept.slice(desired.keepRevisions)) await deregister(ctx, arn);
}

/** One RegisterTaskDefinition with the tags, then the retention of older revisions. */
async function registerRevision(desired: TaskDefinitionDesired, ctx: Context): Promise<ObservedTaskDefinition> {
  const definition = resolved(desired.definition, `task definition ${desired.family}`) as Omit<
    RegisterTaskDefinitionCommandInput,
    "family"
  >;
  const { taskDefinition } = await ctx.clients.ecs.send(
    new RegisterTaskDefinitionCommand({ ...definition, family: desired.family, tags: toEcsTags(desired.tags) }),
  );
  if (!taskDefinition?.taskDefinitionArn) throw new Error(`task definition ${desired.family}: RegisterTaskDefinition answered without it`);
  await retire(ctx, desired, taskDefinition.taskDefinitionArn);
  return toObserved(taskDefinition, { ...desired.tags });
}

/** A content change registers a new revision; a change of tags alone tags the live revision. */
async function updateTaskDefinition(
  desired: TaskDefinitionDesired,
  observed: ObservedTaskDefinition,
  diffs: readonly FieldDiff[],
  ctx: Context,
): Promise<ObservedTaskDefinition> {
  if (diffs.some((d) => !isTagDiff(d))) return registerRevision(desired, ctx);
  return { ...observed, tags: await updateEcsTags(ctx, observed.id, observed.tags, desired.tags, diffs) };
}

/**
 * Deregisters the stack's ACTIVE revisions of the family, then deletes them with its deregistered ones. A family
 * discovered with only deregistered revisions left has its ACTIVE revisions left alone: one may have been
 * registered in this very run.
 */
async function deleteTaskDefinition(observed: ObservedTaskDefinition, ctx: Context): Promise<void> {
  const family = observed.name;
  const ours = await stackRevisions(ctx, family);
  if (observed.tags[STACK_TAG] === ctx.stack) ours.add(observed.id);
  const active = observed.status === "ACTIVE" ? (await listRevisions(ctx, family, "ACTIVE")).filter((arn) => ours.has(arn)) : [];
  for (const arn of active) await deregister(ctx, arn);
  const inactive = (await listRevisions(ctx, family, "INACTIVE")).filter((arn) => ours.has(arn));
  await deleteRevisions(ctx, family, newestFirst(new Set([...active, ...inactive])));
}

/** Task definitions: every change is a new revision (see the header). */
export const taskDefinitionsReconciler: LegacyReconciler<TaskDefinitionDesired, ObservedTaskDefinition> = {
  kind: "taskDefinitions",
  refersTo: ["roles", "logGroups"],
  looksUp: [],
  versioned: true,
  nodes: (spec) => Object.entries(spec.taskDefinitions).map(([logical, entry]) => taskDefinitionNode(spec, logical, entry)),
  observe: observeTaskDefinitions,
  discover: discoverTaskDefinitions,
  diff: diffTaskDefinitionResource,
  create: registerRevision,
  update: updateTaskDefinition,
  delete: deleteTaskDefinition,
  preview: previewTaskDefinition,
  outputs: (observed) => ({ arn: observed.id, family: observed.name, revision: String(observed.revision) }),
};
