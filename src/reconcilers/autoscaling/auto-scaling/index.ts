/**
 * Application Auto Scaling of ECS services (kind "autoScaling"): one node per service with `autoScaling`, holding its
 * scalable target, the stack's policies and scheduled actions on it, and the CloudWatch alarms of its step policies.
 * The desired value (model.ts), AWS's descriptions in its form (from-aws.ts), the diff and the change (change.ts) and
 * the request bodies (requests.ts) are pure; this file makes the calls.
 *
 * Ownership. The scalable target belongs to its ECS service: its tags are synthesised from the service's (see
 * scalingTags), read with DescribeServices (consistent), so a target on a service the stack does not own is never
 * touched. On the target, only policies and actions named `<stack>-…` are the stack's; others are left alone. Step
 * alarms carry the stack's tags themselves. The Resource Groups Tagging API, eventually consistent on AWS and empty on
 * some emulators, only proposes candidates: the stack's services (discover also lists every ECS scalable target) and
 * the step alarms of policies since removed; where it lists an alarm its tags are used, else they are read.
 *
 * Reads. The region's ECS targets, policies and scheduled actions are read once per plan each (paged, ServiceNamespace
 * ecs, no resource id), filtered here to the configurations, for observe and discover both. Apply makes its result
 * from what it sent and AWS answered; only a step alarm it put is read back (its ARN is CloudWatch's).
 *
 * Deletion. AWS deletes a target's policies and scheduled actions when it is deregistered (DeregisterScalableTarget
 * reference); moto 5 does not, so the stack's own are deleted first, which on AWS only saves the cascade its work.
 * A service's configuration goes before the service (so that the scaler cannot fight the drain): the engine orders
 * it so, as this kind refers to services.
 */
