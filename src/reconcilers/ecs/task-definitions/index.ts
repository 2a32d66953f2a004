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
  type DeleteTaskDefinitionsCommandOutput,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type Tag,
  type TaskDefinition,
  type TaskDefinitionStatus,
} from "@aws-sdk/client-ecs";
import { awsErrorIs } from "../../../aws/errors.js";
import { inBatches, mapConcurrently } from "../../collections.js";
import { applyTagChange } from "../../diff-helpers.js";
import { fingerprint } from "../../fingerprint.js";
import { findTaggedResources, resourcesOfType, type TaggedResource } from "../../tagged-resources.js";
import { parseArn } from "../../arns.js";
import { STACK_TAG, type Context, type Reconciler, type Tags } from "../../contract.js";
import { recogniseBeforeRetry } from "../../recognise.js";
import { writeEcsTags } from "../api.js";
import { fromEcsTags } from "../model.js";
import { resolved, type Pending } from "../../diff-helpers.js";
import { KnownAfterApply } from "../../../plan/model.js";
import {
  diffTaskDefinitionResource,
  nextRevisionName,
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
  return withoutFingerprint(fromEcsTags(tags));
}

function withoutFingerprint(tags: Tags): Tags {
  const { [FINGERPRINT_TAG]: _fingerprint, ...rest } = tags;
  return rest;
}

