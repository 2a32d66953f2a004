import type { SpecPath } from "./diagnostics.js";
import type { ListenerSpec, TargetGroupSpec } from "./load-balancing.js";
import { explicitName, physicalName } from "./names.js";
import { scheduleProblem, timeZoneProblem } from "./schedule-expression.js";
import type { Spec } from "./spec.js";
import { stepIntervalProblems } from "./step-intervals.js";

/**
 * The rules AWS's write APIs apply to what this tool sends, checked offline so a spec AWS would refuse fails
 * `validate` instead of an apply halfway through. Each rule names the API and parameter it comes from.
 * (Rules that belong to one field alone live in the zod schema; these need a default, a neighbour or a count.)
 */
export interface WriteTimeProblem {
  code: string;
  path: SpecPath;
  message: string;
  /** Point at the key rather than its value (a tag key, a map entry). */
  preferKey?: boolean;
}

type Add = (code: string, path: SpecPath, message: string, preferKey?: boolean) => void;

export function writeTimeProblems(spec: Spec): WriteTimeProblem[] {
  const problems: WriteTimeProblem[] = [];
  const add: Add = (code, path, message, preferKey) => problems.push({ code, path, message, ...(preferKey && { preferKey }) });
  checkTags(spec, add);
  checkSecurityGroups(spec, add);
  checkRolesAndLogGroups(spec, add);
  checkLoadBalancing(spec, add);
  checkEcs(spec, add);
  checkAutoScaling(spec, add);
  return problems;
}

/** TagResource / AddTags / CreateTags across the services: Tag.Key and Tag.Value match ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$. */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAGGED_KINDS = [
  "securityGroups",
  "roles",
  "logGroups",
  "targetGroups",
  "loadBalancers",
  "clusters",
  "taskDefinitions",
  "services",
  "namespaces",
  "discoveryServices",
] as const;

function checkTags(spec: Spec, add: Add): void {
  const check = (tags: Record<string, string> | undefined, base: SpecPath) => {
    for (const [key, value] of Object.entries(tags ?? {})) {
      const rule = "letters, digits, spaces and _ . : / = + - @";
      if (!TAG_TEXT.test(key)) add("invalid-tag", [...base, key], `tag key \`${key}\` holds a character AWS refuses: only ${rule}`, true);
      else if (!TAG_TEXT.test(value))
        add("invalid-tag", [...base, key], `the value of tag \`${key}\` holds a character AWS refuses: only ${rule}`);
    }
  };
  check(spec.tags, ["tags"]);
  for (const kind of TAGGED_KINDS) {
    for (const [logical, entry] of Object.entries(spec[kind] as Record<string, { tags?: Record<string, string> }>)) {
      check(entry.tags, [kind, logical, "tags"]);
    }
  }
}

/** CreateSecurityGroup GroupName and GroupDescription, and every rule's Description (IpRange, UserIdGroupPair, …) in a VPC. */
const EC2_VPC_TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;
const EC2_VPC_TEXT_RULE = "letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*";

function checkSecurityGroups(spec: Spec, add: Add): void {
  for (const [logical, group] of Object.entries(spec.securityGroups)) {
    const base = ["securityGroups", logical];
    if (group.name !== undefined && !EC2_VPC_TEXT.test(group.name)) {
      add("invalid-name", [...base, "name"], `a security group name in a VPC holds only ${EC2_VPC_TEXT_RULE}`);
    }
    if (group.description !== undefined && !EC2_VPC_TEXT.test(group.description)) {
      add("invalid-description", [...base, "description"], `a security group description holds only ${EC2_VPC_TEXT_RULE}`);
    }
    for (const direction of ["ingress", "egress"] as const) {
      (group[direction] ?? []).forEach((rule, i) => {
        if (rule.description !== undefined && !EC2_VPC_TEXT.test(rule.description)) {
          add("invalid-description", [...base, direction, i, "description"], `a rule description holds only ${EC2_VPC_TEXT_RULE}`);
        }
      });
    }
  }
}

/** CreateRole Description: tab, newline, carriage return and the printable Latin-1 characters. */
const IAM_DESCRIPTION = /^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$/;

