/** EC2 calls shared by the kinds of this service. */
import { CreateTagsCommand, DeleteTagsCommand, paginateDescribeSecurityGroups, type Filter, type SecurityGroup } from "@aws-sdk/client-ec2";
import { toTagList, type TagChange } from "../diff-helpers.js";
import type { Context } from "../contract.js";

/** Every security group matching all of these filters, every page. */
export async function describeSecurityGroups(ctx: Context, filters: Filter[]): Promise<SecurityGroup[]> {
  const groups: SecurityGroup[] = [];
  for await (const page of paginateDescribeSecurityGroups({ client: ctx.clients.ec2 }, { Filters: filters })) {
    groups.push(...(page.SecurityGroups ?? []));
  }
  return groups;
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