/** The request of the desired content when every value in it is known (a role to be created leaves its ARN unknown). */
function knownRequest(desired: TaskDefinitionDesired): RegisterTaskDefinitionCommandInput | undefined {
  const input = registerInput(desired);
  const unknown = (v: unknown): boolean =>
    v instanceof KnownAfterApply || (typeof v === "object" && v !== null && Object.values(v).some(unknown));
  return unknown(input) ? undefined : resolved<RegisterTaskDefinitionCommandInput>(input, "the RegisterTaskDefinition input");
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

/** The revisions the Tagging API lists as the stack's (the plan's one query), by family. */
async function stackRevisionsByFamily(ctx: Context): Promise<Map<string, TaggedResource[]>> {
  const byFamily = new Map<string, TaggedResource[]>();
  for (const r of resourcesOfType(await findTaggedResources(ctx), "ecs", "task-definition")) {
    const family = revisionOf(r.arn)?.family;
    if (family !== undefined) byFamily.set(family, [...(byFamily.get(family) ?? []), r]);
  }
  return byFamily;
}

/**
 * The family's live revision without a call: the newest revision the Tagging API lists as the stack's, when its
 * fingerprint tag is the desired content's. A revision is immutable, so its content is what was registered, the
 * desired content itself (in the diff's normalised form). The Tagging API lists deregistered revisions too, so the
 * candidate still has to be found ACTIVE (activeRevisions). Anything else (no tag, another fingerprint, content not
 * yet known, a family it does not list) is read.
 */
function unchangedRevision(desired: TaskDefinitionDesired, tagged: readonly TaggedResource[]): ObservedTaskDefinition | undefined {
  const [newest] = newestFirst(tagged.map((r) => r.arn));
  const request = knownRequest(desired);
  const tags = tagged.find((r) => r.arn === newest)?.tags;
  if (!newest || !request || !tags || tags[FINGERPRINT_TAG] !== contentFingerprint(request)) return undefined;
  return {
    name: desired.family,
    id: newest,
    tags: withoutFingerprint(tags),
    revision: revisionOf(newest)!.revision,
    status: "ACTIVE",
    definition: normaliseTaskDefinition(request),
    stackRevisions: tagged.map((r) => r.arn),
  };
}

/** ListTaskDefinitions answers at most 100 revisions a page. */
const LIST_PAGE = 100;

/**
 * The region's ACTIVE revisions, when listing them takes at most `pages` calls; undefined when it would take more,
 * and a describe per family costs less. (ListTaskDefinitions' familyPrefix takes one whole family name, so the
 * families cannot be listed together any narrower.) It tells a revision the Tagging API lists (which lists
 * deregistered ones too: a deletion cut short, a revision deregistered by hand) from a live one.
 */
async function activeRevisions(ctx: Context, pages: number): Promise<Set<string> | undefined> {
  if (pages < 1) return undefined;
  const found = new Set<string>();
  let made = 0;
  for await (const page of paginateListTaskDefinitions({ client: ctx.clients.ecs, pageSize: LIST_PAGE }, { status: "ACTIVE" })) {
    for (const arn of page.taskDefinitionArns ?? []) found.add(arn);
    if (++made >= pages && page.nextToken) return undefined;
  }
  return found;
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
  // None: the family has no ACTIVE revision (AWS), or none at all (moto), so there is nothing to list.
  if (!latest) return undefined;
  if (latest.status === "ACTIVE" && latest.tags[STACK_TAG] === ctx.stack) return latest;
  const active = await listRevisions(ctx, family, "ACTIVE");
  if (active.length === 0) return undefined;
  const tagged = new Set((await findTaggedResources(ctx)).map((r) => r.arn));
  const newestTagged = active.find((arn) => tagged.has(arn));
  const unconfirmed = active.slice(0, newestTagged ? active.indexOf(newestTagged) : active.length).filter((arn) => arn !== latest.id);
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
  const byFamily = await stackRevisionsByFamily(ctx);
  const knownFamilies = new Set([...knownIds].map((arn) => revisionOf(arn)?.family));
  const families = [...byFamily.keys()].filter((f) => !knownFamilies.has(f));

  const found = await Promise.all(
    families.map(async (family): Promise<ObservedTaskDefinition | undefined> => {
      const tagged = byFamily.get(family)!;
      const stackRevisions = tagged.map((r) => r.arn);
      const live = await observeFamily(ctx, family);
      if (live?.tags[STACK_TAG] === ctx.stack) return { ...live, stackRevisions };
      const tagsOf = new Map(tagged.map((r) => [r.arn, r.tags]));
      const [newest] = (await listRevisions(ctx, family, "INACTIVE")).filter((arn) => tagsOf.has(arn));
      if (!newest) return undefined;
      const tags = tagsOf.get(newest)!;
      const revision = revisionOf(newest)!.revision;
      return { name: family, id: newest, tags, revision, status: "INACTIVE", definition: { containerDefinitions: [] }, stackRevisions };
    }),
  );
  return found.filter((o): o is ObservedTaskDefinition => o !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}

async function observeTaskDefinitions(
  desired: ReadonlyArray<{ address: string; value: TaskDefinitionDesired }>,
  ctx: Context,
): Promise<Map<string, ObservedTaskDefinition>> {
  const byFamily = await stackRevisionsByFamily(ctx);
  const unchanged = desired.map(({ value }) => unchangedRevision(value, byFamily.get(value.family) ?? []));
  // Listing the ACTIVE revisions is worth it while it takes fewer calls than half the describes it can save: those
  // of the families it confirms unchanged, and of those it shows without an ACTIVE revision (new ones: nothing to read).
  const active = await activeRevisions(ctx, Math.floor(desired.length / 2));
  const activeFamilies = new Set([...(active ?? [])].map((arn) => revisionOf(arn)?.family));
  const found = await Promise.all(
    desired.map(async ({ address, value }, i) => {
      const tagged = byFamily.get(value.family) ?? [];
      if (active && !activeFamilies.has(value.family)) return [address, undefined] as const;
      const fromTags = unchanged[i] && active?.has(unchanged[i].id) ? unchanged[i] : undefined;
      const live = fromTags ?? (await observeFamily(ctx, value.family));
      return [address, live && { ...live, stackRevisions: tagged.map((r) => r.arn) }] as const;
    }),
  );
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

/** DeleteTaskDefinitions takes at most 10 revisions a call. */
const DELETE_BATCH = 10;
/** How long a revision to delete waits for those of other families (deleted side by side) to share its call. */
const DELETE_GATHER_MS = 100;

interface QueuedDeletion {
  arn: string;
  settle(failure: DeleteTaskDefinitionsCommandOutput["failures"], error?: unknown): void;
}

const deletionQueues = new WeakMap<ECSClient, { queued: QueuedDeletion[]; timer?: ReturnType<typeof setTimeout> }>();

/** Sends what is queued, 10 revisions to a DeleteTaskDefinitions, each answered with the failures of its call. */
function sendDeletions(ecs: ECSClient, queue: { queued: QueuedDeletion[]; timer?: ReturnType<typeof setTimeout> }): void {
  clearTimeout(queue.timer);
  queue.timer = undefined;
  for (const batch of inBatches(queue.queued.splice(0), DELETE_BATCH)) {
    ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: batch.map((q) => q.arn) })).then(
      (answer) => batch.forEach((q) => q.settle(answer.failures)),
      (error: unknown) => batch.forEach((q) => q.settle(undefined, error)),
    );
  }
}

/**
 * Deletes deregistered revisions; one already gone is not a failure. The revisions of every family deleted at about
 * the same time share calls (up to 10 a call, after DELETE_GATHER_MS at most), and each family is told its own
 * failures, which DeleteTaskDefinitions reports revision by revision.
 */
async function deleteRevisions(ctx: Context, family: string, arns: readonly string[]): Promise<void> {
  const ecs = ctx.clients.ecs;
  const queue = deletionQueues.get(ecs) ?? { queued: [] };
  deletionQueues.set(ecs, queue);
  const answers = arns.map(
    (arn) =>
      new Promise<DeleteTaskDefinitionsCommandOutput["failures"]>((resolve, reject) => {
        queue.queued.push({ arn, settle: (failures, error) => (error === undefined ? resolve(failures) : reject(error)) });
        if (queue.queued.length >= DELETE_BATCH) sendDeletions(ecs, queue);
        else queue.timer ??= setTimeout(() => sendDeletions(ecs, queue), DELETE_GATHER_MS);
      }),
  );
  const failures = await Promise.all(answers);
  const failed = arns.flatMap((arn, i) => (failures[i] ?? []).filter((f) => f.arn === arn && !/does not exist/i.test(f.reason ?? "")));
  if (failed.length > 0) {
    const reasons = failed.map((f) => `${f.arn}: ${f.reason}${f.detail ? ` (${f.detail})` : ""}`).join("; ");
    throw new Error(`task definition ${family}: DeleteTaskDefinitions failed for ${reasons}`);
  }
}

