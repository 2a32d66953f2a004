/**
 * Cloud Map private DNS namespaces.
 *
 * A namespace is known by its name (a DNS domain, always explicit in the spec). AWS allows the same name in
 * different VPCs, so when several private namespaces share it, the one carrying this node's ownership tags wins.
 *
 * The VPC is used at creation only: GetNamespace reports a private namespace's hosted zone, not its VPC, so the VPC
 * cannot be compared (finding it would take Route 53's GetHostedZone). Only the description (when the spec sets one)
 * and the tags change in place; another name is another namespace.
 *
 * Creation, updates and deletion are asynchronous: each answers with an operation, followed to its end within
 * ctx.wait's timeout, or 5 minutes without one (even under `--no-wait`: what comes next needs the namespace's id).
 * Deleting a namespace that still holds services fails on AWS (ResourceInUse): the engine deletes discovery services first.
 */
import {
  CreatePrivateDnsNamespaceCommand,
  DeleteNamespaceCommand,
  GetNamespaceCommand,
  UpdatePrivateDnsNamespaceCommand,
  paginateListNamespaces,
  type Namespace,
  type NamespaceSummary,
} from "@aws-sdk/client-servicediscovery";
import { awsErrorIs } from "../../../aws/errors.js";
import type { KnownAfterApply } from "../../../plan/model.js";
import type { Spec } from "../../../schema/spec.js";
import { followWrite, newRequestId, readCloudMapTags, stackCandidates, updateCloudMapTags } from "../api.js";
import { diffField, diffTags, isTagDiff, known, refuseReplacementDiffs, toTagList } from "../../shared/diff-helpers.js";
import {
  ID_TAG,
  STACK_TAG,
  addressOf,
  ownedTags,
  sharedRead,
  type Context,
  type Observed,
  type LegacyReconciler,
  type Tags,
} from "../../shared/types.js";

export interface NamespaceDesired {
  name: string;
  /** Used at creation only (see the header). */
  vpcId: string | KnownAfterApply;
  /** Undefined: the spec leaves it out, and it is not compared. */
  description?: string;
  tags: Tags;
}

export interface ObservedNamespace extends Observed {
  /** Cloud Map's id, `ns-…`. */
  id: string;
  arn: string;
  /** "" when the namespace has none. */
  description: string;
  hostedZoneId?: string;
}

const PRIVATE = "DNS_PRIVATE";

/** A namespace as GetNamespace reports it, with its tags. */
export function toObservedNamespace(namespace: Namespace, tags: Tags): ObservedNamespace {
  const hostedZoneId = namespace.Properties?.DnsProperties?.HostedZoneId;
  return {
    name: namespace.Name ?? "",
    id: namespace.Id ?? "",
    arn: namespace.Arn ?? "",
    description: namespace.Description ?? "",
    ...(hostedZoneId && { hostedZoneId }),
    tags,
  };
}

export function diffNamespace(desired: NamespaceDesired, observed: ObservedNamespace) {
  return [
    ...(desired.description !== undefined ? diffField("description", observed.description, desired.description) : []),
    ...diffTags(desired.tags, observed.tags),
  ];
}

/**
 * Every private DNS namespace of the account and region, listed once per plan. Moto ignores the TYPE filter, so the
 * type is checked here too.
 */
function listPrivateNamespaces(ctx: Context): Promise<NamespaceSummary[]> {
  return sharedRead(ctx, "cloudMap:privateNamespaces", async () => {
    const found: NamespaceSummary[] = [];
    const pages = paginateListNamespaces(
      { client: ctx.clients.serviceDiscovery },
      { Filters: [{ Name: "TYPE", Values: [PRIVATE], Condition: "EQ" }] },
    );
    for await (const page of pages) found.push(...(page.Namespaces ?? []).filter((n) => n.Type === PRIVATE && n.Id && n.Arn));
    return found;
  });
}

/** GetNamespace and its tags; undefined when it is gone. */
async function readNamespace(ctx: Context, id: string, arn: string, knownTags?: Tags): Promise<ObservedNamespace | undefined> {
  try {
    const [{ Namespace: namespace }, tags] = await Promise.all([
      ctx.clients.serviceDiscovery.send(new GetNamespaceCommand({ Id: id })),
      knownTags ? Promise.resolve(knownTags) : readCloudMapTags(ctx, arn),
    ]);
    return namespace && tags ? toObservedNamespace(namespace, tags) : undefined;
  } catch (error) {
    if (awsErrorIs(error, "NamespaceNotFound")) return undefined;
    throw error;
  }
}