import {
  DeleteScalingPolicyCommand,
  DeleteScheduledActionCommand,
  DeregisterScalableTargetCommand,
  PutScalingPolicyCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
  DescribeScalingActivitiesCommand,
  paginateDescribeScalableTargets,
  paginateDescribeScalingPolicies,
  paginateDescribeScheduledActions,
  type DeleteScalingPolicyCommandInput,
  type DeleteScheduledActionCommandInput,
  type PutScalingPolicyCommandInput,
  type ScalableTarget,
  type ScalingActivity,
  type ScalingPolicy,
  type ScheduledAction,
} from "@aws-sdk/client-application-auto-scaling";
import { DeleteAlarmsCommand, DescribeAlarmsCommand, PutMetricAlarmCommand, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { isDeepStrictEqual } from "node:util";
import { awsErrorIs, isNotFound } from "../../../aws/errors.js";
import { inBatches } from "../../collections.js";
import { findTaggedResources, resourcesOfType, type TaggedResource } from "../../tagged-resources.js";
import { ID_TAG, STACK_TAG, sharedRead, type Context, type Reconciler, type Tags } from "../../contract.js";
import { readAlarmTags, readServiceTags, writeAlarmTags } from "../api.js";
import {
  afterChange,
  creation,
  diffScaling,
  nothingOf,
  refOf,
  type ScalingChange,
  type ScalingRef,
  type StepScalingWrite,
} from "./change.js";
import { alarmFromAws, policiesFromAws, scheduledActionsFromAws, suspendedFromAws } from "./from-aws.js";
import {
  alarmName,
  previewScaling,
  scalingNodes,
  scalingTags,
  serviceOfResourceId,
  type ObservedAlarm,
  type ObservedScaling,
  type ScalingDesired,
} from "./model.js";
import { ECS_DESIRED_COUNT, drivingPolicy, policyRef, scheduledActionRef, targetRef, targetTrackingInput } from "./requests.js";
import { policyAlarms, scalingStatusOf } from "./status.js";
import type { ResourceStatus } from "../../../plan/status.js";

export type { ObservedScaling, ScalingDesired } from "./model.js";

/** DescribeAlarms and DeleteAlarms take at most 100 names. */
const ALARMS_BATCH = 100;

/**
 * Already gone. AWS answers ObjectNotFoundException; moto answers ValidationException "No scalable target found …" /
 * "No scaling policy found …", which means other things too, hence the message.
 */
const isGone = (e: unknown): boolean =>
  isNotFound(e) || (awsErrorIs(e, "ValidationException") && /No (scalable target|scaling policy) found/.test((e as Error).message));

async function ignoreGone(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (e) {
    if (!isGone(e)) throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reads.

/**
 * Every scalable target of ECS services in the region, by resource id: ONE paged DescribeScalableTargets per plan,
 * for observe and discover both (discover needs them all: it finds configurations the Tagging API may miss).
 */
function ecsTargets(ctx: Context): Promise<Map<string, ScalableTarget>> {
  return sharedRead(ctx, "autoScaling:ecsTargets", async () => {
    const found = new Map<string, ScalableTarget>();
    const pages = paginateDescribeScalableTargets(
      { client: ctx.clients.autoScaling },
      { ServiceNamespace: ECS_DESIRED_COUNT.ServiceNamespace },
    );
    for await (const page of pages) {
      for (const t of page.ScalableTargets ?? []) {
        if (t.ResourceId && t.ScalableDimension === ECS_DESIRED_COUNT.ScalableDimension) found.set(t.ResourceId, t);
      }
    }
    return found;
  });
}

/** The tags of each configuration's ECS service, by resource id (see readServiceTags). */
async function serviceTagsOf(ctx: Context, resourceIds: readonly string[]): Promise<Map<string, Tags>> {
  const services = resourceIds.flatMap((id) => serviceOfResourceId(id) ?? []);
  const tags = await readServiceTags(ctx, services);
  const found = new Map<string, Tags>();
  for (const { cluster, service } of services) {
    const serviceTags = tags.get(`${cluster}/${service}`);
    if (serviceTags) found.set(`service/${cluster}/${service}`, serviceTags);
  }
  return found;
}

/**
 * Each alarm's own tags, by name: as the Tagging API lists them where it lists the alarm, else read from CloudWatch
 * (one call per alarm), so that an alarm missing from that list is neither untagged nor someone else's.
 */
async function alarmTagsOf(
  ctx: Context,
  tagged: readonly TaggedResource[],
  alarms: ReadonlyMap<string, MetricAlarm>,
): Promise<Map<string, Tags>> {
  const listed = new Map(resourcesOfType(tagged, "cloudwatch", "alarm").map((r) => [r.arn, r.tags]));
  const unlisted = [...alarms.values()].filter((a) => a.AlarmArn && !listed.has(a.AlarmArn));
  const read = await readAlarmTags(
    ctx,
    unlisted.map((a) => a.AlarmArn!),
  );
  return new Map([...alarms].map(([name, alarm]) => [name, listed.get(alarm.AlarmArn ?? "") ?? read.get(alarm.AlarmArn ?? "") ?? {}]));
}

/** The target's policies (for status). moto matches ResourceId as a substring, so the answer is filtered to the exact id. */
async function describePolicies(ctx: Context, resourceId: string): Promise<ScalingPolicy[]> {
  const found: ScalingPolicy[] = [];
  const pages = paginateDescribeScalingPolicies({ client: ctx.clients.autoScaling }, targetRef(resourceId));
  for await (const page of pages) found.push(...(page.ScalingPolicies ?? []).filter((p) => p.ResourceId === resourceId));
  return found;
}

interface TargetItems {
  policies: ScalingPolicy[];
  actions: ScheduledAction[];
}

/**
 * The policies and scheduled actions of every ECS service's target in the region, by resource id: ONE paged
 * DescribeScalingPolicies and ONE paged DescribeScheduledActions per plan, side by side, whatever the number of
 * services, instead of one of each per target (they take one resource id a call).
 */
function ecsItems(ctx: Context): Promise<Map<string, TargetItems>> {
  return sharedRead(ctx, "autoScaling:ecsItems", async () => {
    const namespace = { ServiceNamespace: ECS_DESIRED_COUNT.ServiceNamespace };
    const client = { client: ctx.clients.autoScaling };
    const policies: ScalingPolicy[] = [];
    const actions: ScheduledAction[] = [];
    await Promise.all([
      (async () => {
        for await (const page of paginateDescribeScalingPolicies(client, namespace)) policies.push(...(page.ScalingPolicies ?? []));
      })(),
      (async () => {
        for await (const page of paginateDescribeScheduledActions(client, namespace)) actions.push(...(page.ScheduledActions ?? []));
      })(),
    ]);
    const found = new Map<string, TargetItems>();
    const itemsOf = (resourceId: string) => found.get(resourceId) ?? found.set(resourceId, { policies: [], actions: [] }).get(resourceId)!;
    const ours = (i: { ResourceId?: string; ScalableDimension?: string }) =>
      i.ResourceId && i.ScalableDimension === ECS_DESIRED_COUNT.ScalableDimension;
    for (const p of policies.filter(ours)) itemsOf(p.ResourceId!).policies.push(p);
    for (const a of actions.filter(ours)) itemsOf(a.ResourceId!).actions.push(a);
    return found;
  });
}

async function describeAlarms(ctx: Context, names: readonly string[]): Promise<Map<string, MetricAlarm>> {
  const found = new Map<string, MetricAlarm>();
  for (const batch of inBatches([...new Set(names)], ALARMS_BATCH)) {
    const { MetricAlarms } = await ctx.clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: batch, MaxRecords: ALARMS_BATCH }));
    for (const alarm of MetricAlarms ?? []) found.set(alarm.AlarmName!, alarm);
  }
  return found;
}

