/** ECS calls shared by the kinds of this service. */
import type { Service } from "@aws-sdk/client-ecs";
import { DescribeServicesCommand, TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-ecs";
import { isNotFound } from "../../aws/errors.js";
import { inBatches } from "../collections.js";
import type { TagChange } from "../diff-helpers.js";
import { toEcsTags } from "./model.js";
import type { Context, Tags } from "../contract.js";

/** Writes a change of an ECS resource's tags: TagResource for the keys to set, UntagResource for those to remove. */
export async function writeEcsTags(ctx: Context, arn: string, change: TagChange): Promise<void> {
  if (Object.keys(change.set).length > 0)
    await ctx.clients.ecs.send(new TagResourceCommand({ resourceArn: arn, tags: toEcsTags(change.set) }));
  if (change.remove.length > 0) await ctx.clients.ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: change.remove }));
}

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
