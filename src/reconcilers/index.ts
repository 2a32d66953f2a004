import { autoScalingReconciler } from "./autoscaling/auto-scaling/index.js";
import { clustersReconciler } from "./ecs/clusters/index.js";
import { discoveryServicesReconciler } from "./cloudmap/discovery-services/index.js";
import { listenersReconciler } from "./elb/listeners/index.js";
import { loadBalancersReconciler } from "./elb/load-balancers/index.js";
import { logGroupsReconciler } from "./logs/log-groups/index.js";
import { namespacesReconciler } from "./cloudmap/namespaces/index.js";
import { networkReconciler } from "./ec2/network/index.js";
import { rolesReconciler } from "./iam/roles/index.js";
import { securityGroupRulesReconciler } from "./ec2/security-group-rules/index.js";
import { securityGroupsReconciler } from "./ec2/security-groups/index.js";
import { servicesReconciler } from "./ecs/services/index.js";
import { targetGroupsReconciler } from "./elb/target-groups/index.js";
import { taskDefinitionsReconciler } from "./ecs/task-definitions/index.js";
import type { Kind, Observed, Reconciler } from "./shared/types.js";

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
