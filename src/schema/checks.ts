import { DependencyGraph } from "../graph/graph.js";
import { writeTimeProblems } from "./aws-limits.js";
import type { Diagnostic, Severity, SpecPath } from "./diagnostics.js";
import { fargateSizeProblem } from "./fargate.js";
import type { ListenerActionSpec } from "./load-balancing.js";
import { explicitName, NAME_RULES, physicalName, type NamedKind } from "./names.js";
import type { SourceMap } from "./source-map.js";
import { listenersForwardingTo, targetGroupsOf } from "./queries.js";
import { looksSecret } from "./sensitive.js";
import type { Spec } from "./spec.js";
import { unusedResources } from "./unused.js";

type Report = (severity: Severity, code: string, path: SpecPath, message: string, preferKey?: boolean) => void;

/** Checks that need the whole spec: references, sizes, names and the rules AWS enforces across resources. */
export function checkSpec(spec: Spec, sourceMap: SourceMap): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report: Report = (severity, code, path, message, preferKey = false) =>
    diagnostics.push({ severity, code, message, path, location: sourceMap.locate(path, { preferKey }) });

  checkNames(spec, report);
  checkTagCounts(spec, report);
  checkSecurityGroups(spec, report);
  checkLoadBalancers(spec, report);
  checkTaskDefinitions(spec, report);
  checkServices(spec, report);
  checkDiscovery(spec, report);
  for (const problem of writeTimeProblems(spec)) report("error", problem.code, problem.path, problem.message, problem.preferKey);
  warnAboutRisks(spec, report);
  return diagnostics;
}

function refersTo(spec: Spec, kind: keyof Spec & string, name: string, path: SpecPath, report: Report, what: string): boolean {
  const entries = spec[kind] as Record<string, unknown>;
  if (Object.hasOwn(entries, name)) return true;
  const known = Object.keys(entries);
  report(
    "error",
    "invalid-reference",
    path,
    `${what} \`${name}\` is not defined in \`${kind}\` (${known.length ? `defined: ${known.join(", ")}` : "none defined"})`,
  );
  return false;
}

function checkNames(spec: Spec, report: Report): void {
  for (const kind of Object.keys(NAME_RULES) as NamedKind[]) {
    const seen = new Map<string, string>();
    for (const logical of Object.keys(spec[kind])) {
      if (kind === "securityGroups" && spec.securityGroups[logical]?.existing) continue; // named by its owner
      const name = physicalName(spec, kind, logical);
      const isDefault = explicitName(spec, kind, logical) === undefined;
      const { pattern, rule } = NAME_RULES[kind];
      if (isDefault && !pattern.test(name)) {
        report(
          "error",
          "invalid-name",
          [kind, logical],
          `the default name \`${name}\` (from stack and logical name) breaks AWS's rule: ${rule}; set \`${kind === "taskDefinitions" ? "family" : "name"}\``,
          true,
        );
      }
      // Discovery service names are unique within their namespace only.
      const scope = kind === "discoveryServices" ? `${spec.discoveryServices[logical]!.namespace}/` : "";
      const other = seen.get(scope + name);
      if (other !== undefined) {
        report("error", "duplicate-name", [kind, logical], `\`${logical}\` and \`${other}\` would both be named \`${name}\``, true);
      }
      seen.set(scope + name, logical);
    }
  }
}

/** AWS allows 50 tags on a resource; the ownership tags reconcile:stack and reconcile:id take two. */
const MAX_USER_TAGS = 48;

function checkTagCounts(spec: Spec, report: Report): void {
  const stackTags = Object.keys(spec.tags);
  if (stackTags.length > MAX_USER_TAGS) {
    report(
      "error",
      "too-many-tags",
      ["tags"],
      `${stackTags.length} tags: AWS allows 50 on a resource and 2 are the ownership tags, so at most ${MAX_USER_TAGS}`,
    );
    return;
  }
  for (const kind of [...(Object.keys(NAME_RULES) as NamedKind[]), "namespaces" as const]) {
    for (const [logical, entry] of Object.entries(spec[kind] as Record<string, { tags?: Record<string, string> }>)) {
      const total = new Set([...stackTags, ...Object.keys(entry.tags ?? {})]).size;
      if (total > MAX_USER_TAGS) {
        report(
          "error",
          "too-many-tags",
          [kind, logical, "tags"],
          `${total} tags with the stack's: AWS allows 50 on a resource and 2 are the ownership tags, so at most ${MAX_USER_TAGS}`,
        );
      }
    }
  }
}

