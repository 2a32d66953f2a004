import type { SpecPath } from "./diagnostics.js";
import { clusterOf, listenersForwardingTo } from "./queries.js";
import type { Spec } from "./spec.js";

export interface Unused {
  path: SpecPath;
  message: string;
}

/**
 * The spec's resources that nothing in the spec uses any more, such as what a removed service leaves behind:
 * its task definition, target group, discovery service, log group, security group or role. Only what the stack
 * owns (an `existing` security group is someone else's) and what only the spec's own resources can use: a target
 * group of another type than `ip` is filled from outside (instances, Lambda functions), so it is left alone.
 */
export function unusedResources(spec: Spec): Unused[] {
  const services = Object.values(spec.services);
  // What only an unused resource uses is unused too: the role and log group of a task definition no service runs.
  const taskDefinitions = new Set(services.map((s) => s.taskDefinition));
  const tasks = Object.entries(spec.taskDefinitions)
    .filter(([logical]) => taskDefinitions.has(logical))
    .map(([, task]) => task);
  const discoveryServices = new Set(services.map((s) => s.serviceDiscovery?.service));
  const used = {
    securityGroups: new Set([
      ...Object.values(spec.loadBalancers).flatMap((lb) => lb.securityGroups),
      ...services.flatMap((s) => s.network.securityGroups),
    ]),
    roles: new Set(tasks.flatMap((t) => [t.executionRole, t.taskRole])),
    logGroups: new Set(tasks.flatMap((t) => Object.values(t.containers).map((c) => c.logging?.awslogs.logGroup))),
    targetGroups: new Set(services.flatMap((s) => s.loadBalancers.map((a) => a.targetGroup))),
    clusters: new Set(services.map((s) => clusterOf(spec, s))),
    taskDefinitions,
    discoveryServices,
    namespaces: new Set(
      Object.entries(spec.discoveryServices)
        .filter(([logical]) => discoveryServices.has(logical))
        .map(([, d]) => d.namespace),
    ),
  };
  const unused: Unused[] = [];
  const nothingUses = (kind: keyof typeof used, what: string, why: string) => {
    for (const logical of Object.keys(spec[kind])) {
      if (used[kind].has(logical)) continue;
      if (kind === "securityGroups" && spec.securityGroups[logical]!.existing) continue;
      if (kind === "targetGroups") {
        if (spec.targetGroups[logical]!.targetType !== "ip") continue;
        const listeners = listenersForwardingTo(spec, [logical]);
        if (listeners.length > 0) {
          const message = `no service is attached to target group \`${logical}\`: what ${listeners.join(", ")} forwards to it finds no target (HTTP 503)`;
          unused.push({ path: [kind, logical], message });
          continue;
        }
      }
      unused.push({ path: [kind, logical], message: `nothing uses ${what} \`${logical}\`: ${why}` });
    }
  };
  nothingUses("securityGroups", "security group", "no load balancer or service is in it");
  nothingUses("roles", "role", "no task definition that a service runs names it (executionRole, taskRole)");
  nothingUses("logGroups", "log group", "no container of a task definition that a service runs logs to it");
  nothingUses("targetGroups", "target group", "no service is attached to it and no listener forwards to it");
  nothingUses("clusters", "cluster", "no service runs in it");
  nothingUses("taskDefinitions", "task definition", "no service runs it");
  nothingUses("discoveryServices", "discovery service", "no service registers in it");
  nothingUses("namespaces", "namespace", "no discovery service that a service registers in is in it");
  for (const [logical, lb] of Object.entries(spec.loadBalancers)) {
    if (Object.keys(lb.listeners).length === 0) {
      unused.push({ path: ["loadBalancers", logical], message: `nothing uses load balancer \`${logical}\`: it has no listeners` });
    }
  }
  return unused;
}
