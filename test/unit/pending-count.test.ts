import type { Deployment, Service } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { stabilityOf } from "../../src/reconcilers/ecs/stability.js";

/**
 * AWS's pendingCount is never below 0. moto computes it as desiredCount - MOTO_ECS_SERVICE_RUNNING, so a one-task
 * service on a moto reporting 2 running says -1 (moto/ecs/models.py, `self.pending_count = desired_count - ecs_running_count`):
 * the wait's line shows AWS's count only when there is something pending.
 */
const deployment = (
  counts: Pick<Deployment, "desiredCount" | "runningCount" | "pendingCount">,
  more: Partial<Deployment> = {},
): Deployment => ({
  id: "ecs-svc/1111111111111111111",
  status: "PRIMARY",
  rolloutState: "COMPLETED",
  taskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1",
  ...counts,
  ...more,
});

const service = (counts: Pick<Service, "desiredCount" | "runningCount" | "pendingCount">, deployments: Deployment[]): Service => ({
  status: "ACTIVE",
  serviceName: "web",
  ...counts,
  deployments,
});

describe("the wait's line shows AWS's pendingCount, never a negative one", () => {
  it.each<{ why: string; service: Service; summary: string }>([
    {
      why: "moto's answer for a one-task service while it reports 2 running: pendingCount -1",
      service: service({ desiredCount: 1, runningCount: 2, pendingCount: -1 }, [
        deployment({ desiredCount: 1, runningCount: 2, pendingCount: -1 }),
      ]),
      summary: "deployment COMPLETED, 2/1 running",
    },
    {
      why: "AWS's answer with a task starting: its pendingCount as AWS gives it",
      service: service({ desiredCount: 3, runningCount: 1, pendingCount: 1 }, [
        deployment({ desiredCount: 3, runningCount: 1, pendingCount: 1 }),
      ]),
      summary: "deployment COMPLETED, 1/3 running, 1 pending",
    },
    {
      why: "during a rollout, the new deployment's own pendingCount (AWS's 2), not desired - running (1)",
      service: service({ desiredCount: 3, runningCount: 4, pendingCount: 2 }, [
        deployment({ desiredCount: 3, runningCount: 2, pendingCount: 2 }, { rolloutState: "IN_PROGRESS" }),
        deployment({ desiredCount: 0, runningCount: 2, pendingCount: 0 }, { id: "ecs-svc/0000000000000000000", status: "ACTIVE" }),
      ]),
      summary: "deployment IN_PROGRESS, 2/3 running, 2 pending, 1 older deployment with 2 running",
    },
    {
      why: "moto's negative count during a rollout is left out too",
      service: service({ desiredCount: 1, runningCount: 4, pendingCount: -1 }, [
        deployment({ desiredCount: 1, runningCount: 2, pendingCount: -1 }, { rolloutState: "IN_PROGRESS" }),
        deployment({ desiredCount: 0, runningCount: 2, pendingCount: -2 }, { id: "ecs-svc/0000000000000000000", status: "ACTIVE" }),
      ]),
      summary: "deployment IN_PROGRESS, 2/1 running, 1 older deployment with 2 running",
    },
  ])("$why", ({ service: answer, summary }) => {
    expect(stabilityOf(answer)).toEqual({ state: "waiting", summary });
  });
});
