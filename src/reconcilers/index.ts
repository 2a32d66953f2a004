/**
 * The catalogue: every kind the engine knows. The engine derives everything about order from each kind's
 * `refersTo` (see docs/ARCHITECTURE.md): a kind is observed and planned after the kinds it refers to, and its
 * resources are deleted before theirs. The list's own order only breaks ties where the graph leaves a choice: it
 * is the order in which a plan lists resources that do not depend on each other.
 */
import { autoScalingReconciler } from "./autoscaling/auto-scaling/index.js";
import { discoveryServicesReconciler } from "./cloudmap/discovery-services/index.js";
import { namespacesReconciler } from "./cloudmap/namespaces/index.js";
import { networkReconciler } from "./ec2/network/index.js";
import { securityGroupRulesReconciler } from "./ec2/security-group-rules/index.js";
import { securityGroupsReconciler } from "./ec2/security-groups/index.js";
import { clustersReconciler } from "./ecs/clusters/index.js";
import { servicesReconciler } from "./ecs/services/index.js";
import { taskDefinitionsReconciler } from "./ecs/task-definitions/index.js";
import { listenersReconciler } from "./elb/listeners/index.js";
import { loadBalancersReconciler } from "./elb/load-balancers/index.js";
import { targetGroupsReconciler } from "./elb/target-groups/index.js";
import { rolesReconciler } from "./iam/roles/index.js";
import { logGroupsReconciler } from "./logs/log-groups/index.js";
import type { Observed, Reconciler } from "./contract.js";

/** A reconciler of any kind: the catalogue holds kinds with different desired, observed and change types. */
export type AnyReconciler = Reconciler<any, Observed, any>;

/** The kinds the engine knows. */
export interface Catalogue {
  reconcilers: readonly AnyReconciler[];
}

export const CATALOGUE: Catalogue = {
  reconcilers: [
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
  ],
};
