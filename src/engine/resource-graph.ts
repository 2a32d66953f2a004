import { DependencyGraph } from "../graph/graph.js";
import { CATALOGUE, type Catalogue } from "../reconcilers/index.js";
import type { Kind } from "../reconcilers/contract.js";
import type { Spec } from "../schema/spec.js";

/** One resource of the spec, as the engine plans it. */
export interface GraphNode {
  /** `<kind>.<logical>`. */
  address: string;
  kind: Kind;
  logical: string;
  /** The physical name (or a readable identity for a resource without one). */
  name: string;
  /** A lookup of something the stack uses but does not own (the network, an existing security group). */
  readOnly: boolean;
}

/** `from` depends on `to`: `to` is created first and deleted last. */
export interface GraphEdge {
  from: string;
  to: string;
}

export interface ResourceGraph {
  /** Dependencies before dependents, as a plan lists them; ties in the catalogue's and then the spec's order. */
  nodes: GraphNode[];
  /** By the position of `from` in `nodes`, then of `to`. */
  edges: GraphEdge[];
}

/**
 * The graph of the spec's resources the engine derives, without any AWS call: every kind's nodes and their
 * `dependsOn`. The order is deterministic, so that the same spec always gives the same rendering.
 */
export function resourceGraph(spec: Spec, catalogue: Catalogue = CATALOGUE): ResourceGraph {
  const specNodes = catalogue.reconcilers.flatMap((reconciler) => reconciler.nodes(spec));
  const graph = new DependencyGraph();
  for (const node of specNodes) {
    graph.addNode(node.address);
    for (const dep of node.dependsOn) graph.addDependency(node.address, dep);
  }
  const byAddress = new Map(specNodes.map((node) => [node.address, node]));
  const order = graph.topologicalOrder();
  const dangling = order.filter((address) => !byAddress.has(address));
  // The spec's checks refuse a reference to nothing, so this is a kind's bug, not the spec's.
  if (dangling.length > 0) throw new Error(`nodes depend on addresses no kind gives: ${dangling.join(", ")}`);
  const rank = new Map(order.map((address, i) => [address, i]));

  const nodes = order.map((address): GraphNode => {
    const { kind, logical, name, readOnly } = byAddress.get(address)!;
    return { address, kind, logical, name, readOnly };
  });
  const edges = order.flatMap((from) =>
    [...new Set(byAddress.get(from)!.dependsOn)].sort((a, b) => rank.get(a)! - rank.get(b)!).map((to) => ({ from, to })),
  );
  return { nodes, edges };
}
