/**
 * Task definitions (ECS), one family per spec entry. A task definition is immutable: every change registers a
 * new revision, and only when the normalised content differs from the live one (see normalise.ts), so a re-plan
 * never registers anything; a change of tags alone tags the live revision. The pure part is in model.ts.
 *
 * The live revision is the newest ACTIVE one of the family that carries this stack's tag, else the newest
 * ACTIVE one (whose owner the planner then judges). Revisions the stack registered carry its tags; others in
 * the family are never deregistered or deleted. Which of a family's listed revisions are the stack's is never
 * left to the Tagging API alone: a revision it does not name is described, and its own tags decide. After
 * registering, only the newest `keepRevisions` of the stack's ACTIVE revisions stay active: older ones are
 * deregistered. Deleting a family deregisters the stack's revisions and then deletes them (DeleteTaskDefinitions),
 * so that nothing tagged as the stack's is left.
 */
import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  paginateListTaskDefinitions,
  type RegisterTaskDefinitionCommandInput,
  type Tag,
  type TaskDefinition,
  type TaskDefinitionStatus,
} from "@aws-sdk/client-ecs";
import { awsErrorIs } from "../../../aws/errors.js";
import { inBatches, mapConcurrently } from "../../collections.js";
import { applyTagChange } from "../../diff-helpers.js";
import { fingerprint } from "../../fingerprint.js";
import { findTaggedResources, queryTaggedResources, resourcesOfType } from "../../tagged-resources.js";
import { parseArn } from "../../arns.js";
import { STACK_TAG, type Context, type Reconciler, type Tags } from "../../contract.js";
import { recogniseBeforeRetry } from "../../recognise.js";
import { writeEcsTags } from "../api.js";
import { fromEcsTags } from "../model.js";
import { resolved, type Pending } from "../../diff-helpers.js";
import {
  diffTaskDefinitionResource,
  previewTaskDefinition,
  registerInput,
  sensitiveTaskDefinitionValues,
  taskDefinitionNode,
  toObservedTaskDefinition,
  type ObservedTaskDefinition,
  type TaskDefinitionChange,
  type TaskDefinitionDesired,
} from "./model.js";
import { normaliseTaskDefinition } from "./normalise.js";

export type { ObservedTaskDefinition, TaskDefinitionChange, TaskDefinitionDesired } from "./model.js";

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

/**
 * Marks each revision the stack registers with a fingerprint of its content in the diff's normalised form, so
 * that a revision whose register's answer was lost can be found (registerRevision). The tool's record, not the
 * spec's: it is kept out of the observed tags, which the diff compares with the spec's.
 */
const FINGERPRINT_TAG = "reconcile:fingerprint";

const contentFingerprint = (request: RegisterTaskDefinitionCommandInput): string =>
  fingerprint([request.family, normaliseTaskDefinition(request)]);

/** The revision's tags as the diff sees them: all but the fingerprint. */
function observedTags(tags: readonly Tag[] | undefined): Tags {
  const { [FINGERPRINT_TAG]: _fingerprint, ...rest } = fromEcsTags(tags);
  return rest;
}

/** One revision (ARN) or the family's newest (family), as DescribeTaskDefinition answers; undefined when there is none. */
async function describeNewest(
  ctx: Context,
  taskDefinition: string,
): Promise<{ taskDefinition: TaskDefinition; tags: Tag[] | undefined } | undefined> {
  try {
    const answer = await ctx.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ["TAGS"] }));
    return answer.taskDefinition && { taskDefinition: answer.taskDefinition, tags: answer.tags };
  } catch (error) {
    if (isGone(error)) return undefined;
    throw error;
  }
}

