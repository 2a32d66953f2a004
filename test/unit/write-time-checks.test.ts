import { describe, expect, it } from "vitest";
import { formatPath } from "../../src/schema/index.js";
import { scheduleProblem, timeZoneProblem } from "../../src/schema/schedule-expression.js";
import { stepIntervalProblems, type StepBounds } from "../../src/schema/step-intervals.js";
import { validateOverlay } from "../support/specs.js";

/** A step scaling policy `out` on service `web`: its steps on line 8, its alarm on line 9, `policy` on line 10. */
const stepPolicy = (steps: string, k: { alarm?: string; policy?: string } = {}) =>
  `services:\n  web:\n    autoScaling:\n      minCapacity: 1\n      maxCapacity: 4\n      stepScaling:\n        out:\n          steps: ${steps}\n          alarm: { metric: cpu, comparison: GreaterThanThreshold, threshold: 70${k.alarm ?? ""} }\n${k.policy ? `          ${k.policy}\n` : ""}`;
/** A scheduled action `night` of service `web`, on line 7. */
const scheduled = (action: string) =>
  `services:\n  web:\n    autoScaling:\n      minCapacity: 1\n      maxCapacity: 4\n      scheduled:\n        night: ${action}\n`;
/** Target group `web` (HTTP, ip) with this health check, on line 3. */
const healthCheck = (check: string, group = "") => `targetGroups:\n  web:\n    healthCheck: ${check}\n${group}`;
/** Rule `api` of listener `http`, its conditions on line 6. */
const rule = (conditions: string) =>
  `loadBalancers:\n  web:\n    listeners:\n      http:\n        rules:\n          api: { priority: 10, conditions: ${conditions}, action: { forward: web } }\n`;
const manyContainers = `taskDefinitions:\n  web:\n    containers:\n${Array.from({ length: 10 }, (_, i) => `      side${i}: { image: busybox }\n`).join("")}`;

interface Row {
  /** The API and parameter the rule comes from, as the AWS API reference names them. */
  api: string;
  why: string;
  overlay: string;
  path: string;
  line: number;
  code: string;
  message: RegExp;
}

const AS = "Application Auto Scaling PutScalingPolicy StepScalingPolicyConfiguration";
const SCHEDULE = "Application Auto Scaling PutScheduledAction";
const CW = "CloudWatch PutMetricAlarm";
const TG = "ELBv2 CreateTargetGroup";
const RULE = "ELBv2 CreateRule Conditions (ALB guide: condition basics)";
const EC2 = "EC2 CreateSecurityGroup";
const ECS = "ECS CapacityProviderStrategyItem";
const S = "services.web.autoScaling.stepScaling.out";

