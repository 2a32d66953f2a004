import { CycleError, DependencyGraph } from "../graph/graph.js";
import type { AnyReconciler } from "../reconcilers/index.js";
import type { Kind } from "../reconcilers/contract.js";

/** The graph of kinds, derived from each kind's `refersTo`: the one source of observation and deletion order. */
export interface KindGraph {
  /** The catalogue's kinds, each after the kinds it refers to. */
  reconcilers: readonly AnyReconciler[];
  /** The kinds of the catalogue this kind refers to. */
  refersTo(kind: Kind): readonly Kind[];
}

/** Checks the declarations (looksUp within refersTo, no cycle) and orders the kinds. */
export function kindGraph(reconcilers: readonly AnyReconciler[]): KindGraph {
  const present = new Set(reconcilers.map((r) => r.kind));
  const edges = new Map<Kind, Kind[]>();
  const graph = new DependencyGraph();
  for (const r of reconcilers) {
    const outside = r.looksUp.filter((k) => !r.refersTo.includes(k));
    if (outside.length > 0) throw new Error(`${r.kind} looks up ${outside.join(", ")} without referring to it`);
    const refersTo = r.refersTo.filter((k) => present.has(k));
    edges.set(r.kind, refersTo);
    graph.addNode(r.kind);
    for (const k of refersTo) graph.addDependency(r.kind, k);
  }
  const cycle = graph.findCycles()[0];
  if (cycle) throw new CycleError(cycle);
  const order = graph.topologicalOrder();
  return {
    reconcilers: [...reconcilers].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind)),
    refersTo: (kind) => edges.get(kind) ?? [],
  };
}