function checkRolesAndLogGroups(spec: Spec, add: Add): void {
  for (const [logical, role] of Object.entries(spec.roles)) {
    if (role.path !== undefined && role.path.length > 512) {
      add("invalid-value", ["roles", logical, "path"], `a role path is at most 512 characters (this one has ${role.path.length})`);
    }
    if (role.description !== undefined && !IAM_DESCRIPTION.test(role.description)) {
      add(
        "invalid-description",
        ["roles", logical, "description"],
        "a role description holds only printable Latin-1 characters, tabs and newlines",
      );
    }
  }
  // CreateLogGroup logGroupName: names starting with aws/ are AWS's own.
  for (const logical of Object.keys(spec.logGroups)) {
    const name = explicitName(spec, "logGroups", logical);
    if (name?.startsWith("aws/"))
      add("invalid-name", ["logGroups", logical, "name"], "a log group name cannot start with `aws/`: AWS keeps those");
  }
}

function checkLoadBalancing(spec: Spec, add: Add): void {
  for (const [logical, group] of Object.entries(spec.targetGroups)) checkHealthCheck(group, ["targetGroups", logical], add);
  for (const [logical, lb] of Object.entries(spec.loadBalancers)) {
    // CreateLoadBalancer Name: "must not begin with internal-"; the schema checks a name the spec sets.
    const name = physicalName(spec, "loadBalancers", logical);
    if (explicitName(spec, "loadBalancers", logical) === undefined && name.toLowerCase().startsWith("internal-")) {
      add(
        "invalid-name",
        ["loadBalancers", logical],
        `the default name \`${name}\` starts with \`internal-\`, which AWS refuses; set \`name\``,
        true,
      );
    }
    for (const [listenerName, listener] of Object.entries(lb.listeners)) {
      checkRuleConditions(listener, ["loadBalancers", logical, "listeners", listenerName], add);
    }
  }
}

/** CreateTargetGroup's defaults for HealthCheckIntervalSeconds and HealthCheckTimeoutSeconds (API reference). */
function healthCheckDefaults(group: TargetGroupSpec): { interval: number; timeout: number } {
  if (group.targetType === "lambda") return { interval: 35, timeout: 30 };
  if (group.protocol === "GENEVE") return { interval: 10, timeout: 5 };
  return { interval: 30, timeout: group.protocol === "HTTP" ? 6 : 10 };
}

function checkHealthCheck(group: TargetGroupSpec, base: SpecPath, add: Add): void {
  const check = group.healthCheck;
  if (!check) return;
  const path = [...base, "healthCheck"];
  // CreateTargetGroup HealthCheckTimeoutSeconds must be below HealthCheckIntervalSeconds.
  const defaults = healthCheckDefaults(group);
  const interval = check.intervalSeconds ?? defaults.interval;
  const timeout = check.timeoutSeconds ?? defaults.timeout;
  if ((check.intervalSeconds !== undefined || check.timeoutSeconds !== undefined) && timeout >= interval) {
    const field = check.timeoutSeconds !== undefined ? "timeoutSeconds" : "intervalSeconds";
    const said = (value: number, set: boolean) => `${value}${set ? "" : " (AWS's default)"}`;
    add(
      "invalid-health-check",
      [...path, field],
      `the health check timeout (${said(timeout, check.timeoutSeconds !== undefined)} s) must be shorter than its interval (${said(interval, check.intervalSeconds !== undefined)} s)`,
    );
  }
  // CreateTargetGroup HealthCheckProtocol: "TCP is not supported for health checks if the protocol of the target group is HTTP or HTTPS".
  if (check.protocol === "TCP" && (group.protocol === "HTTP" || group.protocol === "HTTPS")) {
    add(
      "invalid-health-check",
      [...path, "protocol"],
      `a ${group.protocol} target group cannot be health checked over TCP: use HTTP or HTTPS`,
    );
  }
}

