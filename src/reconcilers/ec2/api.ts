/** EC2 calls shared by the kinds of this service. */
import { paginateDescribeSecurityGroups, type Filter, type SecurityGroup } from "@aws-sdk/client-ec2";
import type { Context } from "../shared/types.js";

/** Every security group matching all of these filters, every page. */
export async function describeSecurityGroups(ctx: Context, filters: Filter[]): Promise<SecurityGroup[]> {
  const groups: SecurityGroup[] = [];
  for await (const page of paginateDescribeSecurityGroups({ client: ctx.clients.ec2 }, { Filters: filters })) {
    groups.push(...(page.SecurityGroups ?? []));
  }
  return groups;
}
