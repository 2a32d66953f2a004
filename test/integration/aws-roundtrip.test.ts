import { DescribeScalableTargetsCommand } from "@aws-sdk/client-application-auto-scaling";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
} from "@aws-sdk/client-ec2";
import { ListClustersCommand } from "@aws-sdk/client-ecs";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ListRolesCommand } from "@aws-sdk/client-iam";
import { ListNamespacesCommand } from "@aws-sdk/client-servicediscovery";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createClients, type AwsClients } from "../../src/aws/index.js";
import { CallStats } from "../../src/aws/index.js";
import { LookupError, lookupNetwork, lookupNetworks } from "../../src/reconcilers/ec2/network-lookup.js";
import type { NetworkSpec } from "../../src/schema/network.js";
import { motoClientConfig } from "../support/moto-env.js";

// maxAttempts 2: moto answers 500 to an unimplemented action, which the SDK would otherwise retry for a while.
const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

describe("every client of the factory answers through moto", () => {
  it("STS", async () => {
    const id = await clients.sts.send(new GetCallerIdentityCommand({}));
    expect(id.Account).toBe("123456789012");
  });

  it("ECS, ELBv2, IAM, Logs, EC2, Application Auto Scaling, Cloud Map", async () => {
    expect((await clients.ecs.send(new ListClustersCommand({}))).clusterArns).toBeInstanceOf(Array);
    expect((await clients.elbv2.send(new DescribeLoadBalancersCommand({}))).LoadBalancers).toBeInstanceOf(Array);
    expect((await clients.iam.send(new ListRolesCommand({}))).Roles).toBeInstanceOf(Array);
    expect((await clients.logs.send(new DescribeLogGroupsCommand({}))).logGroups).toBeInstanceOf(Array);
    expect((await clients.ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length).toBeGreaterThan(0);
    const targets = await clients.autoScaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: "ecs" }));
    expect(targets.ScalableTargets).toBeInstanceOf(Array);
    expect((await clients.serviceDiscovery.send(new ListNamespacesCommand({}))).Namespaces).toBeInstanceOf(Array);
  });

  it("CloudWatch, over the JSON protocol the JavaScript SDK speaks", async () => {
    const command = new DescribeAlarmsCommand({});
    let contentType: string | undefined;
    command.middlewareStack.add(
      (next) => async (args) => {
        contentType = (args.request as { headers?: Record<string, string> }).headers?.["content-type"];
        return next(args);
      },
      { step: "finalizeRequest" },
    );
    const alarms = await clients.cloudWatch.send(command);
    expect(contentType).toBe("application/x-amz-json-1.0");
    expect(alarms.MetricAlarms).toBeInstanceOf(Array);
  });
});

