import { lookupNetworks } from "../network-lookup.js";
import type { Reconciler } from "../../contract.js";
import type { Spec } from "../../../schema/spec.js";
import { networkNodes, toObserved, type ObservedNetwork } from "./model.js";

/**
 * The VPC and subnets: read-only nodes every resource placed in the network depends on. Never changed, so its
 * diff is always empty and its change is nothing.
 */
export const networkReconciler: Reconciler<Spec["network"], ObservedNetwork, undefined> = {
  kind: "network",
  refersTo: [],
  looksUp: [],
  nodes: networkNodes,
  async observe(desired, ctx) {
    const found = await lookupNetworks(
      desired.map((d) => d.value),
      ctx.clients,
    );
    return new Map(desired.map(({ address }, i) => [address, toObserved(found[i]!)]));
  },
  discover: async () => [],
  diff: () => ({ lines: [], change: undefined }),
  create: readOnly,
  update: readOnly,
  delete: readOnly,
  outputs: (n) => ({ vpcId: n.vpcId, subnetIds: n.subnets.map((s) => s.id) }),
};

function readOnly(): never {
  throw new Error("the network is looked up, never created, changed or deleted");
}
