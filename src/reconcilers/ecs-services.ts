/**
 * DescribeServices, shared below the services: the ECS kinds read their services with it, and auto scaling reads
 * the tags of the services it scales (a scaling configuration is the stack's when its service is).
 */
import { DescribeServicesCommand, type Service } from "@aws-sdk/client-ecs";
import { isNotFound } from "../aws/errors.js";
import { inBatches } from "./collections.js";
import type { Context } from "./contract.js";

/** DescribeServices takes at most 10 services a call. */
const DESCRIBE_SERVICES_BATCH = 10;

/**
 * The live services of these names or ARNs in one cluster, with their tags, by name; an INACTIVE (deleted)
 * service is gone, and so is every service of a cluster that does not exist (the only "not found" it answers:
 * a service that does not exist comes back among the failures).
 */
export async function describeLiveServices(ctx: Context, cluster: string, names: readonly string[]): Promise<Map<string, Service>> {
  const found = new Map<string, Service>();
  try {
    const answers = await Promise.all(
      inBatches([...new Set(names)], DESCRIBE_SERVICES_BATCH).map((batch) =>
        ctx.clients.ecs.send(new DescribeServicesCommand({ cluster, services: batch, include: ["TAGS"] })),
      ),
    );
    for (const s of answers.flatMap((a) => a.services ?? [])) if (s.status !== "INACTIVE" && s.serviceName) found.set(s.serviceName, s);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return found;
}
