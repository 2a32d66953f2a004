import { DescribeScalableTargetsCommand } from "@aws-sdk/client-application-auto-scaling";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { ListClustersCommand } from "@aws-sdk/client-ecs";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ListRolesCommand } from "@aws-sdk/client-iam";
import { ListNamespacesCommand } from "@aws-sdk/client-servicediscovery";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { AwsClients } from "./clients.js";

export interface ProbeResult {
  service: string;
  action: string;
  ok: boolean;
  /** What the call found, or AWS's error (its code and message). */
  detail: string;
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** One read-only call to every AWS service the tool uses: proof that each answers with these credentials. */
const PROBES: { service: string; action: string; call: (c: AwsClients) => Promise<string> }[] = [
  {
    service: "sts",
    action: "GetCallerIdentity",
    call: async (c) => {
      const r = await c.sts.send(new GetCallerIdentityCommand({}));
      return `account ${r.Account}, ${r.Arn}`;
    },
  },
  {
    service: "ec2",
    action: "DescribeVpcs",
    call: async (c) => count((await c.ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0, "VPC"),
  },
  {
    service: "iam",
    action: "ListRoles",
    call: async (c) => count((await c.iam.send(new ListRolesCommand({ MaxItems: 100 }))).Roles?.length ?? 0, "role"),
  },
  {
    service: "logs",
    action: "DescribeLogGroups",
    call: async (c) => count((await c.logs.send(new DescribeLogGroupsCommand({ limit: 50 }))).logGroups?.length ?? 0, "log group"),
  },
  {
    service: "elasticloadbalancing",
    action: "DescribeLoadBalancers",
    call: async (c) => count((await c.elbv2.send(new DescribeLoadBalancersCommand({}))).LoadBalancers?.length ?? 0, "load balancer"),
  },
  {
    service: "ecs",
    action: "ListClusters",
    call: async (c) => count((await c.ecs.send(new ListClustersCommand({}))).clusterArns?.length ?? 0, "cluster"),
  },
  {
    service: "application-autoscaling",
    action: "DescribeScalableTargets",
    call: async (c) =>
      count(
        (await c.autoScaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: "ecs" }))).ScalableTargets?.length ?? 0,
        "ECS scalable target",
      ),
  },
  {
    service: "monitoring",
    action: "DescribeAlarms",
    call: async (c) => count((await c.cloudWatch.send(new DescribeAlarmsCommand({ MaxRecords: 100 }))).MetricAlarms?.length ?? 0, "alarm"),
  },
  {
    service: "servicediscovery",
    action: "ListNamespaces",
    call: async (c) => count((await c.serviceDiscovery.send(new ListNamespacesCommand({}))).Namespaces?.length ?? 0, "namespace"),
  },
];

export async function probeServices(clients: AwsClients): Promise<ProbeResult[]> {
  return Promise.all(
    PROBES.map(async ({ service, action, call }) => {
      try {
        return { service, action, ok: true, detail: await call(clients) };
      } catch (error) {
        const e = error as Error;
        return { service, action, ok: false, detail: `${e.name}: ${e.message}` };
      }
    }),
  );
}
