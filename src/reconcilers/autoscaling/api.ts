/** What Application Auto Scaling's kinds share: the tag writes of the CloudWatch alarms their step policies own. */
import { TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-cloudwatch";
import { toTagList, type TagChange } from "../diff-helpers.js";
import type { Context } from "../contract.js";

/** A TagChange on a CloudWatch alarm: TagResource for the keys to set, then UntagResource for those to remove. */
export async function writeAlarmTags(ctx: Context, arn: string, change: TagChange): Promise<void> {
  if (Object.keys(change.set).length > 0) {
    await ctx.clients.cloudWatch.send(new TagResourceCommand({ ResourceARN: arn, Tags: toTagList(change.set) }));
  }
  if (change.remove.length > 0) await ctx.clients.cloudWatch.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: change.remove }));
}
