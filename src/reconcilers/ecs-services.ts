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

/** One DescribeServices of up to 10 services, each requested name or ARN mapped to its live service (none: gone). */
async function describeBatch(ctx: Context, cluster: string, batch: readonly string[]): Promise<Map<string, Service | undefined>> {
  let services: Service[] = [];
  try {
    services =
      (await ctx.clients.ecs.send(new DescribeServicesCommand({ cluster, services: [...batch], include: ["TAGS"] }))).services ?? [];
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const live = services.filter((s) => s.status !== "INACTIVE");
  return new Map(batch.map((key) => [key, live.find((s) => s.serviceName === key || s.serviceArn === key)]));
}

/**
 * The live services of these names or ARNs in one cluster, with their tags, by name; an INACTIVE (deleted)
 * service is gone, and so is every service of a cluster that does not exist (the only "not found" it answers:
 * a service that does not exist comes back among the failures).
 *
 * Within a plan each service is described once, whichever kinds ask (the services kind and auto scaling both
 * observe in the first wave): the names not yet asked for are described in batches of 10 and each answer is kept
 * in the plan's reads, so a second caller waits for the first one's call instead of making its own.
 */
export async function describeLiveServices(ctx: Context, cluster: string, names: readonly string[]): Promise<Map<string, Service>> {
  const wanted = [...new Set(names)];
  const shared = ctx.planReads;
  const key = (name: string) => `ecsService ${cluster} ${name}`;
  const pending = new Map<string, Promise<Service | undefined>>();
  for (const name of wanted) {
    const kept = shared?.get(key(name)) as Promise<Service | undefined> | undefined;
    if (kept) pending.set(name, kept);
  }
  for (const batch of inBatches(
    wanted.filter((name) => !pending.has(name)),
    DESCRIBE_SERVICES_BATCH,
  )) {
    const read = describeBatch(ctx, cluster, batch);
    for (const name of batch) {
      const one = read.then((answers) => answers.get(name));
      pending.set(name, one);
      if (shared) {
        shared.set(key(name), one);
        one.catch(() => shared.delete(key(name)));
      }
    }
  }
  const found = new Map<string, Service>();
  for (const service of await Promise.all(pending.values())) if (service?.serviceName) found.set(service.serviceName, service);
  return found;
}
