import { lookupNetwork, type Network } from "./network.js";
import type { Context, Observed, Reconciler } from "./types.js";
import type { Spec } from "../schema/spec.js";

export type ObservedNetwork = Observed & Network;

/** The VPC and subnets: a read-only node every resource placed in the network depends on. */
export const networkReconciler: Reconciler<Spec["network"], ObservedNetwork> = {
  kind: "network",
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
