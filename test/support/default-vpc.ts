import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import type { AwsClients } from "../../src/aws/index.js";

/** moto's default VPC: two of its subnets and its `default` group, for tasks a test starts with the SDK directly. */
export async function defaultVpcNetwork(clients: AwsClients): Promise<{ vpcId: string; subnets: string[]; securityGroups: string[] }> {
  const { Vpcs } = await clients.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }));
  const vpcId = Vpcs![0]!.VpcId!;
  const { Subnets } = await clients.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }));
  const { SecurityGroups } = await clients.ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: "vpc-id", Values: [vpcId] },
        { Name: "group-name", Values: ["default"] },
      ],
    }),
  );
  return { vpcId, subnets: Subnets!.slice(0, 2).map((s) => s.SubnetId!), securityGroups: [SecurityGroups![0]!.GroupId!] };
}
