/**
 * Application Auto Scaling of ECS services (kind "autoScaling"): one node per service with `autoScaling`, holding its
 * scalable target, the stack's policies and scheduled actions on it, and the CloudWatch alarms of its step policies.
 * The desired value, the diff and the request bodies are pure, in model.ts; this file makes the calls.
 *
 * Ownership. The scalable target belongs to its ECS service: its tags are synthesised from the service's (see
 * scalingTags), so a target on a service the stack does not own is never touched. On the target, only policies and
 * actions named `<stack>-…` are the stack's; others are left alone. Step alarms carry the stack's tags themselves.
 *
 * Deletion. AWS deletes a target's policies and scheduled actions when it is deregistered (DeregisterScalableTarget
 * reference); moto 5 does not, so the stack's own are deleted first, which on AWS only saves the cascade its work.
 */
import {
  DeleteScalingPolicyCommand,
  DeleteScheduledActionCommand,
  DeregisterScalableTargetCommand,
  PutScalingPolicyCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
  paginateDescribeScalableTargets,
  paginateDescribeScalingPolicies,
  paginateDescribeScheduledActions,
  type ScalableTarget,
  type ScalingPolicy,
  type ScheduledAction,
} from "@aws-sdk/client-application-auto-scaling";
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type MetricAlarm,
} from "@aws-sdk/client-cloudwatch";
import { isDeepStrictEqual } from "node:util";
import { awsErrorIs } from "../../../aws/errors.js";
import type { FieldDiff } from "../../../plan/model.js";
import { inBatches } from "../../shared/collections.js";
import { refuseReplacementDiffs, tagChanges, toTagList } from "../../shared/diff-helpers.js";
import {
  SCALABLE_DIMENSION,
  SERVICE_NAMESPACE,
  alarmFromAws,
  alarmName,
  alarmToAws,
  diffScaling,
  itemName,
  policiesFromAws,
  previewScaling,
  scalingChanges,
  scalingNodes,
  scalingTags,
  scheduledActionsFromAws,
  scheduledToAws,
  serviceOfResourceId,
  stepPolicyToAws,
  suspendedFromAws,
  suspendedToAws,
  targetTrackingToAws,
  type DesiredStepPolicy,
  type ObservedAlarm,
  type ObservedScaling,
  type ScalingDesired,
} from "./model.js";
import { findTaggedResources, queryTaggedResources, resourcesOfType, type TaggedResource } from "../../shared/tagged-resources.js";
import { ID_TAG, STACK_TAG, type Context, type LegacyReconciler, type Tags } from "../../shared/types.js";

export type { ObservedScaling, ScalingDesired } from "./model.js";

/** DescribeScalableTargets takes at most 50 resource ids; DescribeAlarms and DeleteAlarms 100 names. */
const TARGETS_BATCH = 50;
const ALARMS_BATCH = 100;

const TARGET = { ServiceNamespace: SERVICE_NAMESPACE, ScalableDimension: SCALABLE_DIMENSION } as const;

/**
 * Already gone. AWS answers ObjectNotFoundException; moto answers ValidationException "No scalable target found …" /
 * "No scaling policy found …".
 */
const isGone = (e: unknown): boolean =>
  awsErrorIs(e, "ObjectNotFoundException") ||
  (awsErrorIs(e, "ValidationException") && /No (scalable target|scaling policy) found/.test((e as Error).message));

