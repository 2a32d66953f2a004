import { autoScalingReconciler } from "./auto-scaling.js";
import { clustersReconciler } from "./clusters.js";
import { discoveryServicesReconciler } from "./discovery-services.js";
import { listenersReconciler } from "./listeners.js";
import { loadBalancersReconciler } from "./load-balancers.js";
import { logGroupsReconciler } from "./log-groups.js";
import { namespacesReconciler } from "./namespaces.js";
import { networkReconciler } from "./network-node.js";
import { rolesReconciler } from "./roles.js";
import { securityGroupRulesReconciler } from "./security-group-rules.js";
import { securityGroupsReconciler } from "./security-groups.js";
import { servicesReconciler } from "./services.js";
import { targetGroupsReconciler } from "./target-groups.js";
import { taskDefinitionsReconciler } from "./task-definitions.js";
import type { Kind, Observed, Reconciler } from "./types.js";

/** A reconciler of any kind: the registry holds kinds with different desired and observed types. */
export type AnyReconciler = Reconciler<any, Observed>;

/**
 * Every kind, in an order where a kind's references point only to kinds before it: observation walks it
 * forwards so that each node can be built from the outputs of what it refers to.
 */
const RECONCILERS: readonly AnyReconciler[] = [
  networkReconciler,
  securityGroupsReconciler,
  rolesReconciler,
  logGroupsReconciler,
  securityGroupRulesReconciler,
  targetGroupsReconciler,
  loadBalancersReconciler,
  listenersReconciler,
  clustersReconciler,
  taskDefinitionsReconciler,
  namespacesReconciler,
  discoveryServicesReconciler,
  servicesReconciler,
  autoScalingReconciler,
];

/**
 * Kinds whose resources must be gone before a resource of the key kind can be deleted, when the spec no
 * longer says which refers to which (pruning, `delete`). AWS refuses to delete a security group that another
 * group's rule or a network interface (a load balancer's, a task's) still uses, a target group that a
 * listener, rule or service uses, and a cluster that still has services. A load balancer takes its
 * listeners with it; deleting them first keeps the order plain. A service goes before the listener that
 * forwards to it, as it was created after it, and before the task definitions it runs. Cloud Map refuses to
 * delete a discovery service that still has instances (a service's tasks) and a namespace that still has
 * discovery services. A service's scaling configuration goes before the service.
 */
const DELETE_AFTER: Partial<Record<Kind, readonly Kind[]>> = {
  securityGroups: ["securityGroupRules", "loadBalancers", "services"],
  targetGroups: ["listeners", "services"],
  loadBalancers: ["listeners"],
  listeners: ["services"],
  clusters: ["services"],
  taskDefinitions: ["services"],
  services: ["autoScaling"],
  discoveryServices: ["services"],
  namespaces: ["discoveryServices"],
};

/** The kinds the engine knows, and how deletions of different kinds are ordered. */
export interface Catalogue {
  reconcilers: readonly AnyReconciler[];
  deleteAfter: Partial<Record<Kind, readonly Kind[]>>;
}

export const CATALOGUE: Catalogue = { reconcilers: RECONCILERS, deleteAfter: DELETE_AFTER };
