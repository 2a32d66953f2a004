/** What `reconcile status` shows of ECS services: counts, deployments and the newest events, from DescribeServices. */
import type { Deployment, Service } from "@aws-sdk/client-ecs";
import { groupBy } from "../../collections.js";
import { SERVICE_EVENTS, type DeploymentStatus, type ResourceStatus, type ServiceStatus } from "../../../plan/status.js";
import type { ObservedService } from "./model.js";

/** The live services of these names in one cluster, by name (the service's describeLiveServices). */
export type DescribeServices = (cluster: string, names: readonly string[]) => Promise<ReadonlyMap<string, Service>>;

/** One DescribeServices per cluster (per 10 services), the clusters side by side; a service gone since the plan is left out. */
export async function serviceStatuses(
  observed: readonly ObservedService[],
  describe: DescribeServices,
): Promise<Map<string, ResourceStatus>> {
  const statuses = new Map<string, ResourceStatus>();
  await Promise.all(
    [...groupBy(observed, (s) => s.cluster)].map(async ([cluster, services]) => {
      const live = await describe(
        cluster,
        services.map((s) => s.name),
      );
      for (const { id, name } of services) {
        const service = live.get(name);
        if (service) statuses.set(id, serviceStatusOf(service, cluster));
      }
    }),
  );
  return statuses;
}

/** moto reports desired minus running as pending, below zero when more run than desired; AWS's count never is. */
const notNegative = (count: number | undefined) => Math.max(0, count ?? 0);

export function serviceStatusOf(service: Service, cluster: string): ServiceStatus {
  return {
    kind: "service",
    cluster,
    status: service.status ?? "",
    desired: service.desiredCount ?? 0,
    running: service.runningCount ?? 0,
    pending: notNegative(service.pendingCount),
    deployments: (service.deployments ?? []).map(deploymentStatusOf),
    // ECS lists the newest event first.
    events: (service.events ?? []).slice(0, SERVICE_EVENTS).map((e) => ({
      ...(e.createdAt && { at: e.createdAt.toISOString() }),
      message: e.message ?? "",
    })),
  };
}

function deploymentStatusOf(d: Deployment): DeploymentStatus {
  return {
    id: d.id ?? "",
    status: d.status ?? "",
    ...(d.rolloutState !== undefined && { rolloutState: d.rolloutState }),
    ...(d.rolloutStateReason !== undefined && { rolloutStateReason: d.rolloutStateReason }),
    taskDefinition: familyRevision(d.taskDefinition ?? ""),
    desired: d.desiredCount ?? 0,
    running: d.runningCount ?? 0,
    pending: notNegative(d.pendingCount),
    failed: d.failedTasks ?? 0,
    ...(d.updatedAt && { updatedAt: d.updatedAt.toISOString() }),
  };
}

/** `arn:aws:ecs:…:task-definition/web:7` → `web:7`. */
const familyRevision = (arn: string): string => arn.slice(arn.lastIndexOf("/") + 1);
