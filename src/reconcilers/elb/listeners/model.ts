/**
 * Listeners with their rules, the pure part: the desired and observed forms, which live listener a node is,
 * the diff with its typed change, and the preview. How rules are owned: see index.ts.
 */
import type { Listener as AwsListener, ModifyListenerCommandInput, Rule as AwsRule } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { FieldDiff, KnownAfterApply } from "../../../plan/model.js";
import type { ListenerSpec } from "../../../schema/load-balancing.js";
import { physicalName } from "../../../schema/names.js";
import { targetGroupsOf } from "../../../schema/queries.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, sortedSet, tagChange, type TagChange } from "../../diff-helpers.js";
import { unique } from "../../collections.js";
import { parseArn } from "../../arns.js";
import {
  addressOf,
  desiredNode,
  ID_TAG,
  ownedTags,
  STACK_TAG,
  type DesiredNode,
  type Diff,
  type Observed,
  type Tags,
} from "../../contract.js";
import {
  actionFromAws,
  actionFromSpec,
  actionToAws,
  conditionsFromAws,
  conditionsFromSpec,
  type CanonicalAction,
  type CanonicalConditions,
} from "./actions.js";

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

/**
 * The fields of ModifyListener that changed, at their desired values. In the canonical form, not yet AWS's: a
 * target group an action forwards to may be known only at apply time.
 */
export interface ListenerFields {
  protocol?: ListenerDesired["protocol"];
  port?: number;
  sslPolicy?: string;
  defaultCertificate?: string;
  defaultAction?: CanonicalAction;
}

/** The rule calls of an update. */
export interface RuleChanges {
  /** CreateRule for each, by priority. */
  create: Array<{ name: string; rule: ListenerRuleDesired }>;
  /** The stack's rules the spec no longer has (or second copies of one it has): DeleteRule for each. */
  remove: ObservedListenerRule[];
  /** Rules to move to the spec's priority, in one SetRulePriorities. */
  move: Array<{ name: string; arn: string; priority: number }>;
  /** ModifyRule for each, with what of the rule changed. */
  modify: Array<{ arn: string; conditions?: CanonicalConditions; action?: CanonicalAction }>;
  retag: Array<{ arn: string; tags: TagChange }>;
  /**
   * Rules to create or move onto a priority that a rule the stack does not own holds: AWS would refuse, so
   * update refuses before any call, naming the rule and the priority.
   */
  blocked: Array<{ name: string; priority: number; holder: ObservedListenerRule }>;
}

/** What update does to a listener and its rules; an absent or empty part makes no call. */
export interface ListenerChange {
  /** The listener's readable name, for its errors. */
  name: string;
  /** One ModifyListener with these fields. */
  modify?: ListenerFields;
  /** AddListenerCertificates and RemoveListenerCertificates. */
  certificates?: { add: string[]; remove: string[] };
  tags: TagChange;
  rules: RuleChanges;
}

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
  return desiredNode({
    kind: "listeners",
    logical,
    name: readable,
    dependsOn: [lbAddress, ...targetGroups.map((tg) => addressOf("targetGroups", tg))],
    adopt,
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
  });
}

