import type { Tag } from "@aws-sdk/client-ecs";
import { TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-ecs";
import type { FieldDiff } from "../plan/model.js";
import { tagChanges } from "./diff-helpers.js";
import type { Context, Tags } from "./types.js";

/** ECS writes tags as `{key, value}`, in lower case, unlike most AWS APIs. */
export const toEcsTags = (tags: Tags): Tag[] => Object.entries(tags).map(([key, value]) => ({ key, value }));

export function fromEcsTags(list: readonly Tag[] | undefined): Tags {
  const tags: Tags = {};
  for (const t of list ?? []) if (t.key !== undefined) tags[t.key] = t.value ?? "";
  return tags;
}

/** Applies the `tags.*` diffs to an ECS resource: TagResource for what is set, UntagResource for what goes. */
export async function updateEcsTags(ctx: Context, arn: string, diffs: readonly FieldDiff[], desired: Tags): Promise<void> {
  const { set, remove } = tagChanges(diffs, desired);
  if (Object.keys(set).length > 0) await ctx.clients.ecs.send(new TagResourceCommand({ resourceArn: arn, tags: toEcsTags(set) }));
  if (remove.length > 0) await ctx.clients.ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: remove }));
}