describe("lookupNetwork", () => {
  const lookupError = async (spec: NetworkSpec): Promise<LookupError> => {
    const err: unknown = await lookupNetwork(spec, clients).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LookupError);
    return err as LookupError;
  };

  it("finds the default VPC and its default subnet in each zone, in the order given", async () => {
    const net = await lookupNetwork({ vpc: "default", subnets: { availabilityZones: ["us-east-1b", "us-east-1a"] } }, clients, {
      vpcDetails: true,
    });
    expect(net.vpcId).toMatch(/^vpc-/);
    expect(net.cidrBlock).toBe("172.31.0.0/16");
    expect(net.subnets.map((s) => s.availabilityZone)).toEqual(["us-east-1b", "us-east-1a"]);
    expect(net.subnets.every((s) => /^subnet-/.test(s.id) && s.cidrBlock)).toBe(true);

    // The same subnets, selected by id, come back in the order of the ids.
    const ids = net.subnets.map((s) => s.id).reverse();
    const byIds = await lookupNetwork({ vpc: { id: net.vpcId }, subnets: { ids } }, clients);
    expect(byIds.subnets.map((s) => s.id)).toEqual(ids);
  });

  it("reads the default VPC from its default subnets, with no DescribeVpcs: the network and the subnets a resource chooses for itself", async () => {
    const stats = new CallStats();
    const counted = createClients({ ...motoClientConfig(), maxAttempts: 2, stats });
    try {
      const [network, own] = await lookupNetworks(
        [
          { vpc: "default", subnets: { availabilityZones: ["us-east-1a", "us-east-1b"] } },
          { vpc: "default", subnets: { availabilityZones: ["us-east-1c"] } },
        ],
        counted,
      );
      expect(own!.vpcId).toBe(network!.vpcId);
      expect(network!.vpcId).toMatch(/^vpc-/);
      expect(own!.subnets.map((s) => s.availabilityZone)).toEqual(["us-east-1c"]);
      expect(
        stats
          .snapshot()
          .byAction.map((a) => `${a.action} ${a.calls}`)
          .sort(),
      ).toEqual(["DescribeSubnets 2"]);

      // A VPC named by id is read once, however many lookups share it.
      const byIdStats = new CallStats();
      const byId = createClients({ ...motoClientConfig(), maxAttempts: 2, stats: byIdStats });
      try {
        await lookupNetworks(
          [
            { vpc: { id: network!.vpcId }, subnets: { ids: [network!.subnets[0]!.id] } },
            { vpc: { id: network!.vpcId }, subnets: { ids: [own!.subnets[0]!.id] } },
          ],
          byId,
        );
      } finally {
        byId.destroy();
      }
      expect(
        byIdStats
          .snapshot()
          .byAction.map((a) => `${a.action} ${a.calls}`)
          .sort(),
      ).toEqual(["DescribeSubnets 2", "DescribeVpcs 1"]);
    } finally {
      counted.destroy();
    }
  });

  it("names the zone that has no default subnet", async () => {
    // moto (like AWS) has us-east-1a..f: us-east-1g is well-formed but absent.
    const { vpcId } = await lookupNetwork({ vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } }, clients);
    const err = await lookupError({ vpc: "default", subnets: { availabilityZones: ["us-east-1a", "us-east-1g"] } });
    expect(err.message).toBe(`no default subnet of ${vpcId} in availability zone us-east-1g`);
  });

  it("names a VPC id that does not exist", async () => {
    const err = await lookupError({ vpc: { id: "vpc-0123456789abcdef0" }, subnets: { availabilityZones: ["us-east-1a"] } });
    expect(err.message).toBe("VPC vpc-0123456789abcdef0 does not exist in us-east-1");
  });

  it("names tags that match nothing", async () => {
    const vpcErr = await lookupError({ vpc: { tags: { Name: "no-such-vpc" } }, subnets: { availabilityZones: ["us-east-1a"] } });
    expect(vpcErr.message).toBe("no VPC in us-east-1 matches tags Name=no-such-vpc");

    const subnetErr = await lookupError({ vpc: "default", subnets: { tags: { Name: "no-such-subnet", Tier: "public" } } });
    expect(subnetErr.message).toMatch(/^no subnet of vpc-[0-9a-f]+ matches tags Name=no-such-subnet, Tier=public$/);
  });

  describe("with VPCs of its own", () => {
    // Created, not reset: moto's state is shared with test files running in parallel.
    const tag = `lookup-${Date.now()}`;
    const vpcIds: string[] = [];
    let subnetId = "";

    beforeAll(async () => {
      for (const cidr of ["10.10.0.0/16", "10.11.0.0/16"]) {
        const { Vpc } = await clients.ec2.send(
          new CreateVpcCommand({ CidrBlock: cidr, TagSpecifications: [{ ResourceType: "vpc", Tags: [{ Key: "Name", Value: tag }] }] }),
        );
        vpcIds.push(Vpc!.VpcId!);
      }
      const { Subnet } = await clients.ec2.send(
        new CreateSubnetCommand({ VpcId: vpcIds[0], CidrBlock: "10.10.1.0/24", AvailabilityZone: "us-east-1a" }),
      );
      subnetId = Subnet!.SubnetId!;
    });

    afterAll(async () => {
      if (subnetId) await clients.ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
      for (const VpcId of vpcIds) await clients.ec2.send(new DeleteVpcCommand({ VpcId }));
    });

    it("refuses tags that match several VPCs, naming them", async () => {
      const err = await lookupError({ vpc: { tags: { Name: tag } }, subnets: { availabilityZones: ["us-east-1a"] } });
      expect(err.message).toMatch(new RegExp(`^2 VPCs match tags Name=${tag}: vpc-`));
      for (const id of vpcIds) expect(err.message).toContain(id);
    });

    it("refuses subnet ids that do not exist or belong to another VPC", async () => {
      const missing = await lookupError({ vpc: "default", subnets: { ids: [subnetId, "subnet-0123456789abcdef0"] } });
      expect(missing.message).toBe("subnet subnet-0123456789abcdef0 not found in us-east-1");

      const { vpcId } = await lookupNetwork({ vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } }, clients);
      const elsewhere = await lookupError({ vpc: "default", subnets: { ids: [subnetId] } });
      expect(elsewhere.message).toBe(`subnet ${subnetId} (in ${vpcIds[0]}) not in ${vpcId}`);
    });

    it("explains that a non-default VPC has no default subnets", async () => {
      const err = await lookupError({ vpc: { id: vpcIds[0]! }, subnets: { availabilityZones: ["us-east-1a"] } });
      expect(err.message).toContain(`no default subnet of ${vpcIds[0]} in availability zone us-east-1a`);
      expect(err.message).toContain("not a default VPC");

      const net = await lookupNetwork({ vpc: { id: vpcIds[0]! }, subnets: { ids: [subnetId] } }, clients);
      expect(net).toEqual({
        vpcId: vpcIds[0],
        cidrBlock: "10.10.0.0/16",
        subnets: [{ id: subnetId, availabilityZone: "us-east-1a", cidrBlock: "10.10.1.0/24" }],
      });
    });
  });
});

describe("endpoint from the environment", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("AWS_ENDPOINT_URL applies when no endpoint is passed", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL", motoClientConfig().endpoint);
    vi.stubEnv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", undefined);
    const { endpoint: _, ...withoutEndpoint } = motoClientConfig();
    const envClients = createClients({ ...withoutEndpoint, maxAttempts: 2 });
    try {
      expect((await envClients.sts.send(new GetCallerIdentityCommand({}))).Account).toBe("123456789012");
      // 172.31.0.0/16 with random ids: moto's default VPC, not an AWS one.
      const subnets = await envClients.ec2.send(new DescribeSubnetsCommand({}));
      expect(subnets.Subnets?.length).toBeGreaterThan(0);
    } finally {
      envClients.destroy();
    }
  });

  it("AWS_ENDPOINT_URL_<SERVICE> wins over AWS_ENDPOINT_URL", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL", "http://127.0.0.1:9"); // discard port: nothing listens
    vi.stubEnv("AWS_ENDPOINT_URL_STS", motoClientConfig().endpoint);
    const { endpoint: _, ...withoutEndpoint } = motoClientConfig();
    const envClients = createClients({ ...withoutEndpoint, maxAttempts: 1 });
    try {
      expect((await envClients.sts.send(new GetCallerIdentityCommand({}))).Account).toBe("123456789012");
      await expect(envClients.ecs.send(new ListClustersCommand({}))).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      envClients.destroy();
    }
  });
});
