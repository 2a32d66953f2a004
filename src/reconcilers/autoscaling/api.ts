/**
 * What Application Auto Scaling's kinds share: the tag writes and reads of the CloudWatch alarms their step policies
 * own, and the tags of the ECS services their scalable targets belong to. Ownership is read from these direct reads,
 * never from the Resource Groups Tagging API alone, which is eventually consistent on AWS (a resource created a
 * moment ago can be missing from it for minutes) and answers nothing on some emulators.
 */
import { ListTagsForResourceCommand, TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-cloudwatch";
import { groupBy } from "../collections.js";
import { describeLiveServices } from "../ecs-services.js";
import { fromEcsTags, fromTagList, toTagList, type TagChange } from "../diff-helpers.js";
import type { Context, Tags } from "../contract.js";

/** A TagChange on a CloudWatch alarm: TagResource for the keys to set, then UntagResource for those to remove. */
export async function writeAlarmTags(ctx: Context, arn: string, change: TagChange): Promise<void> {
  if (Object.keys(change.set).length > 0) {
    await ctx.clients.cloudWatch.send(new TagResourceCommand({ ResourceARN: arn, Tags: toTagList(change.set) }));
  }
  if (change.remove.length > 0) await ctx.clients.cloudWatch.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: change.remove }));
}

/** The tags of each of these alarms (by ARN), one ListTagsForResource each, side by side: CloudWatch has no batch read. */
export async function readAlarmTags(ctx: Context, arns: readonly string[]): Promise<Map<string, Tags>> {
  const read = async (arn: string) => {
    const { Tags } = await ctx.clients.cloudWatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    return [arn, fromTagList(Tags)] as const;
  };
  return new Map(await Promise.all([...new Set(arns)].map(read)));
}

export interface ServiceRef {
  cluster: string;
  service: string;
}

/**
 * The tags of the live ECS services named, keyed `<cluster>/<service>`: DescribeServices with TAGS, one call per
 * cluster and 10 services, side by side. A service that is INACTIVE (deleted), missing, or of a cluster that does
 * not exist is left out.
 */
export async function readServiceTags(ctx: Context, services: readonly ServiceRef[]): Promise<Map<string, Tags>> {
  const found = new Map<string, Tags>();
  const byCluster = groupBy(services, (s) => s.cluster);
  await Promise.all(
    [...byCluster].map(async ([cluster, refs]) => {
      const live = await describeLiveServices(
        ctx,
        cluster,
        refs.map((r) => r.service),
      );
      for (const [name, service] of live) found.set(`${cluster}/${name}`, fromEcsTags(service.tags));
    }),
  );
  return found;
}