/** One revision (ARN) or the family's newest (family); undefined when there is none. */
async function describe(ctx: Context, taskDefinition: string): Promise<ObservedTaskDefinition | undefined> {
  const found = await describeNewest(ctx, taskDefinition);
  return found && toObservedTaskDefinition(found.taskDefinition, observedTags(found.tags));
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

/** How many DescribeTaskDefinition calls an ownership check has in flight at once. */
const DESCRIBES_AT_ONCE = 5;

/**
 * Of `listed` (a family's revisions, as ListTaskDefinitions answers), those that carry this stack's tag. The ones in
 * `tagged` (the Tagging API's answer) are taken as the stack's without a call; each other one is described with
 * its tags and its own tags decide, since GetResources is eventually consistent on AWS (a revision registered a
 * moment ago can be missing for minutes) and some emulators answer nothing. So when the Tagging API lists every
 * revision of the stack, only revisions of other owners cost a call.
 */
async function stackOwnedAmong(ctx: Context, listed: readonly string[], tagged: ReadonlySet<string>): Promise<Set<string>> {
  const unconfirmed = listed.filter((arn) => !tagged.has(arn));
  const described = await mapConcurrently(unconfirmed, DESCRIBES_AT_ONCE, (arn) => describeNewest(ctx, arn));
  const confirmed = unconfirmed.filter((_, i) => fromEcsTags(described[i]?.tags)[STACK_TAG] === ctx.stack);
  return new Set([...listed.filter((arn) => tagged.has(arn)), ...confirmed]);
}

/**
 * The family's live revision: the newest ACTIVE one the stack registered, else the newest ACTIVE one. Describing
 * the family answers the newest ACTIVE revision in one call; only when that one is not the stack's are the
 * family's revisions listed. The revisions newer than the newest the Tagging API names as the stack's (all of
 * them, when it names none) are described, since the Tagging API may lag: their own tags say whose they are.
 * (moto answers the highest revision even when it is INACTIVE.)
 */
async function observeFamily(ctx: Context, family: string): Promise<ObservedTaskDefinition | undefined> {
  const latest = await describe(ctx, family);
  if (latest?.status === "ACTIVE" && latest.tags[STACK_TAG] === ctx.stack) return latest;
  const active = await listRevisions(ctx, family, "ACTIVE");
  if (active.length === 0) return undefined;
  const tagged = new Set((await findTaggedResources(ctx)).map((r) => r.arn));
  const newestTagged = active.find((arn) => tagged.has(arn));
  const unconfirmed = active.slice(0, newestTagged ? active.indexOf(newestTagged) : active.length).filter((arn) => arn !== latest?.id);
  const described = await mapConcurrently(unconfirmed, DESCRIBES_AT_ONCE, (arn) => describe(ctx, arn));
  const newestOwn = described.find((revision) => revision?.tags[STACK_TAG] === ctx.stack);
  if (newestOwn) return newestOwn;
  const pick = newestTagged ?? active[0]!;
  return [latest, ...described].find((revision) => revision?.id === pick) ?? describe(ctx, pick);
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
async function retire(ctx: Context, family: string, keepRevisions: number, registered: string): Promise<void> {
  const [tagged, active] = await Promise.all([stackRevisions(ctx, family), listRevisions(ctx, family, "ACTIVE")]);
  tagged.add(registered);
  const ours = await stackOwnedAmong(ctx, active, tagged);
  const kept = newestFirst(new Set([registered, ...ours]));
  for (const arn of kept.slice(keepRevisions)) await deregister(ctx, arn);
}

/**
 * One RegisterTaskDefinition with the tags and the content's fingerprint, then the retention of older revisions.
 * RegisterTaskDefinition has no idempotency token: each call adds a revision. So when an attempt fails in a way
 * that is retried (its answer lost after ECS registered it), the family's newest revision is read before the
 * next attempt, and if it is this node's with this fingerprint, that revision is the answer.
 */
async function registerRevision(
  input: Pending<RegisterTaskDefinitionCommandInput>,
  keepRevisions: number,
  ctx: Context,
): Promise<ObservedTaskDefinition> {
  const request = resolved<RegisterTaskDefinitionCommandInput>(input, "the RegisterTaskDefinition input");
  const fingerprint = contentFingerprint(request);
  const ownTags = fromEcsTags(request.tags);
  const command = new RegisterTaskDefinitionCommand({
    ...request,
    tags: [...(request.tags ?? []), { key: FINGERPRINT_TAG, value: fingerprint }],
  });
  recogniseBeforeRetry(
    command,
    ownTags,
    {
      read: () => describeNewest(ctx, request.family!),
      tagsOf: (found) => fromEcsTags(found.tags),
      matches: (found) => found.taskDefinition.status === "ACTIVE" && fromEcsTags(found.tags)[FINGERPRINT_TAG] === fingerprint,
    },
    (found) => found,
  );
  const { taskDefinition } = await ctx.clients.ecs.send(command);
  if (!taskDefinition?.taskDefinitionArn) throw new Error(`task definition ${request.family}: RegisterTaskDefinition answered without it`);
  const registered = toObservedTaskDefinition(taskDefinition, ownTags);
  await retire(ctx, registered.name, keepRevisions, registered.id);
  return registered;
}

/** A new revision, or the live one tagged. */
async function updateTaskDefinition(
  change: TaskDefinitionChange,
  observed: ObservedTaskDefinition,
  ctx: Context,
): Promise<ObservedTaskDefinition> {
  if ("revision" in change) return registerRevision(change.revision, change.keepRevisions, ctx);
  await writeEcsTags(ctx, observed.id, change.tags);
  return { ...observed, tags: applyTagChange(observed.tags, change.tags) };
}

/**
 * Deregisters the stack's ACTIVE revisions of the family, then deletes them with its deregistered ones. A family
 * discovered with only deregistered revisions left has its ACTIVE revisions left alone: one may have been
 * registered in this very run.
 */
async function deleteTaskDefinition(observed: ObservedTaskDefinition, ctx: Context): Promise<void> {
  const family = observed.name;
  const tagged = await stackRevisions(ctx, family);
  if (observed.tags[STACK_TAG] === ctx.stack) tagged.add(observed.id);
  const active =
    observed.status === "ACTIVE" ? newestFirst(await stackOwnedAmong(ctx, await listRevisions(ctx, family, "ACTIVE"), tagged)) : [];
  for (const arn of active) await deregister(ctx, arn);
  const inactive = await stackOwnedAmong(ctx, await listRevisions(ctx, family, "INACTIVE"), new Set([...tagged, ...active]));
  await deleteRevisions(ctx, family, newestFirst(new Set([...active, ...inactive])));
}

/** Task definitions: every change is a new revision (see the header). */
export const taskDefinitionsReconciler: Reconciler<TaskDefinitionDesired, ObservedTaskDefinition, TaskDefinitionChange> = {
  kind: "taskDefinitions",
  refersTo: ["roles", "logGroups"],
  looksUp: [],
  newVersion: (change) => "revision" in change,
  nodes: (spec) => Object.entries(spec.taskDefinitions).map(([logical, entry]) => taskDefinitionNode(spec, logical, entry)),
  observe: observeTaskDefinitions,
  discover: discoverTaskDefinitions,
  diff: diffTaskDefinitionResource,
  create: (desired, ctx) => registerRevision(registerInput(desired), desired.keepRevisions, ctx),
  update: updateTaskDefinition,
  delete: deleteTaskDefinition,
  preview: previewTaskDefinition,
  sensitiveValues: sensitiveTaskDefinitionValues,
  outputs: (observed) => ({ arn: observed.id, family: observed.name, revision: String(observed.revision) }),
};