/**
 * Keeps the newest `keepRevisions` of the stack's ACTIVE revisions of the family and deregisters the older ones.
 * The revision just registered counts even if a list does not show it yet; revisions without the stack's tag
 * are someone else's and never touched. `stackRevisions` is the plan's Tagging API answer: a revision registered
 * since is described, and its own tags decide (stackOwnedAmong).
 */
async function retire(
  ctx: Context,
  family: string,
  keepRevisions: number,
  registered: string,
  stackRevisions: readonly string[],
): Promise<void> {
  const active = await listRevisions(ctx, family, "ACTIVE");
  const ours = await stackOwnedAmong(ctx, active, new Set([...stackRevisions, registered]));
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
  previous: ObservedTaskDefinition | undefined,
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
  const stackRevisions = [...(previous?.stackRevisions ?? []), taskDefinition.taskDefinitionArn];
  const registered = toObservedTaskDefinition(taskDefinition, ownTags, stackRevisions);
  // A family created had no ACTIVE revision when planned: the one registered is all there is, nothing to retire.
  if (previous) await retire(ctx, registered.name, keepRevisions, registered.id, previous.stackRevisions);
  return registered;
}

/** A new revision, or the live one tagged. */
async function updateTaskDefinition(
  change: TaskDefinitionChange,
  observed: ObservedTaskDefinition,
  ctx: Context,
): Promise<ObservedTaskDefinition> {
  if ("revision" in change) return registerRevision(change.revision, change.keepRevisions, ctx, observed);
  await writeEcsTags(ctx, observed.id, change.tags);
  return { ...observed, tags: applyTagChange(observed.tags, change.tags) };
}

/**
 * Deregisters the stack's ACTIVE revisions of the family, then deletes them with its deregistered ones: one
 * ListTaskDefinitions. Which revisions are the stack's starts from the plan's Tagging API answer (carried in
 * `stackRevisions`) rather than a fresh query: an ACTIVE revision it does not name (registered since, or not yet
 * indexed) is described and its own tags decide, as before; the deregistered ones deleted are those just
 * deregistered and those it names that are no longer ACTIVE. When it names none of the family's revisions (an
 * emulator's empty answer, or a lag) the deregistered ones are listed too, and their own tags decide. A family
 * discovered with only deregistered revisions left has its ACTIVE revisions left alone (one may have been
 * registered in this very run): its deregistered ones are listed instead.
 */
async function deleteTaskDefinition(observed: ObservedTaskDefinition, ctx: Context): Promise<void> {
  const family = observed.name;
  const tagged = new Set(observed.stackRevisions);
  if (observed.tags[STACK_TAG] === ctx.stack) tagged.add(observed.id);
  if (observed.status !== "ACTIVE") {
    const inactive = await stackOwnedAmong(ctx, await listRevisions(ctx, family, "INACTIVE"), tagged);
    return deleteRevisions(ctx, family, newestFirst(inactive));
  }
  const listed = await listRevisions(ctx, family, "ACTIVE");
  const active = newestFirst(await stackOwnedAmong(ctx, listed, tagged));
  for (const arn of active) await deregister(ctx, arn);
  const deregisteredBefore =
    observed.stackRevisions.length > 0
      ? [...tagged].filter((arn) => !listed.includes(arn))
      : await stackOwnedAmong(ctx, await listRevisions(ctx, family, "INACTIVE"), new Set(active));
  await deleteRevisions(ctx, family, newestFirst(new Set([...active, ...deregisteredBefore])));
}

/** Task definitions: every change is a new revision (see the header). */
export const taskDefinitionsReconciler: Reconciler<TaskDefinitionDesired, ObservedTaskDefinition, TaskDefinitionChange> = {
  kind: "taskDefinitions",
  refersTo: ["roles", "logGroups"],
  // observe compares the fingerprint of the desired content, role ARNs and log group names included, with the
  // stack's newest revision's fingerprint tag, and reads the revision only when they differ.
  looksUp: ["roles", "logGroups"],
  newVersion: (change) => "revision" in change,
  newVersionName: nextRevisionName,
  nodes: (spec) => Object.entries(spec.taskDefinitions).map(([logical, entry]) => taskDefinitionNode(spec, logical, entry)),
  observe: observeTaskDefinitions,
  discover: discoverTaskDefinitions,
  diff: diffTaskDefinitionResource,
  create: (desired, ctx) => registerRevision(registerInput(desired), desired.keepRevisions, ctx, undefined),
  update: updateTaskDefinition,
  delete: deleteTaskDefinition,
  preview: previewTaskDefinition,
  sensitiveValues: sensitiveTaskDefinitionValues,
  outputs: (observed) => ({ arn: observed.id, family: observed.name, revision: String(observed.revision) }),
};
