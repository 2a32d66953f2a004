/**
 * Application Load Balancers. Listeners are a kind of their own.
 *
 * Compared: type and scheme (AWS cannot change them: replacement), subnets and security groups (as sets:
 * SetSubnets, SetSecurityGroups), ipAddressType (SetIpAddressType), the attributes below (one
 * ModifyLoadBalancerAttributes with only the changed keys) and tags.
 *
 * The attributes are ENFORCED: one the spec leaves out is set back to AWS's documented default, so that the
 * spec alone says how the load balancer behaves:
 *   spec                 attribute                         default
 *   idleTimeoutSeconds   idle_timeout.timeout_seconds      60
 *   deletionProtection   deletion_protection.enabled       false
 *   accessLogs           access_logs.s3.enabled            false (true with `accessLogs`)
 *     .bucket            access_logs.s3.bucket             compared only while access logs are wanted
 *     .prefix            access_logs.s3.prefix             "" (compared only while access logs are wanted)
 * An attribute missing from DescribeLoadBalancerAttributes counts as its default (moto leaves out
 * idle_timeout.timeout_seconds and access_logs.s3.enabled). Other attributes (HTTP/2, WAF fail-open, …) are
 * not managed.
 *
 * Deletion protection is honoured, not fought: `delete` of a protected load balancer fails without a call,
 * asking for `deletionProtection` to be turned off by an apply first.
 */
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  ModifyLoadBalancerAttributesCommand,
  SetIpAddressTypeCommand,
  SetSecurityGroupsCommand,
  SetSubnetsCommand,
  waitUntilLoadBalancersDeleted,
  type LoadBalancer,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { isNotFound } from "../../../aws/errors.js";
import { applyTagChange, known, sortedSet, toTagList } from "../../diff-helpers.js";
import { findTaggedResources, resourcesOfType } from "../../tagged-resources.js";
import { STACK_TAG, type Context, type Reconciler, type Tags } from "../../contract.js";
import type { LoadBalancerStatus, ResourceStatus } from "../../../plan/status.js";
import { describeEach, describeWithTags, readElbTags, writeElbTags } from "../api.js";
import { createRecognising, recogniseBeforeRetry, type Recognition } from "../../recognise.js";
import { arnSuffix, attributeList } from "../model.js";
import {
  DEFAULT_ATTRIBUTES,
  diffAttributes,
  diffLoadBalancer,
  loadBalancerNodes,
  normaliseAttributes,
  normaliseLoadBalancer,
  previewLoadBalancer,
  type LoadBalancerAttributes,
  type LoadBalancerChange,
  type LoadBalancerDesired,
  type ObservedLoadBalancer,
} from "./model.js";

/** The wait after DeleteLoadBalancer, until DescribeLoadBalancers no longer finds it. */
const DELETE_WAIT_SECONDS = 600;

async function describeAttributes(ctx: Context, arn: string): Promise<LoadBalancerAttributes | undefined> {
  try {
    const { Attributes } = await ctx.clients.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }));
    return normaliseAttributes(Attributes);
  } catch (error) {
    if (isNotFound(error)) return undefined; // deleted since it was described
    throw error;
  }
}

/**
 * Tags (readElbTags) and attributes (one call each, in parallel) of described load balancers. The attributes are
 * read for every load balancer, whatever its spec sets: the ones the tool manages are enforced, AWS's defaults
 * for what the spec leaves out (see the header), so the spec alone says how it behaves; that costs one call per
 * load balancer, a stack has few.
 */
async function withDetails(ctx: Context, found: readonly LoadBalancer[]): Promise<ObservedLoadBalancer[]> {
  const arns = found.map((lb) => lb.LoadBalancerArn!);
  const [tags, attributes] = await Promise.all([readElbTags(ctx, arns), Promise.all(arns.map((arn) => describeAttributes(ctx, arn)))]);
  return found.flatMap((lb, i) => {
    const attrs = attributes[i];
    return attrs ? [normaliseLoadBalancer(lb, tags.get(lb.LoadBalancerArn!) ?? {}, attrs)] : [];
  });
}

