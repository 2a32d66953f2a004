import { z } from "zod";
import { logicalName } from "./common.js";

const cooldown = z.number().int().min(0).max(86400);

const customMetric = z.strictObject({
  namespace: z.string().min(1),
  metricName: z.string().min(1),
  dimensions: z.record(z.string(), z.string()).default({}),
  statistic: z.enum(["Average", "Minimum", "Maximum", "SampleCount", "Sum"]).default("Average"),
  unit: z.string().optional(),
});

/** What a target-tracking policy holds steady. */
const trackedMetric = z.union([
  z.literal("cpu").describe("ECSServiceAverageCPUUtilization"),
  z.literal("memory").describe("ECSServiceAverageMemoryUtilization"),
  z.strictObject({ albRequestsPerTarget: z.strictObject({ targetGroup: logicalName }) }).describe("ALBRequestCountPerTarget"),
  z.strictObject({ custom: customMetric }),
]);

export const targetTrackingPolicy = z.strictObject({
  metric: trackedMetric,
  targetValue: z.number().positive(),
  scaleInCooldownSeconds: cooldown.optional(),
  scaleOutCooldownSeconds: cooldown.optional(),
  disableScaleIn: z.boolean().optional(),
});

const step = z.strictObject({
  lowerBound: z.number().optional().describe("Relative to the alarm threshold; absent = minus infinity"),
  upperBound: z.number().optional().describe("Relative to the alarm threshold; absent = plus infinity"),
  adjustment: z.number().int(),
});

export const stepScalingPolicy = z
  .strictObject({
    adjustmentType: z.enum(["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"]).default("ChangeInCapacity"),
    cooldownSeconds: cooldown.optional(),
    metricAggregationType: z.enum(["Average", "Minimum", "Maximum"]).optional(),
    minAdjustmentMagnitude: z.number().int().positive().optional(),
    steps: z.array(step).min(1),
    alarm: z
      .strictObject({
        metric: z
          .union([z.literal("cpu"), z.literal("memory"), z.strictObject({ custom: customMetric })])
          .describe("`cpu`/`memory`: the service's own utilisation in AWS/ECS"),
        statistic: z.enum(["Average", "Minimum", "Maximum", "SampleCount", "Sum"]).default("Average"),
        comparison: z.enum(["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"]),
        threshold: z.number(),
        periodSeconds: z
          .number()
          .int()
          .refine((p) => [10, 20, 30].includes(p) || (p >= 60 && p % 60 === 0), "a period is 10, 20, 30 or a multiple of 60 seconds")
          .default(60),
        evaluationPeriods: z.number().int().min(1).default(1),
        datapointsToAlarm: z.number().int().min(1).optional(),
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
    schedule,
    timezone: z
      .string()
      .regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, "expected an IANA time zone such as America/Sao_Paulo")
      .optional(),
    minCapacity: z.number().int().min(0).optional(),
    maxCapacity: z.number().int().min(0).optional(),
    startTime: z.iso.datetime({ offset: true }).optional(),
    endTime: z.iso.datetime({ offset: true }).optional(),
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
    minCapacity: z.number().int().min(0),
    maxCapacity: z.number().int().min(0),
    targetTracking: z.record(logicalName, targetTrackingPolicy).default({}),
    stepScaling: z.record(logicalName, stepScalingPolicy).default({}),
    scheduled: z.record(logicalName, scheduledAction).default({}),
    suspend: z
      .strictObject({
        dynamicScalingIn: z.boolean().default(false),
        dynamicScalingOut: z.boolean().default(false),
        scheduledScaling: z.boolean().default(false),
      })
      .optional()
      .describe("Pause scaling (during a deployment or an incident); absent: left as it is, and nothing is suspended on a new target"),
  })
  .refine((a) => a.minCapacity <= a.maxCapacity, { message: "minCapacity must not exceed maxCapacity", path: ["minCapacity"] })
  .describe("Application Auto Scaling of the service's desired count");

export type AutoScalingSpec = z.infer<typeof autoScaling>;
