import { ListTagsForResourceCommand, TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-cloudwatch-logs";
import { isNotFound } from "../../aws/errors.js";
import type { TagChange } from "../diff-helpers.js";
import type { Context, Tags } from "../contract.js";

/** The tags of a CloudWatch Logs resource, by the ARN ListTagsForResource takes; undefined once it is gone. */
export async function readLogsTags(ctx: Context, arn: string): Promise<Tags | undefined> {
  try {
    return (await ctx.clients.logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? {};
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Sets the change's keys with TagResource, then removes its keys with UntagResource; no call for an empty part. */
export async function writeLogsTags(ctx: Context, arn: string, change: TagChange): Promise<void> {
  if (Object.keys(change.set).length > 0) await ctx.clients.logs.send(new TagResourceCommand({ resourceArn: arn, tags: change.set }));
  if (change.remove.length > 0) await ctx.clients.logs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: change.remove }));
}
