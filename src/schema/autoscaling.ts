import { z } from "zod";
import { logicalName } from "./common.js";

const cooldown = z.number().int().min(0).max(86400);

const customMetric = z.strictObject({
  namespace: z.string().min(1).describe("The CloudWatch namespace, such as MyApp"),
  metricName: z.string().min(1).describe("The metric's name, such as QueueDepth"),
  dimensions: z.record(z.string(), z.string()).default({}).describe("The metric's dimensions (name: value); default none"),
  statistic: z
    .enum(["Average", "Minimum", "Maximum", "SampleCount", "Sum"])
    .default("Average")
    .describe("The statistic compared; default Average"),
  unit: z.string().optional().describe("The metric's CloudWatch unit, such as Count or Percent"),
});

/** What a target-tracking policy holds steady. */
const trackedMetric = z.union([
  z.literal("cpu").describe("ECSServiceAverageCPUUtilization"),
  z.literal("memory").describe("ECSServiceAverageMemoryUtilization"),
  z
    .strictObject({
      albRequestsPerTarget: z
        .strictObject({ targetGroup: logicalName.describe("A target group of this spec (logical name) the service is attached to") })
        .describe("Requests per target of a target group (ALBRequestCountPerTarget)"),
    })
    .describe("ALBRequestCountPerTarget"),
  z.strictObject({ custom: customMetric.describe("A CloudWatch metric of your own") }),
]);

export const targetTrackingPolicy = z.strictObject({
  metric: trackedMetric.describe(
    "What is held at targetValue: `cpu` or `memory` (percent), `{ albRequestsPerTarget: … }` or `{ custom: … }`",
  ),
  targetValue: z.number().positive().describe("The value to hold the metric at, in its unit (60 means 60 % for cpu)"),
  scaleInCooldownSeconds: cooldown.optional().describe("Seconds after a scale-in before another (0-86400); default AWS's 300"),
  scaleOutCooldownSeconds: cooldown.optional().describe("Seconds after a scale-out before another (0-86400); default AWS's 300"),
  disableScaleIn: z.boolean().optional().describe("Only ever add tasks: the policy never removes any; default false"),
});

const step = z.strictObject({
  lowerBound: z.number().optional().describe("Relative to the alarm threshold; absent = minus infinity"),
  upperBound: z.number().optional().describe("Relative to the alarm threshold; absent = plus infinity"),
  adjustment: z.number().int().describe("Tasks to add (negative: remove), or the count or percent, as adjustmentType says"),
});

export const stepScalingPolicy = z
  .strictObject({
    adjustmentType: z
      .enum(["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"])
      .default("ChangeInCapacity")
      .describe(
        "How a step's adjustment reads: tasks to add, the exact count, or a percent of the current count; default ChangeInCapacity",
      ),
    cooldownSeconds: cooldown.optional().describe("Seconds after a scaling activity before the next (0-86400); default AWS's 300"),
    metricAggregationType: z
      .enum(["Average", "Minimum", "Maximum"])
      .optional()
      .describe("How the metric's data points are aggregated; default AWS's Average"),
    minAdjustmentMagnitude: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("PercentChangeInCapacity only: change at least this many tasks"),
    steps: z.array(step).min(1).describe("Adjustments by how far the metric is past the alarm's threshold"),
    alarm: z
      .strictObject({
        metric: z
          .union([
            z.literal("cpu"),
            z.literal("memory"),
            z.strictObject({ custom: customMetric.describe("A CloudWatch metric of your own") }),
          ])
          .describe("`cpu`/`memory`: the service's own utilisation in AWS/ECS"),
        statistic: z
          .enum(["Average", "Minimum", "Maximum", "SampleCount", "Sum"])
          .default("Average")
          .describe("The statistic compared with the threshold; default Average"),
        comparison: z
          .enum(["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"])
          .describe("How the statistic is compared with the threshold"),
        threshold: z.number().describe("The alarm's threshold, in the metric's unit (percent for cpu and memory)"),
        periodSeconds: z
          .number()
          .int()
          .refine((p) => [10, 20, 30].includes(p) || (p >= 60 && p % 60 === 0), "a period is 10, 20, 30 or a multiple of 60 seconds")
          .default(60)
          .describe("Seconds per data point: 10, 20, 30 or a multiple of 60; default 60"),
        evaluationPeriods: z.number().int().min(1).default(1).describe("Periods looked at; default 1"),
        datapointsToAlarm: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe("Of those periods, how many must breach to alarm; default all of them (evaluationPeriods)"),
      })
      .describe("The CloudWatch alarm that drives this policy; created and owned with it"),
  })
  .superRefine((p, ctx) => {
    p.steps.forEach((s, i) => {
      if (s.lowerBound !== undefined && s.upperBound !== undefined && s.lowerBound >= s.upperBound) {
        ctx.addIssue({ code: "custom", path: ["steps", i, "upperBound"], message: "upperBound must be greater than lowerBound" });
      }
    });
    const open = p.steps.filter((s) => s.upperBound === undefined).length;
    if (open > 1) ctx.addIssue({ code: "custom", path: ["steps"], message: "only one step may leave upperBound open" });
  });

