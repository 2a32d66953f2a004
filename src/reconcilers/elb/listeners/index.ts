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
  type Rule as AwsRule,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { isNotFound } from "../../../aws/errors.js";
import { known, toTagList } from "../../diff-helpers.js";
import { unique } from "../../collections.js";
import { findTaggedResources, resourcesOfType } from "../../tagged-resources.js";
import { sharedRead, STACK_TAG, type Context, type Reconciler, type Tags } from "../../contract.js";
import { describeElbTags, writeElbTags } from "../api.js";
import { createRecognising, recogniseBeforeRetry, type Recognition } from "../../recognise.js";
import { actionToAws, conditionsToAws } from "./actions.js";
import {
  diffListener,
  listenerNodes,
  modifyListenerInput,
  parseListener,
  parseRule,
  pickListeners,
  previewListener,
  type ListenerChange,
  type ListenerDesired,
  type ListenerRuleDesired,
  type ObservedListener,
  type ObservedListenerRule,
  type RuleChanges,
} from "./model.js";

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
    if (!isNotFound(error)) throw error;
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

interface ListenerDetails {
  listener: AwsListener;
  rules: AwsRule[];
  /** HTTPS: DescribeListenerCertificates' answer but the default one. */
  certificates: string[];
}

/** The rules of each listener and, for HTTPS, its additional certificates: every read side by side. */
function detailsOf(ctx: Context, listeners: readonly AwsListener[]): Promise<ListenerDetails[]> {
  return Promise.all(
    listeners.map(async (listener) => {
      const arn = listener.ListenerArn!;
      const [rules, certificates] = await Promise.all([rulesOf(ctx, arn), listener.Protocol === "HTTPS" ? certificatesOf(ctx, arn) : []]);
      return { listener, rules, certificates };
    }),
  );
}

const ruleArnsOf = (details: readonly ListenerDetails[]) => details.flatMap((d) => d.rules.map((r) => r.RuleArn!));

/** `tags`: those of the listeners and of their rules. */
function observedOf(details: readonly ListenerDetails[], tags: ReadonlyMap<string, Tags>): ObservedListener[] {
  return details.map(({ listener, rules, certificates }) =>
    parseListener(
      listener,
      tags.get(listener.ListenerArn!) ?? {},
      certificates,
      rules.map((r) => parseRule(r, tags.get(r.RuleArn!) ?? {})),
    ),
  );
}

/**
 * Which listener a node is depends on the listeners' tags, so the rules of the likely ones, those on a node's
 * port, are read beside those tags, and the rules' tags after. A listener picked by its tag on another port (the
 * spec moved it) has its rules read once it is picked.
 */
async function observeListeners(
  desired: ReadonlyArray<{ address: string; value: ListenerDesired }>,
  ctx: Context,
): Promise<Map<string, ObservedListener>> {
  // A load balancer not known yet does not exist yet, and neither do its listeners.
  const loadBalancers = unique(desired.flatMap(({ value }) => (typeof value.loadBalancerArn === "string" ? [value.loadBalancerArn] : [])));
  const live = (await Promise.all(loadBalancers.map((arn) => listenersOf(ctx, arn)))).flat();
  if (live.length === 0) return new Map();
  const likely = live.filter((l) => desired.some(({ value }) => value.loadBalancerArn === l.LoadBalancerArn && value.port === l.Port));
  const [listenerTags, early] = await Promise.all([
    describeElbTags(
      ctx,
      live.map((l) => l.ListenerArn!),
    ),
    detailsOf(ctx, likely),
  ]);
  const picked = pickListeners(desired, live, listenerTags);
  const chosen = [...new Set(picked.values())];
  const late = await detailsOf(
    ctx,
    chosen.filter((l) => !likely.includes(l)),
  );
  const details = [...early.filter((d) => chosen.includes(d.listener)), ...late];
  const ruleTags = await describeElbTags(ctx, ruleArnsOf(details));
  const observed = new Map(observedOf(details, new Map([...listenerTags, ...ruleTags])).map((o) => [o.id, o]));
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
  const details = await detailsOf(ctx, Listeners ?? []);
  const [observed] = observedOf(details, await describeElbTags(ctx, [arn, ...ruleArnsOf(details)]));
  if (!observed) throw new Error(`listener ${arn} was changed but DescribeListeners no longer lists it`);
  return observed;
}

// ---------------------------------------------------------------------------------------------------------
// Writes.

/** A priority the spec wants that a rule the stack does not own holds: AWS would refuse it, so nothing is changed. */
function refuseForeignPriorities(change: ListenerChange): void {
  const [blocked] = change.rules.blocked;
  if (!blocked) return;
  const { name, priority, holder } = blocked;
  const owner = holder.tags[STACK_TAG] ? `it belongs to stack "${holder.tags[STACK_TAG]}"` : "it has no reconcile:stack tag";
  throw new Error(
    `listener ${change.name}: rule "${name}" needs priority ${priority}, which rule ${holder.arn} holds; ${owner}, so it is left untouched: ` +
      `give "${name}" another priority, or remove that rule`,
  );
}