/** The stack's step alarms of one service's configuration, by name, found by their tags. */
function taggedAlarms(stack: string, tagged: readonly TaggedResource[], logical?: string): Array<TaggedResource & { name: string }> {
  return resourcesOfType(tagged, "cloudwatch", "alarm")
    .filter((r) => r.tags[STACK_TAG] === stack && r.tags[ID_TAG]?.startsWith("autoScaling/"))
    .filter((r) => logical === undefined || r.tags[ID_TAG] === `autoScaling/${logical}`)
    .map((r) => ({ ...r, name: r.parsed.resource }));
}

/** The step alarms a read looks for: the spec's, and those tagged as the configuration's (of step policies since removed). */
const alarmNamesOf = (stack: string, tagged: readonly TaggedResource[], ref: ScalingRef): string[] => [
  ...Object.keys(ref.alarms),
  ...taggedAlarms(stack, tagged, ref.logical).map((a) => a.name),
];

/** What a read of some configurations found. */
interface Live {
  /** What the Tagging API lists as the stack's: candidates (step alarms of removed policies), never proof of ownership. */
  tagged: readonly TaggedResource[];
  targets: ReadonlyMap<string, ScalableTarget>;
  /** By resource id. Those of an id without a target do not count: moto keeps a deregistered target's. */
  items: ReadonlyMap<string, TargetItems>;
  alarms: ReadonlyMap<string, MetricAlarm>;
  /** The tags of each target's ECS service, by resource id: whose the configuration is. */
  serviceTags: ReadonlyMap<string, Tags>;
  /** Each alarm's own tags, by name. */
  alarmTags: ReadonlyMap<string, Tags>;
}

/**
 * The configurations the spec names, in one round trip: their resource ids and step alarms are known from the spec,
 * so the region's ECS targets, policies and scheduled actions (ONE call of each per plan, see ecsTargets and
 * ecsItems), ONE DescribeAlarms, per cluster ONE DescribeServices (the services' tags: whose the configurations are)
 * and the stack's tagged resources are read side by side. Alarms known by their tags alone (of step policies the
 * spec no longer has) take one DescribeAlarms more, once the tags are read, when there are any; alarms the Tagging
 * API does not list, one ListTagsForResource each after that.
 */
async function readSideBySide(ctx: Context, refs: readonly ScalingRef[]): Promise<Live> {
  const resourceIds = refs.map((r) => r.resourceId);
  const named = new Set(refs.flatMap((r) => Object.keys(r.alarms)));
  const [stackTagged, targets, items, alarms, serviceTags] = await Promise.all([
    findTaggedResources(ctx),
    ecsTargets(ctx),
    ecsItems(ctx),
    describeAlarms(ctx, [...named]),
    serviceTagsOf(ctx, resourceIds),
  ]);
  const unasked = refs.flatMap((r) => alarmNamesOf(ctx.stack, stackTagged, r)).filter((name) => !named.has(name));
  const allAlarms = new Map([...alarms, ...(await describeAlarms(ctx, unasked))]);
  const alarmTags = await alarmTagsOf(ctx, stackTagged, allAlarms);
  return { tagged: stackTagged, targets, items, alarms: allAlarms, serviceTags, alarmTags };
}