async function ignoreGone(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (e) {
    if (!isGone(e)) throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reads.

async function describeTargets(ctx: Context, resourceIds: readonly string[]): Promise<Map<string, ScalableTarget>> {
  const found = new Map<string, ScalableTarget>();
  for (const batch of inBatches([...new Set(resourceIds)], TARGETS_BATCH)) {
    const pages = paginateDescribeScalableTargets({ client: ctx.clients.autoScaling }, { ...TARGET, ResourceIds: batch });
    for await (const page of pages) for (const t of page.ScalableTargets ?? []) if (t.ResourceId) found.set(t.ResourceId, t);
  }
  return found;
}

/** The target's policies. moto matches ResourceId as a substring, so the answer is filtered to the exact id. */
async function describePolicies(ctx: Context, resourceId: string): Promise<ScalingPolicy[]> {
  const found: ScalingPolicy[] = [];
  const pages = paginateDescribeScalingPolicies({ client: ctx.clients.autoScaling }, { ...TARGET, ResourceId: resourceId });
  for await (const page of pages) found.push(...(page.ScalingPolicies ?? []).filter((p) => p.ResourceId === resourceId));
  return found;
}

async function describeScheduled(ctx: Context, resourceId: string): Promise<ScheduledAction[]> {
  const found: ScheduledAction[] = [];
  const pages = paginateDescribeScheduledActions({ client: ctx.clients.autoScaling }, { ...TARGET, ResourceId: resourceId });
  for await (const page of pages) found.push(...(page.ScheduledActions ?? []).filter((a) => a.ResourceId === resourceId));
  return found;
}

async function describeAlarms(ctx: Context, names: readonly string[]): Promise<MetricAlarm[]> {
  const found: MetricAlarm[] = [];
  for (const batch of inBatches([...new Set(names)], ALARMS_BATCH)) {
    const { MetricAlarms } = await ctx.clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: batch, MaxRecords: ALARMS_BATCH }));
    found.push(...(MetricAlarms ?? []));
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

/** Whether the ECS service of this resource id carries the stack's tags. */
function serviceIsTheStacks(stack: string, tagged: readonly TaggedResource[], resourceId: string): boolean {
  const service = serviceOfResourceId(resourceId);
  if (!service) return false;
  return resourcesOfType(tagged, "ecs", "service").some(
    (r) => r.parsed.resource === `${service.cluster}/${service.service}` && r.tags[STACK_TAG] === stack,
  );
}

interface ScalingRef {
  resourceId: string;
  logical: string;
  /** The step alarms the spec names, looked for whether tagged or not. */
  alarmNames: readonly string[];
}

interface ReadOptions {
  /** The stack's tagged resources: the owning services and the step alarms. */
  tagged: readonly TaggedResource[];
  /** Also report alarms of a reference whose target is gone (for discover and delete). */
  orphans?: boolean;
  /** The tags of alarms this run has just written, which the Tagging API may not list yet. */
  writtenAlarmTags?: (policy: string) => Tags | undefined;
  /** Ownership known without the Tagging API (just created or changed by this run). */
  owned?: boolean;
}

/**
 * The live configurations of these services: ONE DescribeScalableTargets for all of them, then per target found ONE
 * DescribeScalingPolicies and ONE DescribeScheduledActions, then ONE DescribeAlarms for every step alarm.
 */
async function readScaling(ctx: Context, refs: readonly ScalingRef[], options: ReadOptions): Promise<Map<string, ObservedScaling>> {
  const stack = ctx.stack;
  const targets = await describeTargets(
    ctx,
    refs.map((r) => r.resourceId),
  );
  const withItems = await Promise.all(
    refs.map(async (ref) => {
      const target = targets.get(ref.resourceId);
      if (!target) return { ref, target, policies: [] as ScalingPolicy[], actions: [] as ScheduledAction[] };
      const [policies, actions] = await Promise.all([describePolicies(ctx, ref.resourceId), describeScheduled(ctx, ref.resourceId)]);
      return { ref, target, policies, actions };
    }),
  );
  const alarmTags = new Map(taggedAlarms(stack, options.tagged).map((a) => [a.name, a.tags]));
  const alarmNamesOf = (ref: ScalingRef) => [...ref.alarmNames, ...taggedAlarms(stack, options.tagged, ref.logical).map((a) => a.name)];
  const live = new Map((await describeAlarms(ctx, refs.flatMap(alarmNamesOf))).map((a) => [a.AlarmName!, a]));

  const found = new Map<string, ObservedScaling>();
  for (const { ref, target, policies, actions } of withItems) {
    const alarms = observedAlarms(
      stack,
      ref,
      alarmNamesOf(ref),
      live,
      (name, policy) => options.writtenAlarmTags?.(policy) ?? alarmTags.get(name) ?? {},
    );
    if (!target && !(options.orphans && Object.keys(alarms).length > 0)) continue;
    const owned = options.owned || serviceIsTheStacks(stack, options.tagged, ref.resourceId) || !target;
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
      ...policiesFromAws(stack, policies),
      scheduled: scheduledActionsFromAws(stack, actions),
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
  tagsOf: (name: string, policy: string) => Tags,
): Record<string, ObservedAlarm> {
  const prefix = alarmName(stack, ref.logical, "");
  const alarms: Record<string, ObservedAlarm> = {};
  for (const name of new Set(names)) {
    const alarm = live.get(name);
    if (!alarm || !name.startsWith(prefix) || actsOnAnotherService(alarm, ref.resourceId)) continue;
    const policy = name.slice(prefix.length);
    alarms[policy] = alarmFromAws(alarm, tagsOf(name, policy));
  }
  return alarms;
}

const refOf = (desired: ScalingDesired): ScalingRef => ({
  resourceId: desired.resourceId,
  logical: desired.logical,
  alarmNames: Object.values(desired.stepScaling).map((p) => p.alarm.name),
});

/** The configuration as this run has just written it, read back. */
async function readBack(ctx: Context, desired: ScalingDesired): Promise<ObservedScaling> {
  const found = await readScaling(ctx, [refOf(desired)], {
    tagged: [],
    owned: true,
    writtenAlarmTags: (policy) => desired.stepScaling[policy]?.alarm.tags,
  });
  const observed = found.get(desired.resourceId);
  if (!observed) throw new Error(`scalable target ${desired.resourceId} was registered but DescribeScalableTargets does not list it`);
  return observed;
}

// ---------------------------------------------------------------------------------------------------------
// Writes.

async function registerTarget(ctx: Context, desired: ScalingDesired): Promise<void> {
  // No RoleARN: AWS uses (and creates) its service-linked role for ECS.
  await ctx.clients.autoScaling.send(
    new RegisterScalableTargetCommand({
      ...TARGET,
      ResourceId: desired.resourceId,
      MinCapacity: desired.minCapacity,
      MaxCapacity: desired.maxCapacity,
      ...(desired.suspend && { SuspendedState: suspendedToAws(desired.suspend) }),
    }),
  );
}

async function putTargetTracking(ctx: Context, desired: ScalingDesired, name: string): Promise<void> {
  await ctx.clients.autoScaling.send(
    new PutScalingPolicyCommand({
      ...TARGET,
      ResourceId: desired.resourceId,
      PolicyName: itemName(desired.stack, name),
      PolicyType: "TargetTrackingScaling",
      TargetTrackingScalingPolicyConfiguration: targetTrackingToAws(desired.targetTracking[name]!),
    }),
  );
}

/** PutScalingPolicy; on AWS an existing policy keeps its ARN. */
async function putStepPolicy(ctx: Context, desired: ScalingDesired, name: string): Promise<string> {
  const { PolicyARN } = await ctx.clients.autoScaling.send(
    new PutScalingPolicyCommand({
      ...TARGET,
      ResourceId: desired.resourceId,
      PolicyName: itemName(desired.stack, name),
      PolicyType: "StepScaling",
      StepScalingPolicyConfiguration: stepPolicyToAws(desired.stepScaling[name]!),
    }),
  );
  if (!PolicyARN) throw new Error(`PutScalingPolicy of ${itemName(desired.stack, name)} on ${desired.resourceId} answered without its ARN`);
  return PolicyARN;
}

/** PutMetricAlarm. Its Tags count only when it creates the alarm ("ignored" on an update, per its reference). */
async function putAlarm(ctx: Context, policy: DesiredStepPolicy, policyArn: string): Promise<void> {
  await ctx.clients.cloudWatch.send(
    new PutMetricAlarmCommand({ ...alarmToAws(policy.alarm, policyArn), Tags: toTagList(policy.alarm.tags) }),
  );
}

async function deletePolicy(ctx: Context, resourceId: string, name: string): Promise<void> {
  await ignoreGone(
    ctx.clients.autoScaling.send(
      new DeleteScalingPolicyCommand({ ...TARGET, ResourceId: resourceId, PolicyName: itemName(ctx.stack, name) }),
    ),
  );
}

async function deleteScheduled(ctx: Context, resourceId: string, name: string): Promise<void> {
  await ignoreGone(
    ctx.clients.autoScaling.send(
      new DeleteScheduledActionCommand({ ...TARGET, ResourceId: resourceId, ScheduledActionName: itemName(ctx.stack, name) }),
    ),
  );
}

async function putScheduled(ctx: Context, desired: ScalingDesired, name: string): Promise<void> {
  await ctx.clients.autoScaling.send(
    new PutScheduledActionCommand({
      ...TARGET,
      ResourceId: desired.resourceId,
      ScheduledActionName: itemName(desired.stack, name),
      ...scheduledToAws(desired.scheduled[name]!),
    }),
  );
}

/** DeleteAlarms of names that may already be gone (CloudWatch deletes what exists and ignores the rest). */
async function deleteAlarms(ctx: Context, names: readonly string[]): Promise<void> {
  for (const batch of inBatches([...new Set(names)], ALARMS_BATCH)) {
    if (batch.length > 0) await ctx.clients.cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: batch }));
  }
}

