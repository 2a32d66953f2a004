import { paginateDescribeSubnets, paginateDescribeVpcs, type Filter, type Subnet, type Vpc } from "@aws-sdk/client-ec2";
import type { AwsClients } from "../../aws/index.js";
import type { NetworkSpec, SubnetSelector, VpcSelector } from "../../schema/network.js";

/** An existing resource the spec refers to could not be found (or was ambiguous). */
export class LookupError extends Error {
  override name = "LookupError";
}

export interface NetworkSubnet {
  id: string;
  availabilityZone: string;
  cidrBlock?: string;
}

export interface Network {
  vpcId: string;
  cidrBlock?: string;
  subnets: NetworkSubnet[];
}

/**
 * Finds the VPC and subnets the spec selects. Read-only: the network is never created or changed. The subnets
 * are read beside the VPC, not after it: no read of them needs the VPC's id, and they are checked against it
 * once both answers are in, so a lookup waits for one round trip rather than two. The default VPC's default
 * subnets need no DescribeVpcs at all: default subnets exist only in the default VPC, so their answer names it
 * (the VPC is then read only when none is found, for the error).
 */
export async function lookupNetwork(spec: NetworkSpec, clients: AwsClients, options: LookupOptions = {}): Promise<Network> {
  return (await lookupNetworks([spec], clients, options))[0]!;
}

export interface LookupOptions {
  /** Read the VPC even where the subnets name it, for its CIDR block (doctor shows it). */
  vpcDetails?: boolean;
}

/** Several lookups at once (the network and the subnets resources choose for themselves): each VPC is read once. */
export function lookupNetworks(specs: readonly NetworkSpec[], clients: AwsClients, options: LookupOptions = {}): Promise<Network[]> {
  const vpcs = new Map<string, Promise<Vpc>>();
  const vpcOf = (selector: VpcSelector) => {
    const key = JSON.stringify(selector);
    if (!vpcs.has(key)) vpcs.set(key, findVpc(selector, clients, clients.options.region));
    return vpcs.get(key)!;
  };
  return Promise.all(specs.map((spec) => lookupOne(spec, () => vpcOf(spec.vpc), clients, options)));
}

const selectsDefaultSubnets = (spec: NetworkSpec) => spec.vpc === "default" && "availabilityZones" in spec.subnets;

async function lookupOne(spec: NetworkSpec, vpcLookup: () => Promise<Vpc>, clients: AwsClients, options: LookupOptions): Promise<Network> {
  const region = clients.options.region;
  const [candidates, vpcRead] = await Promise.all([
    readSubnets(spec.subnets, clients),
    selectsDefaultSubnets(spec) && !options.vpcDetails ? undefined : vpcLookup(),
  ]);
  const defaultVpcId = candidates[0]?.VpcId;
  const vpc = vpcRead ?? (defaultVpcId === undefined ? await vpcLookup() : { VpcId: defaultVpcId, IsDefault: true });
  const subnets = chooseSubnets(spec.subnets, vpc, candidates, region);
  return {
    vpcId: vpc.VpcId!,
    ...(vpc.CidrBlock !== undefined && { cidrBlock: vpc.CidrBlock }),
    subnets: subnets.map((s) => ({
      id: s.SubnetId!,
      availabilityZone: s.AvailabilityZone!,
      ...(s.CidrBlock !== undefined && { cidrBlock: s.CidrBlock }),
    })),
  };
}

const formatTags = (tags: Record<string, string>) =>
  Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");

const tagFilters = (tags: Record<string, string>): Filter[] => Object.entries(tags).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }));

// Filters rather than VpcIds/SubnetIds: an unknown id then yields an empty list instead of an error to parse.
async function describeVpcs(clients: AwsClients, filters: Filter[]): Promise<Vpc[]> {
  const vpcs: Vpc[] = [];
  for await (const page of paginateDescribeVpcs({ client: clients.ec2 }, { Filters: filters })) vpcs.push(...(page.Vpcs ?? []));
  return vpcs;
}