/**
 * The configurations discover found (their targets listed, their services' tags read): the step alarms named by
 * their tags (the targets' policies and actions are the plan's, read already); then the tags of alarms the Tagging
 * API does not list.
 */
async function readFound(
  ctx: Context,
  refs: readonly ScalingRef[],
  targets: ReadonlyMap<string, ScalableTarget>,
  serviceTags: ReadonlyMap<string, Tags>,
  tagged: readonly TaggedResource[],
): Promise<Live> {
  const alarmNames = refs.flatMap((r) => alarmNamesOf(ctx.stack, tagged, r));
  const [alarms, items] = await Promise.all([describeAlarms(ctx, alarmNames), targets.size > 0 ? ecsItems(ctx) : new Map()]);
  return { tagged, targets, items, alarms, serviceTags, alarmTags: await alarmTagsOf(ctx, tagged, alarms) };
}

interface ObservedOptions {
  /** Also report alarms of a reference whose target is gone (for discover and delete). */
  orphans?: boolean;
}

function observedOf(stack: string, refs: readonly ScalingRef[], live: Live, options: ObservedOptions): Map<string, ObservedScaling> {
  const found = new Map<string, ObservedScaling>();
  for (const ref of refs) {
    const target = live.targets.get(ref.resourceId);
    const items = target && live.items.get(ref.resourceId);
    const alarms = observedAlarms(stack, ref, alarmNamesOf(stack, live.tagged, ref), live.alarms, (name) => live.alarmTags.get(name) ?? {});
    if (!target && !(options.orphans && Object.keys(alarms).length > 0)) continue;
    const owned = live.serviceTags.get(ref.resourceId)?.[STACK_TAG] === stack || !target;
    found.set(ref.resourceId, {
      name: ref.resourceId,
      // The resource id, not the target's ARN (which is random): discover can then skip what observe found unread.
      id: target ? ref.resourceId : `${ref.resourceId}#alarms`,
      tags: owned ? scalingTags(stack, ref.logical) : {},
      resourceId: ref.resourceId,
      logical: ref.logical,
      ...(target && {
        target: {
          minCapacity: target.MinCapacity ?? 0,
          maxCapacity: target.MaxCapacity ?? 0,
          suspended: suspendedFromAws(target.SuspendedState),
        },
      }),
      ...policiesFromAws(stack, items?.policies ?? []),
      scheduled: scheduledActionsFromAws(stack, items?.actions ?? []),
      alarms,
    });
  }
  return found;
}

/** The service's step alarms that exist, keyed by their policy's logical name (the alarm name's last part). */
function observedAlarms(
  stack: string,
  ref: ScalingRef,
  names: readonly string[],
  live: ReadonlyMap<string, MetricAlarm>,
  tagsOf: (name: string) => Tags,
): Record<string, ObservedAlarm> {
  const prefix = alarmName(stack, ref.logical, "");
  const alarms: Record<string, ObservedAlarm> = {};
  for (const name of new Set(names)) {
    const alarm = live.get(name);
    if (!alarm || !name.startsWith(prefix) || actsOnAnotherService(alarm, ref.resourceId)) continue;
    alarms[name.slice(prefix.length)] = alarmFromAws(alarm, tagsOf(name));
  }
  return alarms;
}

/**
 * Whether a step alarm drives a scaling policy of another service. Step alarms are named after the stack, the
 * service's logical name and the policy, not the cluster: when a service moves to another cluster, the new
 * configuration puts its alarm under the same name before the old configuration is deleted, and that alarm is
 * the new one's. Read afresh, not from the plan, because it changes during the run.
 */
