/**
 * Questions about a valid spec that more than one kind asks: which cluster a service runs in, which target
 * groups an action forwards to, which listeners forward to a target group, where a resource finds its subnets.
 * Answers are logical names or node addresses (`<kind>.<logical>`), never AWS ids.
 */
import type { ListenerActionSpec } from "./load-balancing.js";
import type { Spec } from "./spec.js";

type ServiceEntry = Spec["services"][string];

/** The spec's cluster for a service: its own, or the only one of the spec (the validator makes sure there is one). */
export const clusterOf = (spec: Spec, entry: ServiceEntry): string => entry.cluster ?? Object.keys(spec.clusters)[0]!;

/** The logical names of the target groups an action forwards to. */
export function targetGroupsOf(action: ListenerActionSpec): string[] {
  const f = action.forward;
  if (f === undefined) return [];
  return typeof f === "string" ? [f] : f.targetGroups.map((t) => t.targetGroup);
}

/**
 * The address of every listener of the spec that forwards to one of these target groups (`listeners.<lb>.<name>`):
 * ECS refuses a target group no listener uses.
 */
export function listenersForwardingTo(spec: Spec, targetGroups: readonly string[]): string[] {
  const wanted = new Set(targetGroups);
  return Object.entries(spec.loadBalancers).flatMap(([lb, entry]) =>
    Object.entries(entry.listeners)
      .filter(([, listener]) =>
        [listener.defaultAction, ...Object.values(listener.rules).map((r) => r.action)]
          .flatMap(targetGroupsOf)
          .some((tg) => wanted.has(tg)),
      )
      .map(([name]) => `listeners.${lb}.${name}`),
  );
}

/** A resource that may choose its own subnets instead of the network's. */
export type SubnetChooser = "loadBalancers" | "services";

/** The subnets a load balancer or a service sets for itself, if it does. */
export function ownSubnets(spec: Spec, kind: SubnetChooser, logical: string): Spec["network"]["subnets"] | undefined {
  return kind === "services" ? spec.services[logical]?.network.subnets : spec.loadBalancers[logical]?.subnets;
}

/**
 * The node whose `subnetIds` output a resource is placed in: `network` itself, or, for a resource with its
 * own `subnets`, a lookup of those in the same VPC (`network.<kind>.<logical>`).
 */
export function subnetsAddress(spec: Spec, kind: SubnetChooser, logical: string): string {
  return ownSubnets(spec, kind, logical) ? `network.${kind}.${logical}` : "network";
}