async function describeSubnets(clients: AwsClients, filters: Filter[]): Promise<Subnet[]> {
  const subnets: Subnet[] = [];
  for await (const page of paginateDescribeSubnets({ client: clients.ec2 }, { Filters: filters })) subnets.push(...(page.Subnets ?? []));
  return subnets;
}

async function findVpc(selector: VpcSelector, clients: AwsClients, region: string): Promise<Vpc> {
  if (selector === "default") {
    const [vpc] = await describeVpcs(clients, [{ Name: "is-default", Values: ["true"] }]);
    if (!vpc) throw new LookupError(`no default VPC in ${region}`);
    return vpc;
  }
  if ("id" in selector) {
    const [vpc] = await describeVpcs(clients, [{ Name: "vpc-id", Values: [selector.id] }]);
    if (!vpc) throw new LookupError(`VPC ${selector.id} does not exist in ${region}`);
    return vpc;
  }
  const vpcs = await describeVpcs(clients, tagFilters(selector.tags));
  const [vpc] = vpcs;
  if (!vpc) throw new LookupError(`no VPC in ${region} matches tags ${formatTags(selector.tags)}`);
  if (vpcs.length > 1) {
    throw new LookupError(`${vpcs.length} VPCs match tags ${formatTags(selector.tags)}: ${vpcs.map((v) => v.VpcId).join(", ")}`);
  }
  return vpc;
}

/** The subnets the selector may pick, in any VPC: chooseSubnets keeps those of the VPC found. */
function readSubnets(selector: SubnetSelector, clients: AwsClients): Promise<Subnet[]> {
  if ("availabilityZones" in selector) {
    return describeSubnets(clients, [
      { Name: "availability-zone", Values: [...new Set(selector.availabilityZones)] },
      { Name: "default-for-az", Values: ["true"] },
    ]);
  }
  if ("ids" in selector) return describeSubnets(clients, [{ Name: "subnet-id", Values: [...new Set(selector.ids)] }]);
  return describeSubnets(clients, tagFilters(selector.tags));
}

function chooseSubnets(selector: SubnetSelector, vpc: Vpc, candidates: Subnet[], region: string): Subnet[] {
  const vpcId = vpc.VpcId!;
  const inVpc = candidates.filter((s) => s.VpcId === vpcId);

  if ("availabilityZones" in selector) {
    const zones = [...new Set(selector.availabilityZones)];
    const byZone = new Map(inVpc.map((s) => [s.AvailabilityZone, s]));
    const missing = zones.filter((z) => !byZone.has(z));
    if (missing.length > 0) {
      const hint = vpc.IsDefault ? "" : ` (${vpcId} is not a default VPC, so it has no default subnets: select subnets by ids or tags)`;
      throw new LookupError(
        `no default subnet of ${vpcId} in availability zone${missing.length > 1 ? "s" : ""} ${missing.join(", ")}${hint}`,
      );
    }
    return zones.map((z) => byZone.get(z)!);
  }

  if ("ids" in selector) {
    const ids = [...new Set(selector.ids)];
    // All of them, not only the VPC's, so that a subnet of another VPC can be told apart from one that does not exist.
    const byId = new Map(candidates.map((s) => [s.SubnetId, s]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length > 0) {
      throw new LookupError(`subnet${missing.length > 1 ? "s" : ""} ${missing.join(", ")} not found in ${region}`);
    }
    const elsewhere = candidates.filter((s) => s.VpcId !== vpcId);
    if (elsewhere.length > 0) {
      throw new LookupError(
        `subnet${elsewhere.length > 1 ? "s" : ""} ${elsewhere.map((s) => `${s.SubnetId} (in ${s.VpcId})`).join(", ")} not in ${vpcId}`,
      );
    }
    return ids.map((id) => byId.get(id)!);
  }

  if (inVpc.length === 0) throw new LookupError(`no subnet of ${vpcId} matches tags ${formatTags(selector.tags)}`);
  // Tags carry no order: sort for a stable result.
  return inVpc.sort(
    (a, b) => (a.AvailabilityZone ?? "").localeCompare(b.AvailabilityZone ?? "") || (a.SubnetId ?? "").localeCompare(b.SubnetId ?? ""),
  );
}