const describeBy =
  (ctx: Context, key: "Names" | "LoadBalancerArns") =>
  async (batch: string[]): Promise<LoadBalancer[]> =>
    (await ctx.clients.elbv2.send(new DescribeLoadBalancersCommand({ [key]: batch }))).LoadBalancers ?? [];

async function observeLoadBalancers(
  desired: ReadonlyArray<{ address: string; value: LoadBalancerDesired }>,
  ctx: Context,
): Promise<Map<string, ObservedLoadBalancer>> {
  const names = desired.map((d) => d.value.name);
  const found = names.length === 0 ? [] : await describeEach(names, describeBy(ctx, "Names"));
  const byName = new Map((await withDetails(ctx, found)).map((lb) => [lb.name, lb]));
  return new Map(
    desired.flatMap(({ address, value }) => {
      const live = byName.get(value.name);
      return live ? [[address, live] as const] : [];
    }),
  );
}

/** Load balancers tagged with the stack, confirmed live and still the stack's: the Tagging API may lag behind. */
async function discoverLoadBalancers(ctx: Context, known: ReadonlySet<string>): Promise<ObservedLoadBalancer[]> {
  const arns = resourcesOfType(await findTaggedResources(ctx), "elasticloadbalancing", "loadbalancer")
    .map((r) => r.arn)
    .filter((arn) => !known.has(arn));
  if (arns.length === 0) return [];
  const found = await describeEach(arns, describeBy(ctx, "LoadBalancerArns"));
  return (await withDetails(ctx, found)).filter((lb) => lb.tags[STACK_TAG] === ctx.stack).sort((a, b) => a.name.localeCompare(b.name));
}

async function modifyAttributes(ctx: Context, arn: string, changes: Record<string, string>): Promise<void> {
  await ctx.clients.elbv2.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: attributeList(changes) }));
}

/** Created with its tags; attributes that differ from AWS's defaults follow in one call. Not waited for: listeners can be added while it provisions. */
async function createLoadBalancer(desired: LoadBalancerDesired, ctx: Context): Promise<ObservedLoadBalancer> {
  const command = new CreateLoadBalancerCommand({
    Name: desired.name,
    Type: desired.type,
    Scheme: desired.scheme,
    IpAddressType: desired.ipAddressType,
    Subnets: known(desired.subnetIds, `the subnets of load balancer ${desired.name}`),
    SecurityGroups: known(desired.securityGroupIds, `the security groups of load balancer ${desired.name}`),
    Tags: toTagList(desired.tags),
  });
  const recognition: Omit<Recognition<{ found: LoadBalancer; tags: Tags }>, "alreadyExists"> = {
    read: async () =>
      (
        await describeWithTags(
          ctx,
          () => describeBy(ctx, "Names")([desired.name]),
          (lb) => lb.LoadBalancerArn,
        )
      )[0],
    tagsOf: (named) => named.tags,
    matches: ({ found }) => found.Scheme === desired.scheme && found.Type === desired.type,
  };
  // AWS answers a CreateLoadBalancer repeated with the same settings with the load balancer it made; moto (5.2)
  // makes a second one of the same name, so a retry looks first.
  recogniseBeforeRetry(command, desired.tags, recognition, ({ found }) => ({ LoadBalancers: [found] }));
  const send = async () => ({ found: (await ctx.clients.elbv2.send(command)).LoadBalancers?.[0] });
  const { found: created } = await createRecognising(send, desired.tags, { alreadyExists: ["DuplicateLoadBalancerName"], ...recognition });
  if (!created?.LoadBalancerArn) throw new Error(`load balancer ${desired.name}: CreateLoadBalancer answered without a load balancer`);
  const { writes } = diffAttributes(desired.attributes, DEFAULT_ATTRIBUTES);
  if (Object.keys(writes).length > 0) await modifyAttributes(ctx, created.LoadBalancerArn, writes);
  return normaliseLoadBalancer(created, { ...desired.tags }, desired.attributes);
}