function checkSecurityGroups(spec: Spec, report: Report): void {
  for (const [logical, group] of Object.entries(spec.securityGroups)) {
    for (const direction of ["ingress", "egress"] as const) {
      (group[direction] ?? []).forEach((rule, i) => {
        if (rule.securityGroup !== undefined) {
          refersTo(
            spec,
            "securityGroups",
            rule.securityGroup,
            ["securityGroups", logical, direction, i, "securityGroup"],
            report,
            "security group",
          );
        }
      });
    }
  }
}

function checkAction(spec: Spec, action: ListenerActionSpec, path: SpecPath, listenerProtocol: string, report: Report): void {
  if (action.forward === undefined) return;
  const targets =
    typeof action.forward === "string"
      ? [{ targetGroup: action.forward, at: [...path, "forward"] }]
      : action.forward.targetGroups.map((t, i) => ({
          targetGroup: t.targetGroup,
          at: [...path, "forward", "targetGroups", i, "targetGroup"],
        }));
  for (const { targetGroup, at } of targets) {
    if (!refersTo(spec, "targetGroups", targetGroup, at, report, "target group")) continue;
    const tg = spec.targetGroups[targetGroup]!;
    if (tg.protocol !== "HTTP" && tg.protocol !== "HTTPS") {
      report(
        "error",
        "protocol-mismatch",
        at,
        `an ${listenerProtocol} listener of an Application Load Balancer cannot forward to target group \`${targetGroup}\` of protocol ${tg.protocol}: use HTTP or HTTPS`,
      );
    }
    if (tg.targetType === "alb") {
      report(
        "error",
        "protocol-mismatch",
        at,
        `target group \`${targetGroup}\` has target type alb, which only a Network Load Balancer can forward to`,
      );
    }
  }
}

function checkLoadBalancers(spec: Spec, report: Report): void {
  for (const [logical, lb] of Object.entries(spec.loadBalancers)) {
    const base = ["loadBalancers", logical];
    lb.securityGroups.forEach((sg, i) => refersTo(spec, "securityGroups", sg, [...base, "securityGroups", i], report, "security group"));
    const ports = new Map<number, string>();
    for (const [name, listener] of Object.entries(lb.listeners)) {
      const path = [...base, "listeners", name];
      const clash = ports.get(listener.port);
      if (clash)
        report("error", "duplicate-port", [...path, "port"], `listeners \`${clash}\` and \`${name}\` both use port ${listener.port}`);
      ports.set(listener.port, name);
      checkAction(spec, listener.defaultAction, [...path, "defaultAction"], listener.protocol, report);
      const priorities = new Map<number, string>();
      for (const [ruleName, rule] of Object.entries(listener.rules)) {
        const rulePath = [...path, "rules", ruleName];
        const taken = priorities.get(rule.priority);
        if (taken)
          report(
            "error",
            "duplicate-priority",
            [...rulePath, "priority"],
            `rules \`${taken}\` and \`${ruleName}\` both have priority ${rule.priority}`,
          );
        priorities.set(rule.priority, ruleName);
        checkAction(spec, rule.action, [...rulePath, "action"], listener.protocol, report);
      }
    }
  }
}

function checkRole(spec: Spec, role: string | undefined, path: SpecPath, report: Report): void {
  if (role === undefined || role.startsWith("arn:")) return;
  refersTo(spec, "roles", role, path, report, "role");
}