/** The alarm's tag diffs (`stepScaling.<p>.alarm.tags.<key>`) applied with TagResource/UntagResource. */
async function updateAlarmTags(ctx: Context, alarm: ObservedAlarm, desiredTags: Tags, diffs: readonly FieldDiff[], name: string) {
  const prefix = `stepScaling.${name}.alarm.`;
  const own = diffs.filter((d) => d.path.startsWith(`${prefix}tags.`)).map((d) => ({ ...d, path: d.path.slice(prefix.length) }));
  const { set, remove } = tagChanges(own, desiredTags);
  if (Object.keys(set).length > 0)
    await ctx.clients.cloudWatch.send(new TagResourceCommand({ ResourceARN: alarm.arn, Tags: toTagList(set) }));
  if (remove.length > 0) await ctx.clients.cloudWatch.send(new UntagResourceCommand({ ResourceARN: alarm.arn, TagKeys: remove }));
}

/**
 * A step policy and its alarm as the spec has them. The alarm is put when it is missing, changed, or no longer points
 * at its policy: on AWS PutScalingPolicy keeps the policy's ARN; moto gives a re-put policy a new one.
 */
async function applyStepPolicy(
  ctx: Context,
  desired: ScalingDesired,
  observed: ObservedScaling,
  name: string,
  options: { policy: boolean; alarm: boolean; tags: boolean; diffs: readonly FieldDiff[] },
): Promise<void> {
  const policy = desired.stepScaling[name]!;
  const existing = observed.stepScaling[name]?.arn;
  const arn = options.policy || existing === undefined ? await putStepPolicy(ctx, desired, name) : existing;
  const alarm = observed.alarms[name];
  if (!alarm || options.alarm || !isDeepStrictEqual(alarm.actions, [arn])) await putAlarm(ctx, policy, arn);
  if (alarm && options.tags) await updateAlarmTags(ctx, alarm, policy.alarm.tags, options.diffs, name);
}