/** CreateRule Conditions (ALB guide, "Condition basics"): up to 3 values per condition, 5 per rule, 5 wildcards per rule. */
const VALUES_PER_CONDITION = 3;
const VALUES_PER_RULE = 5;
const WILDCARDS_PER_RULE = 5;
/** HostHeaderConditionConfig and PathPatternConditionConfig Values: the characters the ALB guide allows. */
const HOST_HEADER = /^[A-Za-z0-9\-.*?]+$/;
const PATH_PATTERN = /^[A-Za-z0-9_\-.$/~"'@:+&*?]+$/;

function checkRuleConditions(listener: ListenerSpec, base: SpecPath, add: Add): void {
  for (const [ruleName, rule] of Object.entries(listener.rules)) {
    const at = [...base, "rules", ruleName, "conditions"];
    const { pathPatterns = [], hostHeaders = [], httpHeaders = [] } = rule.conditions;
    const conditions: { path: SpecPath; values: readonly string[] }[] = [
      ...(pathPatterns.length > 0 ? [{ path: [...at, "pathPatterns"], values: pathPatterns }] : []),
      ...(hostHeaders.length > 0 ? [{ path: [...at, "hostHeaders"], values: hostHeaders }] : []),
      ...httpHeaders.map((h, i) => ({ path: [...at, "httpHeaders", i, "values"], values: h.values })),
    ];
    for (const { path, values } of conditions) {
      if (values.length > VALUES_PER_CONDITION) {
        add("too-many-condition-values", path, `${values.length} values: a rule condition takes at most ${VALUES_PER_CONDITION}`);
      }
    }
    const all = conditions.flatMap((c) => c.values);
    if (all.length > VALUES_PER_RULE) {
      add("too-many-condition-values", at, `${all.length} condition values in all: a rule takes at most ${VALUES_PER_RULE}`);
    }
    const wildcards = all.reduce((sum, v) => sum + (v.match(/[*?]/g)?.length ?? 0), 0);
    if (wildcards > WILDCARDS_PER_RULE) {
      add("too-many-condition-values", at, `${wildcards} wildcards (* or ?) in all: a rule takes at most ${WILDCARDS_PER_RULE}`);
    }
    hostHeaders.forEach((host, i) => {
      if (!HOST_HEADER.test(host))
        add("invalid-value", [...at, "hostHeaders", i], `host \`${host}\`: a host condition holds only letters, digits and - . * ?`);
    });
    pathPatterns.forEach((pattern, i) => {
      if (!PATH_PATTERN.test(pattern)) {
        add(
          "invalid-value",
          [...at, "pathPatterns", i],
          `path \`${pattern}\`: a path condition holds only letters, digits and _ - . $ / ~ " ' @ : + & * ?`,
        );
      }
    });
  }
}

/** RegisterTaskDefinition containerDefinitions: ECS's quota of containers per task definition. */
const CONTAINERS_PER_TASK = 10;

interface StrategyItem {
  capacityProvider: string;
  weight: number;
  base?: number | undefined;
}

/** CapacityProviderStrategyItem (CreateService, PutClusterCapacityProviders): one base at most, some weight above 0. */
function checkStrategy(strategy: readonly StrategyItem[], path: SpecPath, providers: readonly string[] | undefined, add: Add): void {
  if (strategy.filter((item) => (item.base ?? 0) > 0).length > 1) {
    add("invalid-value", path, "only one capacity provider of a strategy may have a base");
  }
  if (strategy.every((item) => item.weight === 0))
    add("invalid-value", path, "at least one capacity provider of a strategy needs a weight above 0");
  if (providers === undefined) return;
  strategy.forEach((item, i) => {
    if (!providers.includes(item.capacityProvider)) {
      add(
        "invalid-reference",
        [...path, i, "capacityProvider"],
        `capacity provider \`${item.capacityProvider}\` is not among the cluster's capacityProviders (${providers.join(", ") || "none"})`,
      );
    }
  });
}

function checkEcs(spec: Spec, add: Add): void {
  for (const [logical, task] of Object.entries(spec.taskDefinitions)) {
    const count = Object.keys(task.containers).length;
    if (count > CONTAINERS_PER_TASK) {
      add(
        "too-many-containers",
        ["taskDefinitions", logical, "containers"],
        `${count} containers: a task definition holds at most ${CONTAINERS_PER_TASK}`,
      );
    }
  }
  for (const [logical, cluster] of Object.entries(spec.clusters)) {
    if (cluster.defaultCapacityProviderStrategy) {
      const path = ["clusters", logical, "defaultCapacityProviderStrategy"];
      checkStrategy(cluster.defaultCapacityProviderStrategy, path, cluster.capacityProviders, add);
    }
  }
  const onlyCluster = Object.keys(spec.clusters).length === 1 ? Object.keys(spec.clusters)[0] : undefined;
  for (const [logical, service] of Object.entries(spec.services)) {
    if (!service.capacityProviderStrategy) continue;
    const cluster = spec.clusters[service.cluster ?? onlyCluster ?? ""];
    checkStrategy(service.capacityProviderStrategy, ["services", logical, "capacityProviderStrategy"], cluster?.capacityProviders, add);
  }
}

/** PutMetricAlarm Period × EvaluationPeriods: at most 7 days, and at most 1 day for a period under an hour. */
function evaluationLimit(periodSeconds: number): number {
  return periodSeconds < 3600 ? 86_400 : 604_800;
}

function checkAutoScaling(spec: Spec, add: Add): void {
  for (const [logical, service] of Object.entries(spec.services)) {
    const scaling = service.autoScaling;
    if (!scaling) continue;
    const base = ["services", logical, "autoScaling"];
    for (const [name, policy] of Object.entries(scaling.stepScaling)) {
      const at = [...base, "stepScaling", name];
      for (const problem of stepIntervalProblems(policy.steps)) {
        add("invalid-step-intervals", problem.step === undefined ? [...at, "steps"] : [...at, "steps", problem.step], problem.message);
      }
      // StepAdjustment ScalingAdjustment: "For exact capacity, you must specify a non-negative value."
      policy.steps.forEach((step, i) => {
        if (policy.adjustmentType === "ExactCapacity" && step.adjustment < 0) {
          add(
            "invalid-value",
            [...at, "steps", i, "adjustment"],
            "with adjustmentType ExactCapacity an adjustment is a capacity: 0 or more",
          );
        }
      });
      // StepScalingPolicyConfiguration MinAdjustmentMagnitude: "valid only if the adjustment type is PercentChangeInCapacity".
      if (policy.minAdjustmentMagnitude !== undefined && policy.adjustmentType !== "PercentChangeInCapacity") {
        add(
          "invalid-value",
          [...at, "minAdjustmentMagnitude"],
          "minAdjustmentMagnitude applies only to adjustmentType PercentChangeInCapacity",
        );
      }
      const alarm = policy.alarm;
      // PutMetricAlarm DatapointsToAlarm: the M of "M out of N", so at most EvaluationPeriods.
      if (alarm.datapointsToAlarm !== undefined && alarm.datapointsToAlarm > alarm.evaluationPeriods) {
        add(
          "invalid-alarm",
          [...at, "alarm", "datapointsToAlarm"],
          `datapointsToAlarm (${alarm.datapointsToAlarm}) must not exceed evaluationPeriods (${alarm.evaluationPeriods})`,
        );
      }
      const total = alarm.periodSeconds * alarm.evaluationPeriods;
      const limit = evaluationLimit(alarm.periodSeconds);
      if (total > limit) {
        add(
          "invalid-alarm",
          [...at, "alarm", "evaluationPeriods"],
          `periodSeconds × evaluationPeriods is ${total} s: CloudWatch evaluates at most ${limit / 86_400} day${limit > 86_400 ? "s" : ""} (${limit} s)${alarm.periodSeconds < 3600 ? " for a period under an hour" : ""}`,
        );
      }
    }
    for (const [name, action] of Object.entries(scaling.scheduled)) {
      const at = [...base, "scheduled", name];
      const schedule = scheduleProblem(action.schedule);
      if (schedule) add("invalid-schedule", [...at, "schedule"], schedule);
      const zone = action.timezone === undefined ? undefined : timeZoneProblem(action.timezone);
      if (zone) add("invalid-time-zone", [...at, "timezone"], zone);
      // PutScheduledAction StartTime and EndTime bound the schedule: the end comes after the start.
      if (action.startTime !== undefined && action.endTime !== undefined && Date.parse(action.endTime) <= Date.parse(action.startTime)) {
        add("invalid-value", [...at, "endTime"], `endTime (${action.endTime}) must be after startTime (${action.startTime})`);
      }
    }
  }
}
