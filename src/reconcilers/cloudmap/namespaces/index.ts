/**
 * Cloud Map private DNS namespaces.
 *
 * A namespace is known by its name (a DNS domain, always explicit in the spec). AWS allows the same name in
 * different VPCs, so when several private namespaces share it, the one carrying this node's ownership tags wins.
 *
 * Observe and discover read the namespaces' summaries (ListNamespaces, once per plan), which carry the name, the
 * description and the hosted zone: no GetNamespace.
 *
 * The VPC is used at creation only: AWS reports a private namespace's hosted zone, not its VPC, so the VPC
 * cannot be compared (finding it would take Route 53's GetHostedZone). Only the description (when the spec sets one)
 * and the tags change in place; another name is another namespace.
 *
 * Creation, updates and deletion are asynchronous: each answers with an operation, followed to its end within
 * ctx.wait's timeout, or 5 minutes without one (even under `--no-wait`: what comes next needs the namespace's id).
 * Deleting a namespace that still holds services fails on AWS (ResourceInUse): the engine deletes discovery services first.
 */
import {
  CreatePrivateDnsNamespaceCommand,
  type CreatePrivateDnsNamespaceCommandInput,
  DeleteNamespaceCommand,
  GetNamespaceCommand,
  UpdatePrivateDnsNamespaceCommand,
} from "@aws-sdk/client-servicediscovery";
import { isNotFound } from "../../../aws/errors.js";
import {
  CREATOR_REQUEST_ID_MAX,
  candidateTags,
  followWrite,
  listPrivateNamespaces,
  newRequestId,
  stackCandidates,
  writeCloudMapTags,
} from "../api.js";
import { applyTagChange, known, toTagList } from "../../diff-helpers.js";
import { ID_TAG, STACK_TAG, type Context, type Reconciler, type Tags } from "../../contract.js";
import { createRecognising, idempotencyToken } from "../../recognise.js";
import {
  diffNamespace,
  namespaceNodes,
  toObservedNamespace,
  type NamespaceChange,
  type NamespaceDesired,
  type ObservedNamespace,
} from "./model.js";

/** Of several namespaces with the desired name, the one tagged as this node; else the first (the planner judges whose it is). */
async function observeNamespace(ctx: Context, desired: NamespaceDesired): Promise<ObservedNamespace | undefined> {
  const listing = listPrivateNamespaces(ctx).then((all) => all.filter((n) => n.Name === desired.name));
  const [matches, tags] = await Promise.all([
    listing,
    candidateTags(
      ctx,
      listing.then((ns) => ns.map((n) => ({ id: n.Id!, arn: n.Arn! }))),
    ),
  ]);
  const live = matches.flatMap((n) => (tags.has(n.Arn!) ? [toObservedNamespace(n, tags.get(n.Arn!)!)] : []));
  const isThisNode = (n: ObservedNamespace) => n.tags[STACK_TAG] === desired.tags[STACK_TAG] && n.tags[ID_TAG] === desired.tags[ID_TAG];
  return live.find(isThisNode) ?? live[0];
}

const subject = (name: string) => `namespace ${name}`;

/** CreatePrivateDnsNamespace, with a CreatorRequestId of the node and its content, followed to its end and read back. */
async function createNamespace(
  ctx: Context,
  desired: NamespaceDesired,
  request: Omit<CreatePrivateDnsNamespaceCommandInput, "CreatorRequestId">,
): Promise<ObservedNamespace> {
  const CreatorRequestId = idempotencyToken(ctx.stack, desired.tags[ID_TAG] ?? desired.name, request, CREATOR_REQUEST_ID_MAX);
  const { OperationId } = await ctx.clients.serviceDiscovery.send(new CreatePrivateDnsNamespaceCommand({ ...request, CreatorRequestId }));
  const operation = await followWrite(ctx, OperationId, resourceOf(desired.name, desired.tags));
  const id = operation.Targets?.["NAMESPACE"];
  if (!id) throw new Error(`${subject(desired.name)}: the creation succeeded but its operation names no namespace`);
  // Its ARN and hosted zone are known only from GetNamespace; its tags are those the creation set.
  const { Namespace: namespace } = await ctx.clients.serviceDiscovery.send(new GetNamespaceCommand({ Id: id }));
  if (!namespace) throw new Error(`${subject(desired.name)}: created as ${id}, but it cannot be read back`);
  return toObservedNamespace(namespace, { ...desired.tags });
}

const resourceOf = (name: string, tags: Tags) => ({ name, tags, description: subject(name) });

export const namespacesReconciler: Reconciler<NamespaceDesired, ObservedNamespace, NamespaceChange> = {
  kind: "namespaces",
  refersTo: ["network"],
  // The VPC is needed at creation only: a namespace is found by its name.
  looksUp: [],

  nodes: namespaceNodes,

  async observe(desired, ctx) {
    const found = await Promise.all(desired.map(async ({ address, value }) => [address, await observeNamespace(ctx, value)] as const));
    return new Map(found.filter((entry): entry is readonly [string, ObservedNamespace] => entry[1] !== undefined));
  },

  async discover(ctx, knownIds) {
    const candidates = (await listPrivateNamespaces(ctx)).map((summary) => ({ id: summary.Id!, arn: summary.Arn!, summary }));
    const owned = await stackCandidates(ctx, candidates, knownIds);
    return owned.map((c) => toObservedNamespace(c.summary, c.tags)).sort((a, b) => a.name.localeCompare(b.name));
  },

  diff: diffNamespace,

  async create(desired, ctx) {
    const request = {
      Name: desired.name,
      Vpc: known(desired.vpcId, `the VPC of namespace ${desired.name}`),
      Description: desired.description,
      Tags: toTagList(desired.tags),
    };
    return createRecognising(() => createNamespace(ctx, desired, request), desired.tags, {
      // AWS answers NamespaceAlreadyExists for the same name in the same VPC; moto ConflictingDomainExists for any
      // second namespace in the VPC (a CreatorRequestId seen before is answered with its first operation on AWS).
      alreadyExists: ["NamespaceAlreadyExists", "ConflictingDomainExists"],
      read: () => observeNamespace(ctx, desired),
      tagsOf: (found) => found.tags,
      matches: (found) => found.name === desired.name && (desired.description === undefined || found.description === desired.description),
    });
  },

  async update(change, observed, ctx) {
    const result: ObservedNamespace = { ...observed };
    if (change.namespace) {
      const { OperationId } = await ctx.clients.serviceDiscovery.send(
        new UpdatePrivateDnsNamespaceCommand({ ...change.namespace, UpdaterRequestId: newRequestId() }),
      );
      await followWrite(ctx, OperationId, resourceOf(observed.name, observed.tags));
      result.description = change.namespace.Namespace.Description;
    }
    await writeCloudMapTags(ctx, observed.arn, change.tags);
    result.tags = applyTagChange(observed.tags, change.tags);
    return result;
  },

  async delete(observed, ctx) {
    let operationId: string | undefined;
    try {
      ({ OperationId: operationId } = await ctx.clients.serviceDiscovery.send(new DeleteNamespaceCommand({ Id: observed.id })));
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    await followWrite(ctx, operationId, resourceOf(observed.name, observed.tags));
  },

  outputs: (observed) => ({ id: observed.id, arn: observed.arn, name: observed.name }),
};