/** Of several namespaces with the desired name, the one tagged as this node; else the first (the planner judges whose it is). */
async function observeNamespace(ctx: Context, desired: NamespaceDesired): Promise<ObservedNamespace | undefined> {
  const matches = (await listPrivateNamespaces(ctx)).filter((n) => n.Name === desired.name);
  const live = (await Promise.all(matches.map((n) => readNamespace(ctx, n.Id!, n.Arn!)))).filter((n) => n !== undefined);
  const isThisNode = (n: ObservedNamespace) => n.tags[STACK_TAG] === desired.tags[STACK_TAG] && n.tags[ID_TAG] === desired.tags[ID_TAG];
  return live.find(isThisNode) ?? live[0];
}

const subject = (name: string) => `namespace ${name}`;

const resourceOf = (name: string, tags: Tags) => ({ name, tags, description: subject(name) });

export const namespacesReconciler: LegacyReconciler<NamespaceDesired, ObservedNamespace> = {
  kind: "namespaces",
  refersTo: ["network"],
  looksUp: [],

  nodes: (spec: Spec) =>
    Object.entries(spec.namespaces).map(([logical, entry]) => ({
      kind: "namespaces",
      logical,
      address: addressOf("namespaces", logical),
      name: entry.name,
      dependsOn: ["network"],
      adopt: entry.adopt ?? false,
      readOnly: false,
      build: (outputs) => ({
        name: entry.name,
        vpcId: outputs.string("network", "vpcId"),
        ...(entry.description !== undefined && { description: entry.description }),
        tags: ownedTags(spec, "namespaces", logical, entry.tags),
      }),
    })),

  async observe(desired, ctx) {
    const found = await Promise.all(desired.map(async ({ address, value }) => [address, await observeNamespace(ctx, value)] as const));
    return new Map(found.filter((entry): entry is readonly [string, ObservedNamespace] => entry[1] !== undefined));
  },

  async discover(ctx, knownIds) {
    const candidates = (await listPrivateNamespaces(ctx)).map((n) => ({ id: n.Id!, arn: n.Arn! }));
    const owned = await stackCandidates(ctx, candidates, knownIds);
    const live = await Promise.all(owned.map((c) => readNamespace(ctx, c.id, c.arn, c.tags)));
    return live.filter((n) => n !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  },

  diff: diffNamespace,

  async create(desired, ctx) {
    const { OperationId } = await ctx.clients.serviceDiscovery.send(
      new CreatePrivateDnsNamespaceCommand({
        Name: desired.name,
        Vpc: known(desired.vpcId, `the VPC of namespace ${desired.name}`),
        Description: desired.description,
        Tags: toTagList(desired.tags),
        CreatorRequestId: newRequestId(),
      }),
    );
    const operation = await followWrite(ctx, OperationId, resourceOf(desired.name, desired.tags));
    const id = operation.Targets?.["NAMESPACE"];
    if (!id) throw new Error(`${subject(desired.name)}: the creation succeeded but its operation names no namespace`);
    const { Namespace: namespace } = await ctx.clients.serviceDiscovery.send(new GetNamespaceCommand({ Id: id }));
    const tags = namespace?.Arn ? await readCloudMapTags(ctx, namespace.Arn) : undefined;
    if (!namespace || !tags) throw new Error(`${subject(desired.name)}: created as ${id}, but it cannot be read back`);
    return toObservedNamespace(namespace, tags);
  },

  async update(desired, observed, diffs, ctx) {
    refuseReplacementDiffs(subject(observed.name), diffs);
    const result: ObservedNamespace = { ...observed };
    if (diffs.some((d) => d.path === "description") && desired.description !== undefined) {
      const { OperationId } = await ctx.clients.serviceDiscovery.send(
        new UpdatePrivateDnsNamespaceCommand({
          Id: observed.id,
          UpdaterRequestId: newRequestId(),
          Namespace: { Description: desired.description },
        }),
      );
      await followWrite(ctx, OperationId, resourceOf(observed.name, observed.tags));
      result.description = desired.description;
    }
    if (diffs.some(isTagDiff)) result.tags = await updateCloudMapTags(ctx, observed.arn, observed.tags, desired.tags, diffs);
    return result;
  },

  async delete(observed, ctx) {
    let operationId: string | undefined;
    try {
      ({ OperationId: operationId } = await ctx.clients.serviceDiscovery.send(new DeleteNamespaceCommand({ Id: observed.id })));
    } catch (error) {
      if (awsErrorIs(error, "NamespaceNotFound")) return;
      throw error;
    }
    await followWrite(ctx, operationId, resourceOf(observed.name, observed.tags));
  },

  outputs: (observed) => ({ id: observed.id, arn: observed.arn, name: observed.name }),
};