function checkTaskDefinitions(spec: Spec, report: Report): void {
  for (const [logical, task] of Object.entries(spec.taskDefinitions)) {
    const base = ["taskDefinitions", logical];
    const sizeProblem = fargateSizeProblem(task.cpu, task.memory);
    if (sizeProblem) report("error", "invalid-task-size", [...base, sizeProblem.field], sizeProblem.message);
    checkRole(spec, task.executionRole, [...base, "executionRole"], report);
    checkRole(spec, task.taskRole, [...base, "taskRole"], report);

    const containers = Object.entries(task.containers);
    const totalCpu = containers.reduce((sum, [, c]) => sum + (c.cpu ?? 0), 0);
    if (totalCpu > task.cpu)
      report(
        "error",
        "container-over-task",
        [...base, "containers"],
        `the containers ask for ${totalCpu} cpu units in all, more than the task's ${task.cpu}`,
      );
    const totalMemory = containers.reduce((sum, [, c]) => sum + (c.memory ?? c.memoryReservation ?? 0), 0);
    if (totalMemory > task.memory)
      report(
        "error",
        "container-over-task",
        [...base, "containers"],
        `the containers ask for ${totalMemory} MiB in all, more than the task's ${task.memory} MiB`,
      );
    if (!containers.some(([, c]) => c.essential))
      report(
        "error",
        "no-essential-container",
        [...base, "containers"],
        "at least one container must be essential: ECS stops the task when an essential container stops",
      );

    const dependsOn = new DependencyGraph();
    const hostPorts = new Map<string, string>();
    for (const [name, c] of containers) {
      const path = [...base, "containers", name];
      dependsOn.addNode(name);
      if (c.memory !== undefined && c.memoryReservation !== undefined && c.memoryReservation > c.memory) {
        report(
          "error",
          "invalid-value",
          [...path, "memoryReservation"],
          `memoryReservation (${c.memoryReservation}) must not exceed memory (${c.memory})`,
        );
      }
      c.dependsOn.forEach((dep, i) => {
        if (dep.container === name)
          report("error", "reference-cycle", [...path, "dependsOn", i, "container"], `container \`${name}\` cannot depend on itself`);
        else if (!Object.hasOwn(task.containers, dep.container)) {
          report(
            "error",
            "invalid-reference",
            [...path, "dependsOn", i, "container"],
            `container \`${dep.container}\` is not in this task definition (containers: ${Object.keys(task.containers).join(", ")})`,
          );
        } else {
          dependsOn.addDependency(name, dep.container);
          if (dep.condition === "HEALTHY" && !task.containers[dep.container]!.healthCheck) {
            report(
              "error",
              "invalid-reference",
              [...path, "dependsOn", i, "condition"],
              `condition HEALTHY needs a healthCheck on container \`${dep.container}\``,
            );
          }
        }
      });
      c.portMappings.forEach((mapping, i) => {
        const m = typeof mapping === "number" ? { containerPort: mapping, protocol: "tcp" as const, hostPort: undefined } : mapping;
        if (m.hostPort !== undefined && m.hostPort !== m.containerPort) {
          report(
            "error",
            "invalid-value",
            [...path, "portMappings", i, "hostPort"],
            `under awsvpc (Fargate) hostPort must equal containerPort (${m.containerPort})`,
          );
        }
        const key = `${m.containerPort}/${m.protocol}`;
        const taken = hostPorts.get(key);
        if (taken)
          report(
            "error",
            "duplicate-port",
            [...path, "portMappings", i],
            `port ${key} is mapped by container \`${taken}\` too: the task's containers share one network interface`,
          );
        hostPorts.set(key, name);
      });
      const awslogs = c.logging?.awslogs;
      if (awslogs) refersTo(spec, "logGroups", awslogs.logGroup, [...path, "logging", "awslogs", "logGroup"], report, "log group");
      if (awslogs && !task.executionRole)
        report(
          "error",
          "missing-execution-role",
          [...path, "logging"],
          "the awslogs driver on Fargate needs the task's executionRole to write logs",
        );
      if (Object.keys(c.secrets).length > 0 && !task.executionRole)
        report("error", "missing-execution-role", [...path, "secrets"], "secrets are read by the task's executionRole: set one");
    }
    for (const cycle of dependsOn.findCycles()) {
      report(
        "error",
        "reference-cycle",
        [...base, "containers", cycle[0]!, "dependsOn"],
        `containers depend on each other in a cycle: ${cycle.join(" -> ")}`,
      );
    }
  }
}

