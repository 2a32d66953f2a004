import { lookupNetwork, type Network } from "../network-lookup.js";
import type { Context, DesiredNode, Observed, LegacyReconciler } from "../../shared/types.js";
import { ownSubnets, subnetsAddress, type SubnetChooser } from "../../../schema/queries.js";
import type { Spec } from "../../../schema/spec.js";

export type ObservedNetwork = Observed & Network;

function ownSubnetNodes(spec: Spec, kind: SubnetChooser): DesiredNode<Spec["network"]>[] {
  return Object.keys(spec[kind]).flatMap((logical) => {
    const subnets = ownSubnets(spec, kind, logical);
    if (!subnets) return [];
    return [
      {
        kind: "network" as const,
        logical: `${kind}.${logical}`,
        address: subnetsAddress(spec, kind, logical),
        name: `subnets of ${kind}.${logical}`,
        dependsOn: [],
        adopt: false,
        readOnly: true,
        build: () => ({ vpc: spec.network.vpc, subnets }),
      },
    ];
  });
}

/** The VPC and subnets: read-only nodes every resource placed in the network depends on. */
export const networkReconciler: LegacyReconciler<Spec["network"], ObservedNetwork> = {
  kind: "network",
  refersTo: [],
  looksUp: [],
  nodes: (spec) => [
    {
      kind: "network",
      logical: "network",
      address: "network",
      name: describeSelector(spec.network.vpc),
      dependsOn: [],
      adopt: false,
      readOnly: true,
      build: () => spec.network,
    },
    ...ownSubnetNodes(spec, "loadBalancers"),
    ...ownSubnetNodes(spec, "services"),
  ],
  async observe(desired, ctx: Context) {
    const found = new Map<string, ObservedNetwork>();
    for (const { address, value } of desired) {
      const network = await lookupNetwork(value, ctx.clients);
      found.set(address, { ...network, name: network.vpcId, id: network.vpcId, tags: {} });
    }
    return found;
  },
  discover: async () => [],
  diff: () => [],
  create: readOnly,
  update: readOnly,
  delete: readOnly,
  outputs: (n) => ({ vpcId: n.vpcId, subnetIds: n.subnets.map((s) => s.id) }),
};

function readOnly(): never {
  throw new Error("the network is looked up, never created, changed or deleted");
}

function describeSelector(vpc: Spec["network"]["vpc"]): string {
  if (vpc === "default") return "default VPC";
  return "id" in vpc
    ? vpc.id
    : `VPC tagged ${Object.entries(vpc.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")}`;
}