export function listenerNodes(spec: Spec): DesiredNode<ListenerDesired>[] {
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

/** A rule of the stack the spec has: its lines, and what of it to change into `change`. */
function diffRule(name: string, want: ListenerRuleDesired, live: ObservedListenerRule, change: RuleChanges): FieldDiff[] {
  const at = `rules.${name}`;
  const priority = diffField(`${at}.priority`, live.priority, want.priority);
  const conditions = CONDITION_FIELDS.flatMap((field) =>
    diffField(`${at}.conditions.${field}`, live.conditions[field], want.conditions[field]),
  );
  const action = diffField(`${at}.action`, live.action, want.action);
  const tags = diffTags(want.tags, live.tags).map((d) => ({ ...d, path: `${at}.${d.path}` }));
  if (priority.length > 0) change.move.push({ name, arn: live.arn, priority: want.priority });
  if (conditions.length > 0 || action.length > 0) {
    change.modify.push({
      arn: live.arn,
      ...(conditions.length > 0 && { conditions: want.conditions }),
      ...(action.length > 0 && { action: want.action }),
    });
  }
  if (tags.length > 0) change.retag.push({ arn: live.arn, tags: tagChange(want.tags, live.tags) });
  return [...priority, ...conditions, ...action, ...tags];
}

/** The priorities to create or move rules onto that a rule the stack does not own holds. */
function blockedPriorities(change: RuleChanges, foreign: readonly ObservedListenerRule[]): RuleChanges["blocked"] {
  const wanted = [...change.create.map((c) => ({ name: c.name, priority: c.rule.priority })), ...change.move];
  return wanted.flatMap(({ name, priority }) => {
    const holder = foreign.find((r) => r.priority === priority);
    return holder ? [{ name, priority, holder }] : [];
  });
}

/** The lines go by the rules' names; the calls follow the spec's order. */
function diffRules(desired: ListenerDesired, observed: ObservedListener): { lines: FieldDiff[]; change: RuleChanges } {
  const { ours, unwanted, foreign } = sortRules(desired, observed);
  const change: RuleChanges = { create: [], remove: unwanted.map(({ rule }) => rule), move: [], modify: [], retag: [], blocked: [] };
  const byName = Object.entries(desired.rules).map(([name, want]): [string, FieldDiff[]] => {
    const live = ours.get(name);
    if (live) return [name, diffRule(name, want, live, change)];
    change.create.push({ name, rule: want });
    return [name, [{ path: `rules.${name}`, after: shownRule(want) }]];
  });
  change.create.sort((a, b) => a.rule.priority - b.rule.priority);
  change.blocked = blockedPriorities(change, foreign);
  return {
    lines: [
      ...byName.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flatMap(([, lines]) => lines),
      ...unwanted.map(({ key, rule }) => ({ path: `rules.${key}`, before: shownRule(rule) })),
    ],
    change,
  };
}

export function diffListener(desired: ListenerDesired, observed: ObservedListener): Diff<ListenerChange> {
  const https = desired.protocol === "HTTPS";
  const modify: ListenerFields = {};
  /** A field ModifyListener sets: its line, and the field to send when there is one. */
  const field = <K extends keyof ListenerFields>(key: K, before: unknown, after: ListenerFields[K]): FieldDiff[] => {
    const lines = diffField(key, before, after);
    if (lines.length > 0 && after !== undefined) modify[key] = after;
    return lines;
  };
  const certificates = https ? diffField("additionalCertificates", observed.additionalCertificates, desired.additionalCertificates) : [];
  const rules = diffRules(desired, observed);
  const lines = [
    ...diffField("loadBalancerArn", observed.loadBalancerArn, desired.loadBalancerArn, { forcesReplacement: true }),
    ...field("protocol", observed.protocol, desired.protocol),
    ...field("port", observed.port, desired.port),
    ...(https ? field("defaultCertificate", observed.defaultCertificate, desired.defaultCertificate) : []),
    ...certificates,
    ...(desired.sslPolicy !== undefined ? field("sslPolicy", observed.sslPolicy, desired.sslPolicy) : []),
    ...field("defaultAction", observed.defaultAction, desired.defaultAction),
    ...rules.lines,
    ...diffTags(desired.tags, observed.tags),
  ];
  const change: ListenerChange = {
    name: desired.name,
    ...(Object.keys(modify).length > 0 && { modify }),
    ...(certificates.length > 0 && {
      certificates: {
        add: desired.additionalCertificates.filter((c) => !observed.additionalCertificates.includes(c)),
        remove: observed.additionalCertificates.filter((c) => !desired.additionalCertificates.includes(c)),
      },
    }),
    tags: tagChange(desired.tags, observed.tags),
    rules: rules.change,
  };
  return { lines, change };
}

/** ModifyListener's input for the changed fields, in AWS's form. */
export function modifyListenerInput(arn: string, fields: ListenerFields): ModifyListenerCommandInput {
  return {
    ListenerArn: arn,
    ...(fields.protocol !== undefined && { Protocol: fields.protocol }),
    ...(fields.port !== undefined && { Port: fields.port }),
    ...(fields.sslPolicy !== undefined && { SslPolicy: fields.sslPolicy }),
    ...(fields.defaultCertificate !== undefined && { Certificates: [{ CertificateArn: fields.defaultCertificate }] }),
    ...(fields.defaultAction !== undefined && { DefaultActions: actionToAws(fields.defaultAction) }),
  };
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

export function previewListener(desired: ListenerDesired): FieldDiff[] {
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