async function createScaling(ctx: Context, desired: ScalingDesired): Promise<void> {
  await registerTarget(ctx, desired);
  const empty: ObservedScaling = {
    name: desired.resourceId,
    id: desired.resourceId,
    tags: {},
    resourceId: desired.resourceId,
    logical: desired.logical,
    targetTracking: {},
    stepScaling: {},
    scheduled: {},
    alarms: {},
  };
  await Promise.all([
    ...Object.keys(desired.targetTracking).map((name) => putTargetTracking(ctx, desired, name)),
    ...Object.keys(desired.stepScaling).map((name) =>
      applyStepPolicy(ctx, desired, empty, name, { policy: true, alarm: true, tags: false, diffs: [] }),
    ),
    ...Object.keys(desired.scheduled).map((name) => putScheduled(ctx, desired, name)),
  ]);
}

/** Everything of the stack in a configuration: its policies and actions, the target, then the step alarms. */
async function deleteScaling(ctx: Context, observed: ObservedScaling, extraAlarms: readonly string[]): Promise<void> {
  const { resourceId } = observed;
  if (observed.target) {
    await Promise.all([
      ...[...Object.keys(observed.targetTracking), ...Object.keys(observed.stepScaling)].map((name) => deletePolicy(ctx, resourceId, name)),
      ...Object.keys(observed.scheduled).map((name) => deleteScheduled(ctx, resourceId, name)),
    ]);
    await ignoreGone(ctx.clients.autoScaling.send(new DeregisterScalableTargetCommand({ ...TARGET, ResourceId: resourceId })));
  }
  const names = [...Object.values(observed.alarms).map((a) => a.name), ...extraAlarms];
  const current = names.length === 0 ? [] : await describeAlarms(ctx, names);
  await deleteAlarms(
    ctx,
    current.filter((a) => !actsOnAnotherService(a, resourceId)).map((a) => a.AlarmName!),
  );
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

/**
 * Removes a service's scaling configuration before the service is deleted or replaced (so that the scaler cannot fight
 * the drain). Works from the resource id and the service's logical name alone; nothing registered makes no write.
 * Usually nothing is: the service has no auto scaling, or its autoScaling node was deleted first. One
 * DescribeScalableTargets tells, before the Tagging API query the step alarms need. (Alarms a crash left without their
 * target are not looked for here: the autoScaling kind's discover finds them.)
 */
export async function removeServiceScaling(ctx: Context, ref: { resourceId: string; logical: string }): Promise<void> {
  if (!(await describeTargets(ctx, [ref.resourceId])).has(ref.resourceId)) return;
  const tagged = await queryTaggedResources(ctx);
  const found = await readScaling(ctx, [{ ...ref, alarmNames: [] }], { tagged, orphans: true });
  const observed = found.get(ref.resourceId);
  if (observed) await deleteScaling(ctx, observed, []);
}

// ---------------------------------------------------------------------------------------------------------
// Discovery.

/** The stack's ECS services, as references to their (possible) scaling configurations. */
function stackServices(stack: string, tagged: readonly TaggedResource[]): ScalingRef[] {
  return resourcesOfType(tagged, "ecs", "service").flatMap((r) => {
    const id = r.tags[ID_TAG];
    const parts = r.parsed.resource.split("/");
    if (r.tags[STACK_TAG] !== stack || !id?.startsWith("services/") || parts.length !== 2) return [];
    return [{ resourceId: `service/${parts[0]}/${parts[1]}`, logical: id.slice("services/".length), alarmNames: [] }];
  });
}

/** Step alarms of the stack whose service is no longer the stack's (left behind by a crash): a reference of their own. */
function orphanRefs(stack: string, tagged: readonly TaggedResource[], services: readonly ScalingRef[]): ScalingRef[] {
  const covered = new Set(services.map((s) => s.logical));
  const logicals = new Set(taggedAlarms(stack, tagged).map((a) => a.tags[ID_TAG]!.slice("autoScaling/".length)));
  return [...logicals].filter((l) => !covered.has(l)).map((logical) => ({ resourceId: `autoScaling/${logical}`, logical, alarmNames: [] }));
}

// ---------------------------------------------------------------------------------------------------------
// The reconciler.

export const autoScalingReconciler: LegacyReconciler<ScalingDesired, ObservedScaling> = {
  kind: "autoScaling",
  refersTo: ["services", "targetGroups", "loadBalancers"],
  looksUp: [],

  nodes: scalingNodes,

  async observe(desired, ctx) {
    const tagged = await findTaggedResources(ctx);
    const found = await readScaling(
      ctx,
      desired.map((d) => refOf(d.value)),
      { tagged },
    );
    return new Map(desired.flatMap(({ address, value }) => (found.has(value.resourceId) ? [[address, found.get(value.resourceId)!]] : [])));
  },

  async discover(ctx, known) {
    const tagged = await findTaggedResources(ctx);
    const services = stackServices(ctx.stack, tagged);
    const unread = [...services, ...orphanRefs(ctx.stack, tagged, services)].filter((ref) => !known.has(ref.resourceId));
    const found = unread.length === 0 ? new Map() : await readScaling(ctx, unread, { tagged, orphans: true });
    return [...found.values()]
      .filter((o) => !known.has(o.id) && o.tags[STACK_TAG] === ctx.stack)
      .sort((a, b) => a.name.localeCompare(b.name));
  },

  diff: diffScaling,
  preview: previewScaling,

  async create(desired, ctx) {
    await createScaling(ctx, desired);
    return readBack(ctx, desired);
  },

  async update(desired, observed, diffs, ctx) {
    refuseReplacementDiffs(`scaling of ${observed.resourceId}`, diffs);
    const changes = scalingChanges(diffs);
    const { resourceId } = observed;
    if (changes.target) await registerTarget(ctx, desired);

    const stale: string[] = [];
    const stepNames = [...new Set([...changes.stepPolicies, ...changes.stepAlarms, ...changes.alarmTags])];
    await Promise.all([
      ...changes.targetTracking.map((name) =>
        desired.targetTracking[name] ? putTargetTracking(ctx, desired, name) : deletePolicy(ctx, resourceId, name),
      ),
      ...stepNames.map(async (name) => {
        if (desired.stepScaling[name]) {
          const options = {
            policy: changes.stepPolicies.includes(name),
            alarm: changes.stepAlarms.includes(name),
            tags: changes.alarmTags.includes(name),
            diffs,
          };
          return applyStepPolicy(ctx, desired, observed, name, options);
        }
        // The alarm goes after its policy, so that no alarm is left driving nothing while the policy remains.
        if (observed.stepScaling[name]) await deletePolicy(ctx, resourceId, name);
        if (observed.alarms[name]) stale.push(observed.alarms[name].name);
      }),
      ...changes.scheduled.map((name) =>
        desired.scheduled[name] ? putScheduled(ctx, desired, name) : deleteScheduled(ctx, resourceId, name),
      ),
    ]);
    await deleteAlarms(ctx, stale);
    return readBack(ctx, desired);
  },

  async delete(observed, ctx) {
    // The step alarms by tag, afresh: this run may have created some since the plan was made.
    const tagged = await queryTaggedResources(ctx);
    await deleteScaling(
      ctx,
      observed,
      taggedAlarms(ctx.stack, tagged, observed.logical).map((a) => a.name),
    );
  },

  outputs: (observed) => ({ resourceId: observed.resourceId }),
};
