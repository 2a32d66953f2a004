import type { Network } from "../network-lookup.js";
import { desiredNode, type DesiredNode, type Observed } from "../../contract.js";
import { ownSubnets, type SubnetChooser } from "../../../schema/queries.js";
import type { Spec } from "../../../schema/spec.js";

export type ObservedNetwork = Observed & Network;

/** The VPC (at the bare address `network`), and a lookup of the subnets of each resource that picks its own. */
export function networkNodes(spec: Spec): DesiredNode<Spec["network"]>[] {
  return [
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
  ];
}

/** At `network.<kind>.<logical>`, the address subnetsAddress gives a resource with subnets of its own. */
function ownSubnetNodes(spec: Spec, kind: SubnetChooser): DesiredNode<Spec["network"]>[] {
  return Object.keys(spec[kind]).flatMap((logical) => {
    const subnets = ownSubnets(spec, kind, logical);
    if (!subnets) return [];
    return [
      desiredNode({
        kind: "network",
        logical: `${kind}.${logical}`,
        name: `subnets of ${kind}.${logical}`,
        dependsOn: [],
        readOnly: true,
        build: () => ({ vpc: spec.network.vpc, subnets }),
      }),
    ];
  });
}

export const toObserved = (network: Network): ObservedNetwork => ({ ...network, name: network.vpcId, id: network.vpcId, tags: {} });

function describeSelector(vpc: Spec["network"]["vpc"]): string {
  if (vpc === "default") return "default VPC";
  return "id" in vpc
    ? vpc.id
    : `VPC tagged ${Object.entries(vpc.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")}`;
}
