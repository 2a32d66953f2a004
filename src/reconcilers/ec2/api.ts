/** EC2 calls shared by the kinds of this service. */
import { CreateTagsCommand, DeleteTagsCommand, paginateDescribeSecurityGroups, type Filter, type SecurityGroup } from "@aws-sdk/client-ec2";
import { toTagList, type TagChange } from "../diff-helpers.js";
import { sharedRead, type Context } from "../contract.js";

/** The groups this plan has read so far, by id (empty outside a plan). */
const groupsSeen = (ctx: Context) => sharedRead(ctx, "ec2 security groups seen", async () => new Map<string, SecurityGroup>());

/** Every security group matching all of these filters, every page. */
export async function describeSecurityGroups(ctx: Context, filters: Filter[]): Promise<SecurityGroup[]> {
  const groups: SecurityGroup[] = [];
  for await (const page of paginateDescribeSecurityGroups({ client: ctx.clients.ec2 }, { Filters: filters })) {
    groups.push(...(page.SecurityGroups ?? []));
  }
  const seen = await groupsSeen(ctx);
  for (const group of groups) if (group.GroupId) seen.set(group.GroupId, group);
  return groups;
}

/**
 * These groups (those that exist), taken from what this plan has read already where it can: the rules kind reads
 * after the groups kind, and names rule sets after groups it has mostly read. Outside a plan, or for a group not
 * read yet, one DescribeSecurityGroups by group-id.
 */
export async function securityGroupsById(ctx: Context, ids: readonly string[]): Promise<SecurityGroup[]> {
  const seen = ctx.planReads ? await groupsSeen(ctx) : new Map<string, SecurityGroup>();
  const known = [...new Set(ids)].flatMap((id) => (seen.has(id) ? [seen.get(id)!] : []));
  const unread = [...new Set(ids)].filter((id) => !seen.has(id));
  return [...known, ...(unread.length === 0 ? [] : await describeSecurityGroups(ctx, [{ Name: "group-id", Values: unread }]))];
}

/** Sets and removes the change's tags on one EC2 resource (a security group, sg-…); no call for an empty side. */
export async function writeEc2Tags(ctx: Context, resourceId: string, change: TagChange): Promise<void> {
  if (Object.keys(change.set).length > 0) {
    await ctx.clients.ec2.send(new CreateTagsCommand({ Resources: [resourceId], Tags: toTagList(change.set) }));
  }
  if (change.remove.length > 0) {
    await ctx.clients.ec2.send(new DeleteTagsCommand({ Resources: [resourceId], Tags: change.remove.map((Key) => ({ Key })) }));
  }
}
