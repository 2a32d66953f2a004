/** ECS calls shared by the kinds of this service. */
import { TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-ecs";
import type { TagChange } from "../diff-helpers.js";
import { toEcsTags } from "./model.js";
import type { Context, Tags } from "../contract.js";

/** Writes a change of an ECS resource's tags: TagResource for the keys to set, UntagResource for those to remove. */
export async function writeEcsTags(ctx: Context, arn: string, change: TagChange): Promise<void> {
  if (Object.keys(change.set).length > 0)
    await ctx.clients.ecs.send(new TagResourceCommand({ resourceArn: arn, tags: toEcsTags(change.set) }));
  if (change.remove.length > 0) await ctx.clients.ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: change.remove }));
}

export { describeLiveServices } from "../ecs-services.js";