function checkServices(spec: Spec, report: Report): void {
  const clusters = Object.keys(spec.clusters);
  for (const [logical, service] of Object.entries(spec.services)) {
    const base = ["services", logical];
    if (service.cluster !== undefined) refersTo(spec, "clusters", service.cluster, [...base, "cluster"], report, "cluster");
    else if (clusters.length !== 1) {
      report(
        "error",
        "missing-key",
        base,
        `set \`cluster\`: the spec has ${clusters.length === 0 ? "no cluster" : `${clusters.length} clusters (${clusters.join(", ")})`}`,
        true,
      );
    }
    service.network.securityGroups.forEach((sg, i) =>
      refersTo(spec, "securityGroups", sg, [...base, "network", "securityGroups", i], report, "security group"),
    );
    const task = refersTo(spec, "taskDefinitions", service.taskDefinition, [...base, "taskDefinition"], report, "task definition")
      ? spec.taskDefinitions[service.taskDefinition]
      : undefined;

    service.loadBalancers.forEach((attachment, i) => {
      const path = [...base, "loadBalancers", i];
      if (refersTo(spec, "targetGroups", attachment.targetGroup, [...path, "targetGroup"], report, "target group")) {
        const tg = spec.targetGroups[attachment.targetGroup]!;
        if (tg.targetType !== "ip")
          report(
            "error",
            "invalid-reference",
            [...path, "targetGroup"],
            `target group \`${attachment.targetGroup}\` has target type ${tg.targetType}; Fargate tasks register by IP: use targetType ip`,
          );
        if (listenersForwardingTo(spec, [attachment.targetGroup]).length === 0) {
          report(
            "error",
            "invalid-reference",
            [...path, "targetGroup"],
            `no listener forwards to target group \`${attachment.targetGroup}\`: ECS cannot attach a service to a target group without a load balancer`,
          );
        }
      }
      if (!task) return;
      const container = task.containers[attachment.container];
      if (!container) {
        report(
          "error",
          "invalid-reference",
          [...path, "container"],
          `container \`${attachment.container}\` is not in task definition \`${service.taskDefinition}\` (containers: ${Object.keys(task.containers).join(", ")})`,
        );
      } else if (!container.portMappings.some((m) => (typeof m === "number" ? m : m.containerPort) === attachment.port)) {
        report("error", "invalid-reference", [...path, "port"], `container \`${attachment.container}\` maps no port ${attachment.port}`);
      }
    });

    const discovery = service.serviceDiscovery;
    if (
      discovery &&
      refersTo(spec, "discoveryServices", discovery.service, [...base, "serviceDiscovery", "service"], report, "discovery service")
    ) {
      const usesSrv = spec.discoveryServices[discovery.service]!.dnsRecords.some((r) => r.type === "SRV");
      if (usesSrv && (discovery.container === undefined || discovery.port === undefined)) {
        report(
          "error",
          "missing-key",
          [...base, "serviceDiscovery"],
          `discovery service \`${discovery.service}\` has SRV records: set \`container\` and \`port\``,
        );
      }
      if (task && discovery.container !== undefined && !task.containers[discovery.container]) {
        report(
          "error",
          "invalid-reference",
          [...base, "serviceDiscovery", "container"],
          `container \`${discovery.container}\` is not in task definition \`${service.taskDefinition}\``,
        );
      }
    }

    const scaling = service.autoScaling;
    if (scaling) {
      // Both kinds of policy are named `<stack>-<name>` on the one scalable target: a name can serve only one.
      for (const name of Object.keys(scaling.stepScaling).filter((n) => n in scaling.targetTracking)) {
        report(
          "error",
          "duplicate-name",
          [...base, "autoScaling", "stepScaling", name],
          `\`${name}\` is also a target-tracking policy of this service: scaling policies of one service need different names`,
        );
      }
      for (const [name, policy] of Object.entries(scaling.targetTracking)) {
        if (typeof policy.metric === "object" && "albRequestsPerTarget" in policy.metric) {
          const tg = policy.metric.albRequestsPerTarget.targetGroup;
          const path = [...base, "autoScaling", "targetTracking", name, "metric", "albRequestsPerTarget", "targetGroup"];
          if (
            refersTo(spec, "targetGroups", tg, path, report, "target group") &&
            !service.loadBalancers.some((a) => a.targetGroup === tg)
          ) {
            report(
              "error",
              "invalid-reference",
              path,
              `the service is not attached to target group \`${tg}\`, so its request count says nothing about this service`,
            );
          }
        }
      }
      if (
        service.desiredCount !== undefined &&
        (service.desiredCount < scaling.minCapacity || service.desiredCount > scaling.maxCapacity)
      ) {
        report(
          "error",
          "invalid-value",
          [...base, "desiredCount"],
          `desiredCount ${service.desiredCount} is outside autoScaling's ${scaling.minCapacity}-${scaling.maxCapacity}`,
        );
      }
    }
  }
}