/** `cron(...)`, `rate(...)` or `at(...)`, as Application Auto Scaling writes schedules. */
const schedule = z
  .string()
  .regex(
    /^(cron\(\S+( \S+){5}\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\))$/,
    "expected cron(m h dom mon dow yr), rate(N unit) or at(yyyy-mm-ddThh:mm:ss)",
  );

export const scheduledAction = z
  .strictObject({
    schedule: schedule.describe(
      "When: `cron(0 8 ? * MON-FRI *)` (minutes hours day-of-month month day-of-week year), `rate(6 hours)` or `at(2026-12-24T18:00:00)`",
    ),
    timezone: z
      .string()
      .regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, "expected an IANA time zone such as America/Sao_Paulo")
      .optional()
      .describe("The IANA time zone cron and at are read in, such as America/Sao_Paulo; default UTC"),
    minCapacity: z.number().int().min(0).optional().describe("The service's new minimum task count; absent: unchanged"),
    maxCapacity: z.number().int().min(0).optional().describe("The service's new maximum task count; absent: unchanged"),
    startTime: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("Not before this moment (ISO 8601 with offset, such as 2026-01-01T00:00:00Z)"),
    endTime: z.iso.datetime({ offset: true }).optional().describe("Not after this moment (ISO 8601 with offset)"),
  })
  .refine((a) => a.minCapacity !== undefined || a.maxCapacity !== undefined, {
    message: "a scheduled action sets minCapacity, maxCapacity or both",
  })
  .refine((a) => a.minCapacity === undefined || a.maxCapacity === undefined || a.minCapacity <= a.maxCapacity, {
    message: "minCapacity must not exceed maxCapacity",
    path: ["minCapacity"],
  });

export const autoScaling = z
  .strictObject({
    minCapacity: z.number().int().min(0).describe("Fewest tasks the scaler leaves running"),
    maxCapacity: z.number().int().min(0).describe("Most tasks the scaler starts"),
    targetTracking: z
      .record(logicalName, targetTrackingPolicy)
      .default({})
      .describe("Target-tracking policies by logical name: each holds a metric near a value; default none"),
    stepScaling: z
      .record(logicalName, stepScalingPolicy)
      .default({})
      .describe("Step-scaling policies by logical name: each adds or removes tasks when its CloudWatch alarm fires; default none"),
    scheduled: z
      .record(logicalName, scheduledAction)
      .default({})
      .describe("Scheduled actions by logical name: each sets minCapacity/maxCapacity at set times; default none"),
    suspend: z
      .strictObject({
        dynamicScalingIn: z.boolean().default(false).describe("Policies no longer remove tasks; default false"),
        dynamicScalingOut: z.boolean().default(false).describe("Policies no longer add tasks; default false"),
        scheduledScaling: z.boolean().default(false).describe("Scheduled actions no longer run; default false"),
      })
      .optional()
      .describe("Pause scaling (during a deployment or an incident); absent: left as it is, and nothing is suspended on a new target"),
  })
  .refine((a) => a.minCapacity <= a.maxCapacity, { message: "minCapacity must not exceed maxCapacity", path: ["minCapacity"] })
  .describe("Application Auto Scaling of the service's desired count");

export type AutoScalingSpec = z.infer<typeof autoScaling>;