async function updateLoadBalancer(change: LoadBalancerChange, observed: ObservedLoadBalancer, ctx: Context): Promise<ObservedLoadBalancer> {
  const elbv2 = ctx.clients.elbv2;
  const LoadBalancerArn = observed.id;
  const result: ObservedLoadBalancer = { ...observed };

  if (change.subnets) {
    const Subnets = known(change.subnets, `the subnets of load balancer ${observed.name}`);
    await elbv2.send(new SetSubnetsCommand({ LoadBalancerArn, Subnets }));
    result.subnetIds = sortedSet(Subnets);
  }
  if (change.securityGroups) {
    const SecurityGroups = known(change.securityGroups, `the security groups of load balancer ${observed.name}`);
    await elbv2.send(new SetSecurityGroupsCommand({ LoadBalancerArn, SecurityGroups }));
    result.securityGroupIds = sortedSet(SecurityGroups);
  }
  if (change.ipAddressType) {
    await elbv2.send(new SetIpAddressTypeCommand({ LoadBalancerArn, IpAddressType: change.ipAddressType }));
    result.ipAddressType = change.ipAddressType;
  }
  if (Object.keys(change.attributes).length > 0) {
    await modifyAttributes(ctx, LoadBalancerArn, change.attributes);
    result.attributes = change.attributesAfter;
  }
  await writeElbTags(ctx, LoadBalancerArn, change.tags);
  result.tags = applyTagChange(observed.tags, change.tags);
  return result;
}

async function deleteLoadBalancer(observed: ObservedLoadBalancer, ctx: Context): Promise<void> {
  if (observed.attributes.deletionProtection) {
    throw new Error(
      `load balancer ${observed.name} has deletion protection on, which guards against exactly this deletion: ` +
        "set `deletionProtection: false` in the spec and apply first (or turn it off in AWS), then delete again",
    );
  }
  try {
    await ctx.clients.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: observed.id }));
  } catch (error) {
    // AWS documents that deleting a load balancer already gone succeeds; a NotFound means the same.
    if (isNotFound(error)) return;
    throw error;
  }
  // Until it is gone its network interfaces hold the security groups and subnets that may be deleted next.
  try {
    await waitUntilLoadBalancersDeleted(
      { client: ctx.clients.elbv2, maxWaitTime: DELETE_WAIT_SECONDS },
      { LoadBalancerArns: [observed.id] },
    );
  } catch (error) {
    throw new Error(
      `load balancer ${observed.name}: DeleteLoadBalancer was accepted, but waiting for it to be gone ` +
        `(waitUntilLoadBalancersDeleted, at most ${DELETE_WAIT_SECONDS / 60} minutes) failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The DNS name and state, as the plan's DescribeLoadBalancers read them a moment ago: no call of its own. */
async function loadBalancerStatuses(observed: readonly ObservedLoadBalancer[]): Promise<Map<string, ResourceStatus>> {
  const statusOf = (lb: ObservedLoadBalancer): LoadBalancerStatus => ({
    kind: "loadBalancer",
    dnsName: lb.dnsName,
    state: lb.state,
    scheme: lb.scheme,
  });
  return new Map(observed.map((lb) => [lb.id, statusOf(lb)]));
}

export const loadBalancersReconciler: Reconciler<LoadBalancerDesired, ObservedLoadBalancer, LoadBalancerChange> = {
  kind: "loadBalancers",
  refersTo: ["network", "securityGroups"],
  // Found by name: its subnets and security groups are only compared.
  looksUp: [],
  nodes: loadBalancerNodes,
  observe: observeLoadBalancers,
  discover: discoverLoadBalancers,
  diff: diffLoadBalancer,
  create: createLoadBalancer,
  update: updateLoadBalancer,
  delete: deleteLoadBalancer,
  preview: previewLoadBalancer,
  outputs: (observed) => ({
    arn: observed.id,
    name: observed.name,
    dnsName: observed.dnsName,
    arnSuffix: arnSuffix(observed.id),
    canonicalHostedZoneId: observed.canonicalHostedZoneId,
  }),
  shownOutputs: ["dnsName"],
  status: loadBalancerStatuses,
};