function checkDiscovery(spec: Spec, report: Report): void {
  for (const [logical, ds] of Object.entries(spec.discoveryServices)) {
    refersTo(spec, "namespaces", ds.namespace, ["discoveryServices", logical, "namespace"], report, "namespace");
  }
  const names = new Map<string, string>();
  for (const [logical, ns] of Object.entries(spec.namespaces)) {
    const other = names.get(ns.name);
    if (other)
      report(
        "error",
        "duplicate-name",
        ["namespaces", logical, "name"],
        `namespaces \`${other}\` and \`${logical}\` are both named ${ns.name}`,
      );
    names.set(ns.name, logical);
  }
}

function warnAboutRisks(spec: Spec, report: Report): void {
  const usedByLoadBalancer = new Set(Object.values(spec.loadBalancers).flatMap((lb) => lb.securityGroups));
  const usedByService = new Map<string, string>();
  for (const [logical, s] of Object.entries(spec.services)) for (const sg of s.network.securityGroups) usedByService.set(sg, logical);

  for (const [logical, group] of Object.entries(spec.securityGroups)) {
    group.ingress.forEach((rule, i) => {
      const worldOpen = rule.cidr === "0.0.0.0/0" || rule.ipv6Cidr === "::/0";
      if (!worldOpen) return;
      const service = usedByService.get(logical);
      if (service === undefined && usedByLoadBalancer.has(logical)) return;
      const who = service !== undefined ? `service \`${service}\` uses this group` : "no load balancer uses this group";
      report(
        "warning",
        "open-ingress",
        ["securityGroups", logical, "ingress", i],
        `ingress from ${rule.cidr ?? rule.ipv6Cidr} opens ${rule.protocol === "all" ? "every port" : `port ${rule.port ?? `${rule.ports?.from}-${rule.ports?.to}`}`} to the whole internet, and ${who}: admit only the load balancer's security group`,
      );
    });
  }

  for (const [logical, task] of Object.entries(spec.taskDefinitions)) {
    for (const [name, container] of Object.entries(task.containers)) {
      for (const variable of Object.keys(container.environment)) {
        if (looksSecret(variable)) {
          report(
            "warning",
            "plain-secret",
            ["taskDefinitions", logical, "containers", name, "environment", variable],
            `${variable} looks secret but is a plain environment value (never printed, but stored in clear in the task definition): move it to \`secrets\``,
            true,
          );
        }
      }
    }
  }

  for (const { path, message } of unusedResources(spec)) report("warning", "unused-resource", path, message, true);
  warnAboutPrivateTasksInPublicSubnets(spec, report);

  for (const [logical, group] of Object.entries(spec.logGroups)) {
    if (group.retentionDays === undefined) {
      report(
        "warning",
        "no-retention",
        ["logGroups", logical],
        "no retentionDays: CloudWatch keeps these logs, and bills for them, forever",
        true,
      );
    }
  }
}

/**
 * A task without a public IP in a public subnet has no route out: the subnet's internet gateway carries only
 * traffic of addresses that have a public IP, and there is no NAT. It cannot pull its image (Docker Hub, ECR) or
 * send its logs. Offline, the only subnets known to be public are the default VPC's default subnets (selected by
 * `availabilityZones`: AWS makes them with a route to the internet gateway); subnets given by ids or tags need
 * their route tables read, which validate does not do.
 */
function warnAboutPrivateTasksInPublicSubnets(spec: Spec, report: Report): void {
  for (const [logical, service] of Object.entries(spec.services)) {
    const subnets = service.network.subnets ?? spec.network.subnets;
    if (service.network.assignPublicIp !== "DISABLED" || !("availabilityZones" in subnets)) continue;
    report(
      "warning",
      "no-public-ip",
      ["services", logical, "network", "assignPublicIp"],
      `the tasks get no public IP (assignPublicIp DISABLED, the default) in the default VPC's default subnets, whose only way out is an internet gateway: they cannot pull their images (no route to Docker Hub or ECR without a public IP or a NAT gateway); set \`assignPublicIp: ENABLED\``,
    );
  }
}