async function deleteRules(ctx: Context, rules: readonly ObservedListenerRule[]): Promise<void> {
  for (const rule of rules) {
    try {
      await ctx.clients.elbv2.send(new DeleteRuleCommand({ RuleArn: rule.arn }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

async function createRule(ctx: Context, listenerArn: string, rule: ListenerRuleDesired): Promise<ObservedListenerRule> {
  const send = async () => ({
    found: (
      await ctx.clients.elbv2.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: rule.priority,
          Conditions: conditionsToAws(rule.conditions),
          Actions: actionToAws(rule.action),
          Tags: toTagList(rule.tags),
        }),
      )
    ).Rules![0]!,
  });
  // A rule is known by its listener and priority: PriorityInUse after a lost answer is the rule made then.
  const { found } = await createRecognising(send, rule.tags, {
    alreadyExists: ["PriorityInUse"],
    read: async () => {
      const live = (await rulesOf(ctx, listenerArn)).find((r) => r.Priority === String(rule.priority) && r.RuleArn);
      return live && { found: live, tags: (await describeElbTags(ctx, [live.RuleArn!])).get(live.RuleArn!) ?? {} };
    },
    tagsOf: (named) => named.tags,
  });
  return parseRule(found, rule.tags);
}

/**
 * Rules removed from the spec go first only when a rule moves to or is created on their priority, else last (a
 * request keeps being routed by the old rule until the new ones are in place). Moves are one SetRulePriorities:
 * AWS applies it atomically, so two rules may swap priorities.
 */
async function applyRuleChanges(ctx: Context, listenerArn: string, rules: RuleChanges): Promise<void> {
  const targets = new Set([...rules.create.map((c) => c.rule.priority), ...rules.move.map((m) => m.priority)]);
  const inTheWay = rules.remove.filter((r) => targets.has(r.priority));
  await deleteRules(ctx, inTheWay);
  if (rules.move.length > 0) {
    await ctx.clients.elbv2.send(
      new SetRulePrioritiesCommand({ RulePriorities: rules.move.map((m) => ({ RuleArn: m.arn, Priority: m.priority })) }),
    );
  }
  for (const { arn, conditions, action } of rules.modify) {
    await ctx.clients.elbv2.send(
      new ModifyRuleCommand({
        RuleArn: arn,
        ...(conditions && { Conditions: conditionsToAws(conditions) }),
        ...(action && { Actions: actionToAws(action) }),
      }),
    );
  }
  for (const { rule } of rules.create) await createRule(ctx, listenerArn, rule);
  await deleteRules(
    ctx,
    rules.remove.filter((r) => !inTheWay.includes(r)),
  );
  for (const { arn, tags } of rules.retag) await writeElbTags(ctx, arn, tags);
}

async function updateCertificates(ctx: Context, listenerArn: string, { add, remove }: { add: string[]; remove: string[] }): Promise<void> {
  const list = (arns: string[]) => arns.map((CertificateArn) => ({ CertificateArn }));
  if (add.length > 0) {
    await ctx.clients.elbv2.send(new AddListenerCertificatesCommand({ ListenerArn: listenerArn, Certificates: list(add) }));
  }
  if (remove.length > 0) {
    await ctx.clients.elbv2.send(new RemoveListenerCertificatesCommand({ ListenerArn: listenerArn, Certificates: list(remove) }));
  }
}

async function createListener(desired: ListenerDesired, ctx: Context): Promise<ObservedListener> {
  const loadBalancerArn = known(desired.loadBalancerArn, `the load balancer of listener ${desired.name}`);
  const command = new CreateListenerCommand({
    LoadBalancerArn: loadBalancerArn,
    Protocol: desired.protocol,
    Port: desired.port,
    DefaultActions: actionToAws(desired.defaultAction),
    ...(desired.defaultCertificate !== undefined && { Certificates: [{ CertificateArn: desired.defaultCertificate }] }),
    ...(desired.sslPolicy !== undefined && { SslPolicy: desired.sslPolicy }),
    Tags: toTagList(desired.tags),
  });
  const recognition: Omit<Recognition<{ found: AwsListener; tags: Tags }>, "alreadyExists"> = {
    read: async () => {
      const onPort = (await describeListenersOf(ctx, loadBalancerArn)).filter((l) => l.Port === desired.port && l.ListenerArn);
      const tags =
        onPort.length === 0
          ? new Map<string, Tags>()
          : await describeElbTags(
              ctx,
              onPort.map((l) => l.ListenerArn!),
            );
      return onPort.map((found) => ({ found, tags: tags.get(found.ListenerArn!) ?? {} }))[0];
    },
    tagsOf: (named) => named.tags,
    matches: ({ found }) => found.Protocol === desired.protocol,
  };
  // AWS answers a CreateListener repeated with the same settings with the listener it made (DuplicateListener for
  // other settings on the port); moto (5.2) adds a second listener on the port, so a retry looks first.
  recogniseBeforeRetry(command, desired.tags, recognition, ({ found }) => ({ Listeners: [found] }));
  const send = async () => ({ found: (await ctx.clients.elbv2.send(command)).Listeners![0]! });
  const { found: listener } = await createRecognising(send, desired.tags, { alreadyExists: ["DuplicateListener"], ...recognition });
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

async function updateListener(change: ListenerChange, observed: ObservedListener, ctx: Context): Promise<ObservedListener> {
  refuseForeignPriorities(change);
  if (change.modify) await ctx.clients.elbv2.send(new ModifyListenerCommand(modifyListenerInput(observed.id, change.modify)));
  if (change.certificates) await updateCertificates(ctx, observed.id, change.certificates);
  await writeElbTags(ctx, observed.id, change.tags);
  await applyRuleChanges(ctx, observed.id, change.rules);
  return readListener(ctx, observed.id);
}

async function deleteListener(observed: ObservedListener, ctx: Context): Promise<void> {
  try {
    await ctx.clients.elbv2.send(new DeleteListenerCommand({ ListenerArn: observed.id }));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** Listeners of the spec's load balancers, each with its rules; changed in place, created on a replaced load balancer. */
export const listenersReconciler: Reconciler<ListenerDesired, ObservedListener, ListenerChange> = {
  kind: "listeners",
  refersTo: ["loadBalancers", "targetGroups"],
  // observe finds a listener on its load balancer; the target groups' ARNs are only compared.
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