function actsOnAnotherService(alarm: MetricAlarm, resourceId: string): boolean {
  // An orphan's reference (`autoScaling/<logical>`, its service gone) names no service: its alarms are all its own.
  if (!serviceOfResourceId(resourceId)) return false;
  const policies = (alarm.AlarmActions ?? []).filter((action) => action.includes(":resource/ecs/"));
  return policies.length > 0 && !policies.some((action) => action.includes(`:resource/ecs/${resourceId}:`));
}

// ---------------------------------------------------------------------------------------------------------
// Writes.

/** PutScalingPolicy; on AWS an existing policy keeps its ARN. */
async function putPolicy(ctx: Context, input: PutScalingPolicyCommandInput): Promise<string> {
  const { PolicyARN } = await ctx.clients.autoScaling.send(new PutScalingPolicyCommand(input));
  if (!PolicyARN) throw new Error(`PutScalingPolicy of ${input.PolicyName} on ${input.ResourceId} answered without its ARN`);
  return PolicyARN;
}

const deletePolicy = (ctx: Context, input: DeleteScalingPolicyCommandInput) =>
  ignoreGone(ctx.clients.autoScaling.send(new DeleteScalingPolicyCommand(input)));

const deleteScheduled = (ctx: Context, input: DeleteScheduledActionCommandInput) =>
  ignoreGone(ctx.clients.autoScaling.send(new DeleteScheduledActionCommand(input)));

/** DeleteAlarms of names that may already be gone (CloudWatch deletes what exists and ignores the rest). */
async function deleteAlarms(ctx: Context, names: readonly string[]): Promise<void> {
  for (const batch of inBatches([...new Set(names)], ALARMS_BATCH)) {
    await ctx.clients.cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: batch }));
  }
}

/**
 * A step policy, then its alarm with the policy's ARN as its action, then the alarm's tags (see StepScalingWrite);
 * the policy's ARN, when it was put, goes into `arns` by its name.
 */
async function writeStepScaling(ctx: Context, write: StepScalingWrite, arns: Map<string, string>): Promise<void> {
  const arn = "policy" in write ? await putPolicy(ctx, write.policy) : write.arn;
  if ("policy" in write) arns.set(write.policy.PolicyName!, arn);
  if (write.alarmActions === undefined || !isDeepStrictEqual(write.alarmActions, [arn])) {
    await ctx.clients.cloudWatch.send(new PutMetricAlarmCommand(drivingPolicy(write.alarm, arn)));
  }
  if (write.alarmTags) await writeAlarmTags(ctx, write.alarmTags.arn, write.alarmTags.change);
}

/**
 * The target first (the rest needs it), then the rest at once, then the alarms of removed step policies. The result
 * is made from what was sent and answered (afterChange), not read back.
 */
async function applyChange(ctx: Context, observed: ObservedScaling, change: ScalingChange): Promise<ObservedScaling> {
  const autoScaling = ctx.clients.autoScaling;
  const policyArns = new Map<string, string>();
  const put = async (input: PutScalingPolicyCommandInput) => void policyArns.set(input.PolicyName!, await putPolicy(ctx, input));
  if (change.register) await autoScaling.send(new RegisterScalableTargetCommand(change.register));
  await Promise.all([
    ...change.putTargetTracking.map((p) => put(targetTrackingInput(p))),
    ...change.stepScaling.map((write) => writeStepScaling(ctx, write, policyArns)),
    ...change.deletePolicies.map((input) => deletePolicy(ctx, input)),
    ...change.putScheduled.map((input) => autoScaling.send(new PutScheduledActionCommand(input))),
    ...change.deleteScheduled.map((input) => deleteScheduled(ctx, input)),
  ]);
  await deleteAlarms(ctx, change.deleteAlarms);
  // Read afresh: a step alarm's ARN (of one just made) is known only from CloudWatch. None when no step alarm is written.
  const alarms = await describeAlarms(
    ctx,
    change.stepScaling.map((w) => w.alarm.AlarmName!),
  );
  return afterChange(ctx.stack, observed, change, { policyArns, alarms });
}

/**
 * The stack's policies and actions on the target, then the target. AWS deletes a target's policies and actions with
 * it; moto does not (MOTO-NOTES), and a target registered again there would find them: they are deleted first.
 */
