/**
 * A private DNS namespace as the spec wants it and as AWS reports it, the diff between the two, and the
 * UpdatePrivateDnsNamespace input that closes it (see index.ts for what can change in place).
 */
import type { Namespace, NamespaceSummary, UpdatePrivateDnsNamespaceRequest } from "@aws-sdk/client-servicediscovery";
import type { KnownAfterApply } from "../../../plan/model.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, tagChange, type TagChange } from "../../diff-helpers.js";
import { desiredNode, ownedTags, type DesiredNode, type Diff, type Observed, type Tags } from "../../contract.js";

export interface NamespaceDesired {
  name: string;
  /** Used at creation only (see index.ts). */
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

/** The UpdatePrivateDnsNamespace input that sets the description, but its UpdaterRequestId: a fresh one goes with each call. */
export type NamespaceUpdate = Omit<UpdatePrivateDnsNamespaceRequest, "UpdaterRequestId"> & { Namespace: { Description: string } };

export interface NamespaceChange {
  /** Undefined: the description is as the spec says (or the spec leaves it out). */
  namespace?: NamespaceUpdate;
  tags: TagChange;
}

export const namespaceNodes = (spec: Spec): DesiredNode<NamespaceDesired>[] =>
  Object.entries(spec.namespaces).map(([logical, entry]) =>
    desiredNode({
      kind: "namespaces",
      logical,
      name: entry.name,
      dependsOn: ["network"],
      adopt: entry.adopt ?? false,
      build: (outputs) => ({
        name: entry.name,
        vpcId: outputs.string("network", "vpcId"),
        ...(entry.description !== undefined && { description: entry.description }),
        tags: ownedTags(spec, "namespaces", logical, entry.tags),
      }),
    }),
  );

/** A namespace as GetNamespace or ListNamespaces (its summary has the same fields) reports it, with its tags. */
export function toObservedNamespace(namespace: Namespace | NamespaceSummary, tags: Tags): ObservedNamespace {
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

export function diffNamespace(desired: NamespaceDesired, observed: ObservedNamespace): Diff<NamespaceChange> {
  const { description } = desired;
  const descriptionLines = description !== undefined ? diffField("description", observed.description, description) : [];
  return {
    lines: [...descriptionLines, ...diffTags(desired.tags, observed.tags)],
    change: {
      ...(description !== undefined &&
        descriptionLines.length > 0 && { namespace: { Id: observed.id, Namespace: { Description: description } } }),
      tags: tagChange(desired.tags, observed.tags),
    },
  };
}