// One row a rule, kept on one line each so the table reads as a table.
// prettier-ignore
const rows: Row[] = [
  // Step scaling.
  { api: `${AS}.StepAdjustments: ranges can't overlap`, why: "overlapping steps", overlay: stepPolicy("[{ lowerBound: 0, upperBound: 20, adjustment: 1 }, { lowerBound: 10, adjustment: 2 }]"), path: `${S}.steps[1]`, line: 8, code: "invalid-step-intervals", message: /step 1 \[10, \+infinity\) overlaps step 0 \[0, 20\)/ },
  { api: `${AS}.StepAdjustments: ranges can't have a gap`, why: "a gap between steps", overlay: stepPolicy("[{ lowerBound: 0, upperBound: 10, adjustment: 1 }, { lowerBound: 20, adjustment: 2 }]"), path: `${S}.steps[1]`, line: 8, code: "invalid-step-intervals", message: /leaves a gap after step 0/ },
  { api: `${AS}.StepAdjustments: at most one null lower bound`, why: "two steps open below", overlay: stepPolicy("[{ upperBound: -5, adjustment: -2 }, { upperBound: 0, adjustment: -1 }, { lowerBound: 0, adjustment: 1 }]"), path: `${S}.steps[1]`, line: 8, code: "invalid-step-intervals", message: /only one step may leave lowerBound open \(steps 0, 1 do\)/ },
  { api: `${AS}.StepAdjustments: upper and lower bound can't both be null`, why: "a step open at both ends", overlay: stepPolicy("[{ adjustment: 1 }]"), path: `${S}.steps[0]`, line: 8, code: "invalid-step-intervals", message: /open at both ends/ },
  { api: `${AS}.StepAdjustments: a negative lower bound needs a null lower bound`, why: "negative lower bound, nothing open below", overlay: stepPolicy("[{ lowerBound: -10, adjustment: 1 }]"), path: `${S}.steps[0]`, line: 8, code: "invalid-step-intervals", message: /negative lowerBound \(-10\) needs a step that leaves lowerBound open/ },
  { api: `${AS}.StepAdjustments: a positive upper bound needs a null upper bound`, why: "positive upper bound, nothing open above", overlay: stepPolicy("[{ lowerBound: 0, upperBound: 10, adjustment: 1 }]"), path: `${S}.steps[0]`, line: 8, code: "invalid-step-intervals", message: /positive upperBound \(10\) needs a step that leaves upperBound open/ },
  { api: `${AS} StepAdjustment.ScalingAdjustment: non-negative for ExactCapacity`, why: "a negative exact capacity", overlay: stepPolicy("[{ lowerBound: 0, adjustment: -1 }]", { policy: "adjustmentType: ExactCapacity" }), path: `${S}.steps[0].adjustment`, line: 8, code: "invalid-value", message: /ExactCapacity .* 0 or more/ },
  { api: `${AS}.MinAdjustmentMagnitude: only with PercentChangeInCapacity`, why: "minimum magnitude on a change in capacity", overlay: stepPolicy("[{ lowerBound: 0, adjustment: 1 }]", { policy: "minAdjustmentMagnitude: 2" }), path: `${S}.minAdjustmentMagnitude`, line: 10, code: "invalid-value", message: /only to adjustmentType PercentChangeInCapacity/ },
  // The step policy's alarm.
  { api: `${CW} DatapointsToAlarm ≤ EvaluationPeriods`, why: "more datapoints than periods", overlay: stepPolicy("[{ lowerBound: 0, adjustment: 1 }]", { alarm: ", evaluationPeriods: 2, datapointsToAlarm: 3" }), path: `${S}.alarm.datapointsToAlarm`, line: 9, code: "invalid-alarm", message: /datapointsToAlarm \(3\) must not exceed evaluationPeriods \(2\)/ },
  { api: `${CW} Period × EvaluationPeriods ≤ 86,400 for a period under an hour`, why: "over a day of one-minute periods", overlay: stepPolicy("[{ lowerBound: 0, adjustment: 1 }]", { alarm: ", evaluationPeriods: 1441" }), path: `${S}.alarm.evaluationPeriods`, line: 9, code: "invalid-alarm", message: /86460 s: .* at most 1 day \(86400 s\) for a period under an hour/ },
  { api: `${CW} Period × EvaluationPeriods ≤ 604,800`, why: "over a week of hourly periods", overlay: stepPolicy("[{ lowerBound: 0, adjustment: 1 }]", { alarm: ", periodSeconds: 3600, evaluationPeriods: 169" }), path: `${S}.alarm.evaluationPeriods`, line: 9, code: "invalid-alarm", message: /608400 s: .* at most 7 days/ },
  // Scheduled actions.
  { api: `${SCHEDULE} Timezone: an IANA time zone`, why: "a time zone that does not exist", overlay: scheduled("{ schedule: 'cron(0 22 * * ? *)', timezone: Mars/Olympus, minCapacity: 1 }"), path: "services.web.autoScaling.scheduled.night.timezone", line: 7, code: "invalid-time-zone", message: /`Mars\/Olympus` is not an IANA time zone/ },
  { api: `${SCHEDULE} Timezone: the canonical name as written`, why: "a time zone in the wrong case", overlay: scheduled("{ schedule: 'cron(0 22 * * ? *)', timezone: america/sao_paulo, minCapacity: 1 }"), path: "services.web.autoScaling.scheduled.night.timezone", line: 7, code: "invalid-time-zone", message: /spelt `America\/Sao_Paulo`/ },
  { api: `${SCHEDULE} Schedule: cron day-of-week 1-7 or SUN-SAT`, why: "day of week 8", overlay: scheduled("{ schedule: 'cron(0 8 ? * 8 *)', minCapacity: 1 }"), path: "services.web.autoScaling.scheduled.night.schedule", line: 7, code: "invalid-schedule", message: /day-of-week `8` is outside 1-7/ },
  { api: `${SCHEDULE} Schedule: cron minutes 0-59`, why: "minute 60", overlay: scheduled("{ schedule: 'cron(60 22 * * ? *)', minCapacity: 1 }"), path: "services.web.autoScaling.scheduled.night.schedule", line: 7, code: "invalid-schedule", message: /minutes `60` is outside 0-59/ },
  { api: `${SCHEDULE} Schedule: cron month 1-12 or JAN-DEC`, why: "a month name that is not one", overlay: scheduled("{ schedule: 'cron(0 8 ? JANUARY MON *)', minCapacity: 1 }"), path: "services.web.autoScaling.scheduled.night.schedule", line: 7, code: "invalid-schedule", message: /month `JANUARY` is not a number or one of JAN/ },
  { api: `${SCHEDULE} Schedule: cron day-of-month or day-of-week is ?`, why: "both days set", overlay: scheduled("{ schedule: 'cron(0 8 * * MON-FRI *)', minCapacity: 1 }"), path: "services.web.autoScaling.scheduled.night.schedule", line: 7, code: "invalid-schedule", message: /day-of-month and day-of-week cannot both be set/ },
  { api: `${SCHEDULE} Schedule: rate value is a positive integer`, why: "a rate of zero", overlay: scheduled("{ schedule: 'rate(0 minutes)', minCapacity: 1 }"), path: "services.web.autoScaling.scheduled.night.schedule", line: 7, code: "invalid-schedule", message: /positive integer/ },
  { api: `${SCHEDULE} Schedule: at(yyyy-mm-ddThh:mm:ss) is a date`, why: "the 30th of February", overlay: scheduled("{ schedule: 'at(2030-02-30T10:00:00)', minCapacity: 1 }"), path: "services.web.autoScaling.scheduled.night.schedule", line: 7, code: "invalid-schedule", message: /no such date/ },
  { api: `${SCHEDULE} EndTime after StartTime`, why: "an end before the start", overlay: scheduled("{ schedule: 'rate(1 day)', minCapacity: 1, startTime: '2030-06-01T00:00:00Z', endTime: '2030-05-01T00:00:00Z' }"), path: "services.web.autoScaling.scheduled.night.endTime", line: 7, code: "invalid-value", message: /endTime .* must be after startTime/ },
  // Target group health checks.
  { api: `${TG} HealthCheckTimeoutSeconds < HealthCheckIntervalSeconds`, why: "timeout equal to the interval", overlay: healthCheck("{ timeoutSeconds: 10, intervalSeconds: 10 }"), path: "targetGroups.web.healthCheck.timeoutSeconds", line: 3, code: "invalid-health-check", message: /timeout \(10 s\) must be shorter than its interval \(10 s\)/ },
  { api: `${TG} HealthCheckTimeoutSeconds < default HealthCheckIntervalSeconds (30)`, why: "timeout above the default interval", overlay: healthCheck("{ timeoutSeconds: 40 }"), path: "targetGroups.web.healthCheck.timeoutSeconds", line: 3, code: "invalid-health-check", message: /interval \(30 \(AWS's default\) s\)/ },
  { api: `${TG} HealthCheckIntervalSeconds > default HealthCheckTimeoutSeconds (6 for HTTP)`, why: "interval below the default timeout", overlay: healthCheck("{ intervalSeconds: 5 }"), path: "targetGroups.web.healthCheck.intervalSeconds", line: 3, code: "invalid-health-check", message: /timeout \(6 \(AWS's default\) s\)/ },
  { api: `${TG} HealthCheckProtocol: no TCP for an HTTP or HTTPS group`, why: "TCP health check of an HTTP group", overlay: healthCheck("{ protocol: TCP }"), path: "targetGroups.web.healthCheck.protocol", line: 3, code: "invalid-health-check", message: /HTTP target group cannot be health checked over TCP/ },
  // Listener rule conditions.
  { api: `${RULE}: 3 values per condition`, why: "four path patterns in one condition", overlay: rule("{ pathPatterns: [/a, /b, /c, /d] }"), path: "loadBalancers.web.listeners.http.rules.api.conditions.pathPatterns", line: 6, code: "too-many-condition-values", message: /4 values: a rule condition takes at most 3/ },
  { api: `${RULE}: 5 values per rule`, why: "six values across conditions", overlay: rule("{ pathPatterns: [/a, /b, /c], hostHeaders: [a.example.com, b.example.com, c.example.com] }"), path: "loadBalancers.web.listeners.http.rules.api.conditions", line: 6, code: "too-many-condition-values", message: /6 condition values in all: a rule takes at most 5/ },
  { api: `${RULE}: 5 wildcards per rule`, why: "six wildcards", overlay: rule("{ pathPatterns: ['/a*b*c*', '/d*e*f*'] }"), path: "loadBalancers.web.listeners.http.rules.api.conditions", line: 6, code: "too-many-condition-values", message: /6 wildcards/ },
  { api: "ELBv2 HostHeaderConditionConfig Values: A-Z a-z 0-9 - . * ?", why: "an underscore in a host", overlay: rule("{ hostHeaders: [api_v1.example.com] }"), path: "loadBalancers.web.listeners.http.rules.api.conditions.hostHeaders[0]", line: 6, code: "invalid-value", message: /host `api_v1.example.com`/ },
  { api: "ELBv2 PathPatternConditionConfig Values: the allowed characters", why: "a space in a path", overlay: rule("{ pathPatterns: ['/my files/*'] }"), path: "loadBalancers.web.listeners.http.rules.api.conditions.pathPatterns[0]", line: 6, code: "invalid-value", message: /path `\/my files\/\*`/ },
  // Tags (every service's TagResource: Tag.Key and Tag.Value ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$).
  { api: "ELBv2 AddTags / ECS TagResource / IAM TagRole Tag.Key pattern", why: "a tag key with !", overlay: "tags:\n  team!: web\n", path: `tags["team!"]`, line: 2, code: "invalid-tag", message: /tag key `team!` holds a character AWS refuses/ },
  { api: "ELBv2 AddTags / ECS TagResource / IAM TagRole Tag.Value pattern", why: "a tag value with a comma", overlay: "logGroups:\n  app:\n    tags: { owners: 'ana,bo' }\n", path: "logGroups.app.tags.owners", line: 3, code: "invalid-tag", message: /the value of tag `owners`/ },
  // Names and descriptions.
  { api: `${EC2} GroupName: a-z A-Z 0-9 spaces ._-:/()#,@[]+=&;{}!$*`, why: "a | in a group name", overlay: "securityGroups:\n  alb: { name: 'web|alb' }\n", path: "securityGroups.alb.name", line: 2, code: "invalid-name", message: /security group name in a VPC holds only/ },
  { api: `${EC2} GroupDescription: the same characters`, why: "an apostrophe in a group description", overlay: "securityGroups:\n  alb: { description: \"the ALB's group\" }\n", path: "securityGroups.alb.description", line: 2, code: "invalid-description", message: /security group description holds only/ },
  { api: "EC2 AuthorizeSecurityGroupIngress IpRange.Description: the same characters", why: "an arrow in a rule description", overlay: "securityGroups:\n  alb:\n    ingress: [{ port: 80, cidr: 0.0.0.0/0, description: 'internet -> alb' }]\n", path: "securityGroups.alb.ingress[0].description", line: 3, code: "invalid-description", message: /rule description holds only/ },
  { api: "IAM CreateRole Path: 1-512 characters", why: "a role path over 512 characters", overlay: `roles:\n  exec:\n    path: /${"p/".repeat(256)}\n`, path: "roles.exec.path", line: 3, code: "invalid-value", message: /at most 512 characters \(this one has 513\)/ },
  { api: "IAM CreateRole Description: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*", why: "an arrow character in a role description", overlay: "roles:\n  exec:\n    description: tasks → logs\n", path: "roles.exec.description", line: 3, code: "invalid-description", message: /printable Latin-1/ },
  { api: "CloudWatch Logs CreateLogGroup logGroupName: not starting with aws/", why: "a log group in AWS's prefix", overlay: "logGroups:\n  app: { name: aws/app }\n", path: "logGroups.app.name", line: 2, code: "invalid-name", message: /cannot start with `aws\/`/ },
  { api: "ELBv2 CreateLoadBalancer Name: must not begin with internal-", why: "a default load balancer name starting internal-", overlay: "stack: internal\n", path: "loadBalancers.web", line: 20, code: "invalid-name", message: /default name `internal-web` starts with `internal-`/ },
  // ECS.
  { api: "ECS RegisterTaskDefinition containerDefinitions: at most 10 containers", why: "eleven containers", overlay: manyContainers, path: "taskDefinitions.web.containers", line: 3, code: "too-many-containers", message: /11 containers: a task definition holds at most 10/ },
  { api: `${ECS}.base: only one provider of a strategy has a base`, why: "two bases", overlay: "services:\n  web:\n    capacityProviderStrategy: [{ capacityProvider: FARGATE, base: 1 }, { capacityProvider: FARGATE_SPOT, base: 1 }]\n", path: "services.web.capacityProviderStrategy", line: 3, code: "invalid-value", message: /only one capacity provider of a strategy may have a base/ },
  { api: `${ECS}.weight: at least one weight above 0`, why: "every weight 0", overlay: "services:\n  web:\n    capacityProviderStrategy: [{ capacityProvider: FARGATE, weight: 0 }]\n", path: "services.web.capacityProviderStrategy", line: 3, code: "invalid-value", message: /needs a weight above 0/ },
  { api: "ECS CreateService capacityProviderStrategy: the cluster's capacity providers", why: "a provider the cluster lacks", overlay: "clusters:\n  main: { capacityProviders: [FARGATE] }\nservices:\n  web:\n    capacityProviderStrategy: [{ capacityProvider: FARGATE_SPOT }]\n", path: "services.web.capacityProviderStrategy[0].capacityProvider", line: 5, code: "invalid-reference", message: /`FARGATE_SPOT` is not among the cluster's capacityProviders \(FARGATE\)/ },
  { api: "ECS PutClusterCapacityProviders defaultCapacityProviderStrategy: among capacityProviders", why: "a default strategy outside the cluster's providers", overlay: "clusters:\n  main:\n    capacityProviders: [FARGATE]\n    defaultCapacityProviderStrategy: [{ capacityProvider: FARGATE_SPOT }]\n", path: "clusters.main.defaultCapacityProviderStrategy[0].capacityProvider", line: 4, code: "invalid-reference", message: /`FARGATE_SPOT` is not among/ },
];

describe("validate refuses what AWS would refuse at write time", () => {
  it.each(rows)("$why ($api)", async ({ overlay, path, line, code, message }) => {
    const result = await validateOverlay(overlay);
    expect(result.spec).toBeUndefined();
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    const match = errors.find((d) => d.code === code && formatPath(d.path) === path && message.test(d.message));
    expect(
      match,
      `expected ${code} at ${path} matching ${message}; got:\n${errors.map((d) => `${d.code} ${formatPath(d.path)}: ${d.message}`).join("\n")}`,
    ).toBeDefined();
    const inBase = line > overlay.split("\n").length;
    expect(match!.location).toMatchObject({ file: inBase ? "base.yaml" : "case.yaml", line });
  });
});

describe("and accepts what AWS accepts", () => {
  it.each([
    {
      why: "steps meeting end to end, open at both outer ends",
      steps: "[{ upperBound: 0, adjustment: -1 }, { lowerBound: 0, upperBound: 10, adjustment: 1 }, { lowerBound: 10, adjustment: 3 }]",
    },
    { why: "one step from the threshold up", steps: "[{ lowerBound: 0, adjustment: 1 }]" },
    { why: "steps given out of order", steps: "[{ lowerBound: 20, adjustment: 3 }, { lowerBound: 0, upperBound: 20, adjustment: 1 }]" },
  ])("$why", async ({ steps }) => {
    const result = await validateOverlay(stepPolicy(steps));
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("a 20-second alarm period (PutMetricAlarm Period: 10, 20, 30 or a multiple of 60)", async () => {
    const result = await validateOverlay(stepPolicy("[{ lowerBound: 0, adjustment: 1 }]", { alarm: ", periodSeconds: 20" }));
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("a health check within the defaults and rules at the limits", async () => {
    const result = await validateOverlay(
      `${healthCheck("{ timeoutSeconds: 5, intervalSeconds: 15 }")}loadBalancers:\n  web:\n    listeners:\n      http:\n        rules:\n          api: { priority: 10, conditions: { pathPatterns: ['/api/*', '/v1/*', '/v2/*'], hostHeaders: ['*.example.com', api.example.com] }, action: { forward: web } }\n`,
    );
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it.each([
    "cron(0 8 ? * MON-FRI *)",
    "cron(0/15 * * * ? *)",
    "cron(0 18 L * ? *)",
    "cron(0 0 15W * ? 2030-2035)",
    "cron(0 10 ? * 6#3 *)",
    "cron(30 9 ? JAN,JUL 2L *)",
    "cron(0 22 * * ? *)",
    "rate(1 minute)",
    "rate(12 hours)",
    "at(2030-02-28T23:59:59)",
  ])("the schedule %s", (schedule) => expect(scheduleProblem(schedule)).toBeUndefined());

  it.each([
    "UTC",
    "Etc/UTC",
    "Etc/GMT+9",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "Asia/Kolkata",
    "Europe/Kyiv",
    "Pacific/Tahiti",
  ])("the time zone %s", (zone) => expect(timeZoneProblem(zone)).toBeUndefined());
});

describe("step intervals", () => {
  it.each<{ steps: StepBounds[]; problems: number }>([
    { steps: [{ lowerBound: 0 }], problems: 0 },
    { steps: [{ upperBound: 0 }, { lowerBound: 0 }], problems: 0 },
    { steps: [{ lowerBound: 0, upperBound: 5 }, { lowerBound: 5, upperBound: 5.5 }, { lowerBound: 5.5 }], problems: 0 },
    { steps: [{ lowerBound: 0 }, { lowerBound: 0 }], problems: 1 },
    { steps: [{ upperBound: -1 }, { lowerBound: 0 }], problems: 1 },
  ])("$steps: $problems problem(s)", ({ steps, problems }) => expect(stepIntervalProblems(steps)).toHaveLength(problems));
});