async function deregister(ctx: Context, observed: ObservedScaling): Promise<void> {
  const { resourceId, target } = observed;
  if (!target) return;
  await Promise.all([
    ...[...Object.keys(observed.targetTracking), ...Object.keys(observed.stepScaling)].map((name) =>
      deletePolicy(ctx, policyRef(resourceId, ctx.stack, name)),
    ),
    ...Object.keys(observed.scheduled).map((name) => deleteScheduled(ctx, scheduledActionRef(resourceId, ctx.stack, name))),
  ]);
  await ignoreGone(ctx.clients.autoScaling.send(new DeregisterScalableTargetCommand(targetRef(resourceId))));
}

// ---------------------------------------------------------------------------------------------------------
// Discovery.

/** The stack's ECS services, as references to their (possible) scaling configurations. */
function stackServices(stack: string, tagged: readonly TaggedResource[]): ScalingRef[] {
  return resourcesOfType(tagged, "ecs", "service").flatMap((r) => {
    const id = r.tags[ID_TAG];
    const parts = r.parsed.resource.split("/");
    if (r.tags[STACK_TAG] !== stack || !id?.startsWith("services/") || parts.length !== 2) return [];
    return [{ resourceId: `service/${parts[0]}/${parts[1]}`, logical: id.slice("services/".length), alarms: {} }];
  });
}

/**
 * The targets of the stack's services among those listed, by their services' tags (DescribeServices), as references;
 * the logical name is the service's `reconcile:id`.
 */
function ownedTargets(stack: string, resourceIds: readonly string[], serviceTags: ReadonlyMap<string, Tags>): ScalingRef[] {
  return resourceIds.flatMap((resourceId) => {
    const tags = serviceTags.get(resourceId);
    const id = tags?.[ID_TAG];
    if (tags?.[STACK_TAG] !== stack || !id?.startsWith("services/")) return [];
    return [{ resourceId, logical: id.slice("services/".length), alarms: {} }];
  });
}

/**
 * A configuration found without its target keeps only the alarms whose policy is on no live target: an alarm acting
 * on a live target is that configuration's, whatever the Tagging API listed or left out.
 */
function leftBehindAlarms(found: ObservedScaling, live: ReadonlyMap<string, ScalableTarget>): ObservedScaling | undefined {
  if (found.target) return found;
  const actsOnLive = (alarm: ObservedAlarm) => alarm.actions.some((a) => [...live.keys()].some((id) => a.includes(`:resource/ecs/${id}:`)));
  const alarms = Object.fromEntries(Object.entries(found.alarms).filter(([, alarm]) => !actsOnLive(alarm)));
  return Object.keys(alarms).length > 0 ? { ...found, alarms } : undefined;
}

/** Step alarms of the stack whose service is no longer the stack's (left behind by a crash): a reference of their own. */
function orphanRefs(stack: string, tagged: readonly TaggedResource[], services: readonly ScalingRef[]): ScalingRef[] {
  const covered = new Set(services.map((s) => s.logical));
  const logicals = new Set(taggedAlarms(stack, tagged).map((a) => a.tags[ID_TAG]!.slice("autoScaling/".length)));
  return [...logicals].filter((l) => !covered.has(l)).map((logical) => ({ resourceId: `autoScaling/${logical}`, logical, alarms: {} }));
}

// ---------------------------------------------------------------------------------------------------------
// Status.

/** The first page of the target's scaling activities of the last six weeks (it takes one resource id a call). */
async function describeActivities(ctx: Context, resourceId: string): Promise<ScalingActivity[]> {
  const { ScalingActivities } = await ctx.clients.autoScaling.send(new DescribeScalingActivitiesCommand(targetRef(resourceId)));
  return (ScalingActivities ?? []).filter((a) => a.ResourceId === resourceId);
}

/**
 * Per target its policies (which list the alarms AWS made for target tracking) and its activities, the targets side
 * by side; then ONE DescribeAlarms for every alarm of them all.
 */
