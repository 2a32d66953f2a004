/**
 * Listeners of the spec's load balancers, with their rules.
 *
 * A listener has no name: observe finds it on its load balancer by its ownership tag, else by the spec's port
 * (the planner then judges ownership from its tags). Its rules belong to it: they are part of its desired and
 * observed state, but each carries tags of its own (`reconcile:id` = `listeners/<lb>.<name>/rules/<rule>`),
 * and only the rules so tagged are the stack's. A rule someone else added is left alone and never shown; one
 * on a priority the spec wants makes create/update fail before any call, naming the rule and the priority.
 *
 * Deleting a listener deletes its rules (AWS does it), so `discover` and `delete` never read them.
 */
import {
  AddListenerCertificatesCommand,
  CreateListenerCommand,
  CreateRuleCommand,
  DeleteListenerCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RemoveListenerCertificatesCommand,
  SetRulePrioritiesCommand,
  paginateDescribeListenerCertificates,
  paginateDescribeListeners,
  paginateDescribeRules,
  type Listener as AwsListener,
  type ModifyListenerCommandInput,
  type Rule as AwsRule,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { awsErrorIs } from "../../../aws/errors.js";
import type { FieldDiff, KnownAfterApply } from "../../../plan/model.js";
import type { ListenerSpec } from "../../../schema/load-balancing.js";
import { targetGroupsOf } from "../../../schema/queries.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, known, refuseReplacementDiffs, sortedSet, toTagList } from "../../shared/diff-helpers.js";
import { describeElbTags, updateElbTags } from "../api.js";
import {
  actionFromAws,
  actionFromSpec,
  actionToAws,
  conditionsFromAws,
  conditionsFromSpec,
  conditionsToAws,
  type CanonicalAction,
  type CanonicalConditions,
} from "./actions.js";
import { findTaggedResources, parseArn, resourcesOfType } from "../../shared/tagged-resources.js";
import {
  addressOf,
  ID_TAG,
  ownedTags,
  sharedRead,
  STACK_TAG,
  type Context,
  type DesiredNode,
  type Observed,
  type LegacyReconciler,
  type Tags,
} from "../../shared/types.js";

export interface ListenerRuleDesired {
  priority: number;
  conditions: CanonicalConditions;
  action: CanonicalAction;
  tags: Tags;
}

export interface ListenerDesired {
  /** A readable identity: `albCurso107 HTTP:8080`. */
  name: string;
  loadBalancerArn: string | KnownAfterApply;
  protocol: "HTTP" | "HTTPS";
  port: number;
  /** HTTPS: the first of the spec's certificates. */
  defaultCertificate?: string;
  /** HTTPS: the others, sorted. */
  additionalCertificates: string[];
  /** Left out: whatever AWS chose is not drift. */
  sslPolicy?: string;
  defaultAction: CanonicalAction;
  rules: Record<string, ListenerRuleDesired>;
  tags: Tags;
}

export interface ObservedListenerRule {
  arn: string;
  priority: number;
  conditions: CanonicalConditions;
  action: CanonicalAction;
  tags: Tags;
}

export interface ObservedListener extends Observed {
  loadBalancerArn: string;
  protocol: string;
  port: number;
  defaultCertificate?: string;
  additionalCertificates: string[];
  sslPolicy?: string;
  defaultAction: CanonicalAction;
  /**
   * Every rule but the default one, whoever owns it, by priority. After discover: not read (empty), and neither
   * are the additional certificates: a discovered listener is only ever deleted.
   */
  rules: ObservedListenerRule[];
}

const unique = <T>(values: readonly T[]) => [...new Set(values)];

const listenerName = (loadBalancerName: string, protocol: string, port: number) => `${loadBalancerName} ${protocol}:${port}`;

/** `app/<name>/<id>` in a load balancer ARN. */
const loadBalancerNameOf = (arn: string) => parseArn(arn)?.resource.split("/")[1] ?? arn;

/** The ownership id of a rule: under its listener's. */
const ruleId = (listenerId: string, ruleName: string) => `${listenerId}/rules/${ruleName}`;

const ruleTags = (listenerTags: Tags, ruleName: string): Tags => ({
  ...listenerTags,
  [ID_TAG]: ruleId(listenerTags[ID_TAG] ?? "", ruleName),
});

// ---------------------------------------------------------------------------------------------------------
// Nodes.

function listenerNode(spec: Spec, lb: string, name: string, listener: ListenerSpec, adopt: boolean): DesiredNode<ListenerDesired> {
  const logical = `${lb}.${name}`;
  const lbAddress = addressOf("loadBalancers", lb);
  const readable = listenerName(physicalName(spec, "loadBalancers", lb), listener.protocol, listener.port);
  const rules = Object.entries(listener.rules);
  const targetGroups = unique([listener.defaultAction, ...rules.map(([, rule]) => rule.action)].flatMap(targetGroupsOf));
  return {
    kind: "listeners",
    logical,
    address: addressOf("listeners", logical),
    name: readable,
    dependsOn: [lbAddress, ...targetGroups.map((tg) => addressOf("targetGroups", tg))],
    adopt,
    readOnly: false,
    build: (outputs) => {
      const arnOf = (tg: string) => outputs.string(addressOf("targetGroups", tg), "arn");
      const tags = ownedTags(spec, "listeners", logical, undefined);
      const [defaultCertificate, ...additional] = listener.certificates ?? [];
      return {
        name: readable,
        loadBalancerArn: outputs.string(lbAddress, "arn"),
        protocol: listener.protocol,
        port: listener.port,
        ...(defaultCertificate !== undefined && { defaultCertificate }),
        additionalCertificates: sortedSet(additional),
        ...(listener.sslPolicy !== undefined && { sslPolicy: listener.sslPolicy }),
        defaultAction: actionFromSpec(listener.defaultAction, arnOf),
        rules: Object.fromEntries(
          rules.map(([ruleName, rule]) => [
            ruleName,
            {
              priority: rule.priority,
              conditions: conditionsFromSpec(rule.conditions),
              action: actionFromSpec(rule.action, arnOf),
              tags: ruleTags(tags, ruleName),
            },
          ]),
        ),
        tags,
      };
    },
  };
}

function listenerNodes(spec: Spec): DesiredNode<ListenerDesired>[] {
  return Object.entries(spec.loadBalancers).flatMap(([lb, entry]) =>
    Object.entries(entry.listeners).map(([name, listener]) => listenerNode(spec, lb, name, listener, entry.adopt ?? false)),
  );
}

// ---------------------------------------------------------------------------------------------------------
// AWS's answers, parsed.

const NO_ACTION: CanonicalAction = { type: "other", actions: [] };

export function parseRule(rule: AwsRule, tags: Tags): ObservedListenerRule {
  return {
    arn: rule.RuleArn!,
    priority: Number(rule.Priority),
    conditions: conditionsFromAws(rule.Conditions),
    action: actionFromAws(rule.Actions) ?? NO_ACTION,
    tags,
  };
}

/** `certificates`: DescribeListenerCertificates' answer (the default one among them is left out here). */
export function parseListener(
  listener: AwsListener,
  tags: Tags,
  certificates: readonly string[],
  rules: readonly ObservedListenerRule[],
): ObservedListener {
  const loadBalancerArn = listener.LoadBalancerArn ?? "";
  const protocol = listener.Protocol ?? "";
  const port = listener.Port ?? 0;
  // DescribeListeners lists the default certificate only.
  const defaultCertificate = listener.Certificates?.[0]?.CertificateArn;
  return {
    name: listenerName(loadBalancerNameOf(loadBalancerArn), protocol, port),
    id: listener.ListenerArn!,
    tags,
    loadBalancerArn,
    protocol,
    port,
    ...(defaultCertificate !== undefined && { defaultCertificate }),
    additionalCertificates: sortedSet(certificates.filter((c) => c !== defaultCertificate)),
    ...(listener.SslPolicy !== undefined && { sslPolicy: listener.SslPolicy }),
    defaultAction: actionFromAws(listener.DefaultActions) ?? NO_ACTION,
    rules: [...rules].sort((a, b) => a.priority - b.priority),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Diff.

/** Whose each live rule is: the stack's by name (the first copy, by priority), its extra copies, and the rest. */
interface SortedRules {
  ours: Map<string, ObservedListenerRule>;
  /** The stack's rules the spec no longer has, or second copies of one it has, keyed by their plan path under `rules.`. */
  unwanted: Array<{ key: string; rule: ObservedListenerRule }>;
  foreign: ObservedListenerRule[];
}

/** The name a rule's ownership tag gives it, when it is one of this listener's rules of the stack. */
function ruleNameOf(rule: ObservedListenerRule, listenerTags: Tags): string | undefined {
  const prefix = ruleId(listenerTags[ID_TAG] ?? "", "");
  const id = rule.tags[ID_TAG];
  if (rule.tags[STACK_TAG] !== listenerTags[STACK_TAG] || !id?.startsWith(prefix)) return undefined;
  return id.slice(prefix.length);
}

function sortRules(desired: ListenerDesired, observed: ObservedListener): SortedRules {
  const sorted: SortedRules = { ours: new Map(), unwanted: [], foreign: [] };
  for (const rule of observed.rules) {
    const name = ruleNameOf(rule, desired.tags);
    if (name === undefined) sorted.foreign.push(rule);
    else if (sorted.ours.has(name)) sorted.unwanted.push({ key: `${name}[${rule.arn.slice(rule.arn.lastIndexOf("/") + 1)}]`, rule });
    else if (name in desired.rules) sorted.ours.set(name, rule);
    else {
      sorted.ours.set(name, rule);
      sorted.unwanted.push({ key: name, rule });
    }
  }
  return sorted;
}

const shownRule = (rule: Pick<ListenerRuleDesired, "priority" | "conditions" | "action">) => ({
  priority: rule.priority,
  conditions: rule.conditions,
  action: rule.action,
});

const CONDITION_FIELDS = ["pathPatterns", "hostHeaders", "httpHeaders", "others"] as const;

function diffRule(name: string, want: ListenerRuleDesired, live: ObservedListenerRule): FieldDiff[] {
  const at = `rules.${name}`;
  return [
    ...diffField(`${at}.priority`, live.priority, want.priority),
    ...CONDITION_FIELDS.flatMap((field) => diffField(`${at}.conditions.${field}`, live.conditions[field], want.conditions[field])),
    ...diffField(`${at}.action`, live.action, want.action),
    ...diffTags(want.tags, live.tags).map((d) => ({ ...d, path: `${at}.${d.path}` })),
  ];
}

function diffRules(desired: ListenerDesired, observed: ObservedListener): FieldDiff[] {
  const { ours, unwanted } = sortRules(desired, observed);
  const wanted = Object.entries(desired.rules).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [
    ...wanted.flatMap(([name, want]) => {
      const live = ours.get(name);
      return live ? diffRule(name, want, live) : [{ path: `rules.${name}`, after: shownRule(want) }];
    }),
    ...unwanted.map(({ key, rule }) => ({ path: `rules.${key}`, before: shownRule(rule) })),
  ];
}

export function diffListener(desired: ListenerDesired, observed: ObservedListener): FieldDiff[] {
  const https = desired.protocol === "HTTPS";
  return [
    ...diffField("loadBalancerArn", observed.loadBalancerArn, desired.loadBalancerArn, { forcesReplacement: true }),
    ...diffField("protocol", observed.protocol, desired.protocol),
    ...diffField("port", observed.port, desired.port),
    ...(https ? diffField("defaultCertificate", observed.defaultCertificate, desired.defaultCertificate) : []),
    ...(https ? diffField("additionalCertificates", observed.additionalCertificates, desired.additionalCertificates) : []),
    ...(desired.sslPolicy !== undefined ? diffField("sslPolicy", observed.sslPolicy, desired.sslPolicy) : []),
    ...diffField("defaultAction", observed.defaultAction, desired.defaultAction),
    ...diffRules(desired, observed),
    ...diffTags(desired.tags, observed.tags),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Reads.

/** The listeners of one load balancer; none when it is gone. Read once per plan: observe and discover both ask. */
function listenersOf(ctx: Context, loadBalancerArn: string): Promise<AwsListener[]> {
  return sharedRead(ctx, `listeners of ${loadBalancerArn}`, () => describeListenersOf(ctx, loadBalancerArn));
}

async function describeListenersOf(ctx: Context, loadBalancerArn: string): Promise<AwsListener[]> {
  const listeners: AwsListener[] = [];
  try {
    for await (const page of paginateDescribeListeners({ client: ctx.clients.elbv2 }, { LoadBalancerArn: loadBalancerArn })) {
      listeners.push(...(page.Listeners ?? []));
    }
  } catch (error) {
    if (!awsErrorIs(error, "LoadBalancerNotFound")) throw error;
    return [];
  }
  return listeners;
}

/** The listener's rules but its default one (its default action, which DescribeListeners gives already). */
async function rulesOf(ctx: Context, listenerArn: string): Promise<AwsRule[]> {
  const rules: AwsRule[] = [];
  for await (const page of paginateDescribeRules({ client: ctx.clients.elbv2 }, { ListenerArn: listenerArn })) {
    rules.push(...(page.Rules ?? []).filter((r) => !r.IsDefault));
  }
  return rules;
}

async function certificatesOf(ctx: Context, listenerArn: string): Promise<string[]> {
  const certificates: string[] = [];
  for await (const page of paginateDescribeListenerCertificates({ client: ctx.clients.elbv2 }, { ListenerArn: listenerArn })) {
    for (const c of page.Certificates ?? []) if (c.CertificateArn && !c.IsDefault) certificates.push(c.CertificateArn);
  }
  return certificates;
}

/** Listeners with their rules (tags of all of them in one batch) and, for HTTPS, their additional certificates. */
async function withRules(ctx: Context, listeners: readonly AwsListener[], tags: ReadonlyMap<string, Tags>): Promise<ObservedListener[]> {
  const details = await Promise.all(
    listeners.map(async (listener) => ({
      listener,
      rules: await rulesOf(ctx, listener.ListenerArn!),
      certificates: listener.Protocol === "HTTPS" ? await certificatesOf(ctx, listener.ListenerArn!) : [],
    })),
  );
  const ruleTags = await describeElbTags(
    ctx,
    details.flatMap((d) => d.rules.map((r) => r.RuleArn!)),
  );
  return details.map(({ listener, rules, certificates }) =>
    parseListener(
      listener,
      tags.get(listener.ListenerArn!) ?? {},
      certificates,
      rules.map((r) => parseRule(r, ruleTags.get(r.RuleArn!) ?? {})),
    ),
  );
}

/**
 * Which live listener each node is: the one tagged as the node (stack and id), else the one on the spec's port
 * that no other node claims by its tag.
 */
export function pickListeners(
  desired: ReadonlyArray<{ address: string; value: ListenerDesired }>,
  live: readonly AwsListener[],
  tags: ReadonlyMap<string, Tags>,
): Map<string, AwsListener> {
  const picked = new Map<string, AwsListener>();
  const onItsLoadBalancer = (value: ListenerDesired) => live.filter((l) => l.LoadBalancerArn === value.loadBalancerArn);
  for (const { address, value } of desired) {
    const tagged = onItsLoadBalancer(value).find((l) => {
      const own = tags.get(l.ListenerArn!) ?? {};
      return own[STACK_TAG] === value.tags[STACK_TAG] && own[ID_TAG] === value.tags[ID_TAG];
    });
    if (tagged) picked.set(address, tagged);
  }
  const claimed = new Set([...picked.values()].map((l) => l.ListenerArn));
  for (const { address, value } of desired) {
    if (picked.has(address)) continue;
    const onPort = onItsLoadBalancer(value).find((l) => l.Port === value.port && !claimed.has(l.ListenerArn));
    if (onPort) {
      picked.set(address, onPort);
      claimed.add(onPort.ListenerArn);
    }
  }
  return picked;
}

async function observeListeners(
  desired: ReadonlyArray<{ address: string; value: ListenerDesired }>,
  ctx: Context,
): Promise<Map<string, ObservedListener>> {
  // A load balancer not known yet does not exist yet, and neither do its listeners.
  const loadBalancers = unique(desired.flatMap(({ value }) => (typeof value.loadBalancerArn === "string" ? [value.loadBalancerArn] : [])));
  const live = (await Promise.all(loadBalancers.map((arn) => listenersOf(ctx, arn)))).flat();
  if (live.length === 0) return new Map();
  const tags = await describeElbTags(
    ctx,
    live.map((l) => l.ListenerArn!),
  );
  const picked = pickListeners(desired, live, tags);
  const observed = new Map((await withRules(ctx, [...picked.values()], tags)).map((o) => [o.id, o]));
  return new Map([...picked].map(([address, listener]) => [address, observed.get(listener.ListenerArn!)!]));
}

/** The stack's listeners on the stack's load balancers (the Tagging API lists load balancers, not listeners). */
async function discoverListeners(ctx: Context, knownIds: ReadonlySet<string>): Promise<ObservedListener[]> {
  const loadBalancers = resourcesOfType(await findTaggedResources(ctx), "elasticloadbalancing", "loadbalancer");
  const live = (await Promise.all(loadBalancers.map((lb) => listenersOf(ctx, lb.arn)))).flat().filter((l) => !knownIds.has(l.ListenerArn!));
  if (live.length === 0) return [];
  const tags = await describeElbTags(
    ctx,
    live.map((l) => l.ListenerArn!),
  );
  return live
    .filter((l) => tags.get(l.ListenerArn!)?.[STACK_TAG] === ctx.stack)
    .map((l) => parseListener(l, tags.get(l.ListenerArn!)!, [], []))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function readListener(ctx: Context, arn: string): Promise<ObservedListener> {
  const { Listeners } = await ctx.clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [arn] }));
  const [observed] = await withRules(ctx, Listeners ?? [], await describeElbTags(ctx, [arn]));
  if (!observed) throw new Error(`listener ${arn} was changed but DescribeListeners no longer lists it`);
  return observed;
}

// ---------------------------------------------------------------------------------------------------------
// Writes.

/** The rule calls the given diffs ask for. */
interface RuleCalls {
  create: Array<{ name: string; rule: ListenerRuleDesired }>;
  remove: ObservedListenerRule[];
  move: Array<{ name: string; rule: ObservedListenerRule; priority: number }>;
  modify: Array<{ rule: ObservedListenerRule; conditions?: CanonicalConditions; action?: CanonicalAction }>;
  retag: Array<{ rule: ObservedListenerRule; tags: Tags; diffs: FieldDiff[] }>;
  /** Rules the stack does not own: never touched, only checked against the priorities wanted. */
  foreign: ObservedListenerRule[];
}

function ruleCalls(desired: ListenerDesired, observed: ObservedListener, diffs: readonly FieldDiff[]): RuleCalls {
  const paths = new Set(diffs.map((d) => d.path));
  const under = (prefix: string) => diffs.filter((d) => d.path.startsWith(prefix));
  const { ours, unwanted, foreign } = sortRules(desired, observed);
  const calls: RuleCalls = { create: [], remove: [], move: [], modify: [], retag: [], foreign };
  for (const [name, want] of Object.entries(desired.rules)) {
    const at = `rules.${name}`;
    const live = ours.get(name);
    if (!live) {
      if (paths.has(at)) calls.create.push({ name, rule: want });
      continue;
    }
    if (paths.has(`${at}.priority`)) calls.move.push({ name, rule: live, priority: want.priority });
    const conditionsChanged = under(`${at}.conditions.`).length > 0;
    const actionChanged = paths.has(`${at}.action`);
    if (conditionsChanged || actionChanged) {
      calls.modify.push({
        rule: live,
        ...(conditionsChanged && { conditions: want.conditions }),
        ...(actionChanged && { action: want.action }),
      });
    }
    const tagDiffs = under(`${at}.tags.`).map((d) => ({ ...d, path: d.path.slice(at.length + 1) }));
    if (tagDiffs.length > 0) calls.retag.push({ rule: live, tags: want.tags, diffs: tagDiffs });
  }
  calls.remove = unwanted.filter(({ key }) => paths.has(`rules.${key}`)).map(({ rule }) => rule);
  calls.create.sort((a, b) => a.rule.priority - b.rule.priority);
  return calls;
}

/** A priority the spec wants that a rule the stack does not own holds: AWS would refuse it, so nothing is changed. */
function refuseForeignPriorities(desired: ListenerDesired, calls: RuleCalls): void {
  const wanted = [...calls.create.map((c) => ({ name: c.name, priority: c.rule.priority })), ...calls.move];
  for (const { name, priority } of wanted) {
    const holder = calls.foreign.find((r) => r.priority === priority);
    if (!holder) continue;
    const owner = holder.tags[STACK_TAG] ? `it belongs to stack "${holder.tags[STACK_TAG]}"` : "it has no reconcile:stack tag";
    throw new Error(
      `listener ${desired.name}: rule "${name}" needs priority ${priority}, which rule ${holder.arn} holds; ${owner}, so it is left untouched: ` +
        `give "${name}" another priority, or remove that rule`,
    );
  }
}

async function deleteRules(ctx: Context, rules: readonly ObservedListenerRule[]): Promise<void> {
  for (const rule of rules) {
    try {
      await ctx.clients.elbv2.send(new DeleteRuleCommand({ RuleArn: rule.arn }));
    } catch (error) {
      if (!awsErrorIs(error, "RuleNotFound")) throw error;
    }
  }
}

async function createRule(ctx: Context, listenerArn: string, rule: ListenerRuleDesired): Promise<ObservedListenerRule> {
  const { Rules } = await ctx.clients.elbv2.send(
    new CreateRuleCommand({
      ListenerArn: listenerArn,
      Priority: rule.priority,
      Conditions: conditionsToAws(rule.conditions),
      Actions: actionToAws(rule.action),
      Tags: toTagList(rule.tags),
    }),
  );
  return parseRule(Rules![0]!, rule.tags);
}

/**
 * Rules removed from the spec go first only when a rule moves to or is created on their priority, else last (a
 * request keeps being routed by the old rule until the new ones are in place). Moves are one SetRulePriorities:
 * AWS applies it atomically, so two rules may swap priorities.
 */
async function applyRuleCalls(ctx: Context, listenerArn: string, calls: RuleCalls): Promise<void> {
  const targets = new Set([...calls.create.map((c) => c.rule.priority), ...calls.move.map((m) => m.priority)]);
  const inTheWay = calls.remove.filter((r) => targets.has(r.priority));
  await deleteRules(ctx, inTheWay);
  if (calls.move.length > 0) {
    await ctx.clients.elbv2.send(
      new SetRulePrioritiesCommand({ RulePriorities: calls.move.map((m) => ({ RuleArn: m.rule.arn, Priority: m.priority })) }),
    );
  }
  for (const { rule, conditions, action } of calls.modify) {
    await ctx.clients.elbv2.send(
      new ModifyRuleCommand({
        RuleArn: rule.arn,
        ...(conditions && { Conditions: conditionsToAws(conditions) }),
        ...(action && { Actions: actionToAws(action) }),
      }),
    );
  }
  for (const { rule } of calls.create) await createRule(ctx, listenerArn, rule);
  await deleteRules(
    ctx,
    calls.remove.filter((r) => !inTheWay.includes(r)),
  );
  for (const { rule, tags, diffs } of calls.retag) await updateElbTags(ctx, rule.arn, rule.tags, tags, diffs);
}

/** ONE ModifyListener with every changed field it carries; none when none changed. */
function modifyListenerInput(arn: string, desired: ListenerDesired, changed: ReadonlySet<string>): ModifyListenerCommandInput | undefined {
  const input: ModifyListenerCommandInput = {
    ListenerArn: arn,
    ...(changed.has("protocol") && { Protocol: desired.protocol }),
    ...(changed.has("port") && { Port: desired.port }),
    ...(changed.has("sslPolicy") && { SslPolicy: desired.sslPolicy }),
    ...(changed.has("defaultCertificate") &&
      desired.defaultCertificate !== undefined && { Certificates: [{ CertificateArn: desired.defaultCertificate }] }),
    ...(changed.has("defaultAction") && { DefaultActions: actionToAws(desired.defaultAction) }),
  };
  return Object.keys(input).length > 1 ? input : undefined;
}

async function updateCertificates(ctx: Context, desired: ListenerDesired, observed: ObservedListener): Promise<void> {
  const added = desired.additionalCertificates.filter((c) => !observed.additionalCertificates.includes(c));
  const removed = observed.additionalCertificates.filter((c) => !desired.additionalCertificates.includes(c));
  const list = (arns: string[]) => arns.map((CertificateArn) => ({ CertificateArn }));
  if (added.length > 0)
    await ctx.clients.elbv2.send(new AddListenerCertificatesCommand({ ListenerArn: observed.id, Certificates: list(added) }));
  if (removed.length > 0) {
    await ctx.clients.elbv2.send(new RemoveListenerCertificatesCommand({ ListenerArn: observed.id, Certificates: list(removed) }));
  }
}

async function createListener(desired: ListenerDesired, ctx: Context): Promise<ObservedListener> {
  const loadBalancerArn = known(desired.loadBalancerArn, `the load balancer of listener ${desired.name}`);
  const { Listeners } = await ctx.clients.elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Protocol: desired.protocol,
      Port: desired.port,
      DefaultActions: actionToAws(desired.defaultAction),
      ...(desired.defaultCertificate !== undefined && { Certificates: [{ CertificateArn: desired.defaultCertificate }] }),
      ...(desired.sslPolicy !== undefined && { SslPolicy: desired.sslPolicy }),
      Tags: toTagList(desired.tags),
    }),
  );
  const listener = Listeners![0]!;
  const arn = listener.ListenerArn!;
  if (desired.additionalCertificates.length > 0) {
    await ctx.clients.elbv2.send(
      new AddListenerCertificatesCommand({
        ListenerArn: arn,
        Certificates: desired.additionalCertificates.map((CertificateArn) => ({ CertificateArn })),
      }),
    );
  }
  const rules: ObservedListenerRule[] = [];
  for (const rule of Object.values(desired.rules).sort((a, b) => a.priority - b.priority)) rules.push(await createRule(ctx, arn, rule));
  return parseListener(listener, { ...desired.tags }, desired.additionalCertificates, rules);
}

