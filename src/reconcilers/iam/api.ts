import { TagRoleCommand, UntagRoleCommand } from "@aws-sdk/client-iam";
import { toTagList, type TagChange } from "../diff-helpers.js";
import type { Context } from "../contract.js";

/** Sets and removes the change's tag keys on one role. */
export async function writeIamRoleTags(ctx: Context, roleName: string, change: TagChange): Promise<void> {
  const { iam } = ctx.clients;
  if (Object.keys(change.set).length > 0) await iam.send(new TagRoleCommand({ RoleName: roleName, Tags: toTagList(change.set) }));
  if (change.remove.length > 0) await iam.send(new UntagRoleCommand({ RoleName: roleName, TagKeys: change.remove }));
}