async function scalingStatuses(observed: readonly ObservedScaling[], ctx: Context): Promise<Map<string, ResourceStatus>> {
  const read = await Promise.all(
    observed.map(async (o) => {
      const [policies, activities] = o.target
        ? await Promise.all([describePolicies(ctx, o.resourceId), describeActivities(ctx, o.resourceId)])
        : [[], []];
      return { observed: o, alarms: policyAlarms(ctx.stack, o, policies), activities };
    }),
  );
  const states = await describeAlarms(
    ctx,
    read.flatMap((r) => r.alarms.map((a) => a.name)),
  );
  return new Map(read.map((r) => [r.observed.id, scalingStatusOf(r.observed, r.alarms, states, r.activities)]));
}

// ---------------------------------------------------------------------------------------------------------
// The reconciler.

export const autoScalingReconciler: Reconciler<ScalingDesired, ObservedScaling, ScalingChange> = {
  kind: "autoScaling",
  refersTo: ["services", "targetGroups", "loadBalancers"],
  // Observe finds a configuration by its resource id and alarm names, which the spec gives: no output is read.
  looksUp: [],

  nodes: scalingNodes,

  async observe(desired, ctx) {
    const refs = desired.map((d) => refOf(d.value));
    if (refs.length === 0) return new Map();
    const found = observedOf(ctx.stack, refs, await readSideBySide(ctx, refs), {});
    return new Map(desired.flatMap(({ address, value }) => (found.has(value.resourceId) ? [[address, found.get(value.resourceId)!]] : [])));
  },

  /**
   * Every ECS scalable target of the region (ONE DescribeScalableTargets) beside the Tagging API's candidates; of the
   * targets observe did not read, the services' tags say which are the stack's (per cluster ONE DescribeServices, for
   * 10 services); then their policies and actions, and the step alarms. Services the Tagging API lists as the stack's
   * without a target, and step alarms tagged as a configuration no service covers, are looked at for alarms left behind.
   */
  async discover(ctx, known) {
    const [tagged, listed] = await Promise.all([findTaggedResources(ctx), ecsTargets(ctx)]);
    const unknown = [...listed.keys()].filter((id) => !known.has(id) && serviceOfResourceId(id) !== undefined);
    const serviceTags = await serviceTagsOf(ctx, unknown);
    const owned = ownedTargets(ctx.stack, unknown, serviceTags);
    const services = stackServices(ctx.stack, tagged);
    const targetless = services.filter((ref) => !known.has(ref.resourceId) && !listed.has(ref.resourceId));
    const unread = [...owned, ...targetless, ...orphanRefs(ctx.stack, tagged, [...services, ...owned])];
    if (unread.length === 0) return [];
    const targets = new Map(owned.map((ref) => [ref.resourceId, listed.get(ref.resourceId)!]));
    const found = observedOf(ctx.stack, unread, await readFound(ctx, unread, targets, serviceTags, tagged), { orphans: true });
    return [...found.values()]
      .flatMap((o) => leftBehindAlarms(o, listed) ?? [])
      .filter((o) => !known.has(o.id) && o.tags[STACK_TAG] === ctx.stack)
      .sort((a, b) => a.name.localeCompare(b.name));
  },

  diff: diffScaling,
  preview: previewScaling,

  create: (desired, ctx) => applyChange(ctx, nothingOf(desired), creation(desired)),

  update: (change, observed, ctx) => applyChange(ctx, observed, change),

  /**
   * Everything of the stack in the configuration: its policies and actions, the target, then the step alarms the
   * plan found (by name and by tag). No Tagging API query at delete time: a step alarm made by this run since the plan
   * drives a policy of a configuration this run made, on another target, and is not this one's to delete.
   */
  async delete(observed, ctx) {
    await deregister(ctx, observed);
    const names = Object.values(observed.alarms).map((a) => a.name);
    if (names.length === 0) return;
    // Read afresh: whether an alarm acts on another service changes during the run (see actsOnAnotherService).
    const current = [...(await describeAlarms(ctx, names)).values()];
    await deleteAlarms(
      ctx,
      current.filter((a) => !actsOnAnotherService(a, observed.resourceId)).map((a) => a.AlarmName!),
    );
  },

  outputs: (observed) => ({ resourceId: observed.resourceId }),
  status: scalingStatuses,
};