async function updateListener(
  desired: ListenerDesired,
  observed: ObservedListener,
  diffs: readonly FieldDiff[],
  ctx: Context,
): Promise<ObservedListener> {
  refuseReplacementDiffs(`listener ${desired.name}`, diffs);
  const calls = ruleCalls(desired, observed, diffs);
  refuseForeignPriorities(desired, calls);
  const changed = new Set(diffs.map((d) => d.path));
  const modify = modifyListenerInput(observed.id, desired, changed);
  if (modify) await ctx.clients.elbv2.send(new ModifyListenerCommand(modify));
  if (changed.has("additionalCertificates")) await updateCertificates(ctx, desired, observed);
  await updateElbTags(ctx, observed.id, observed.tags, desired.tags, diffs);
  await applyRuleCalls(ctx, observed.id, calls);
  return readListener(ctx, observed.id);
}

async function deleteListener(observed: ObservedListener, ctx: Context): Promise<void> {
  try {
    await ctx.clients.elbv2.send(new DeleteListenerCommand({ ListenerArn: observed.id }));
  } catch (error) {
    if (!awsErrorIs(error, "ListenerNotFound")) throw error;
  }
}

function previewListener(desired: ListenerDesired): FieldDiff[] {
  const rules = Object.entries(desired.rules).sort(([, a], [, b]) => a.priority - b.priority);
  return [
    { path: "loadBalancerArn", after: desired.loadBalancerArn },
    { path: "protocol", after: desired.protocol },
    { path: "port", after: desired.port },
    ...(desired.defaultCertificate !== undefined ? [{ path: "defaultCertificate", after: desired.defaultCertificate }] : []),
    ...(desired.additionalCertificates.length > 0 ? [{ path: "additionalCertificates", after: desired.additionalCertificates }] : []),
    ...(desired.sslPolicy !== undefined ? [{ path: "sslPolicy", after: desired.sslPolicy }] : []),
    { path: "defaultAction", after: desired.defaultAction },
    ...rules.map(([name, rule]) => ({ path: `rules.${name}`, after: shownRule(rule) })),
    ...Object.entries(desired.tags).map(([key, value]) => ({ path: `tags.${key}`, after: value })),
  ];
}

/** Listeners of the spec's load balancers, each with its rules; changed in place, created on a replaced load balancer. */
export const listenersReconciler: LegacyReconciler<ListenerDesired, ObservedListener> = {
  kind: "listeners",
  refersTo: ["loadBalancers", "targetGroups"],
  looksUp: ["loadBalancers"],
  nodes: listenerNodes,
  observe: observeListeners,
  discover: discoverListeners,
  diff: diffListener,
  create: createListener,
  update: updateListener,
  delete: deleteListener,
  preview: previewListener,
  outputs: (observed) => ({ arn: observed.id }),
};
