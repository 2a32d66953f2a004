/** A cycle, listed in order and closed: `[a, b, c, a]` means a depends on b, b on c, c on a. */
export class CycleError extends Error {
  constructor(readonly cycle: readonly string[]) {
    super(`dependency cycle: ${cycle.join(" -> ")}`);
    this.name = "CycleError";
  }
}

/** Nodes and "depends on" edges between them, keyed by string ids. */
export class DependencyGraph {
  private readonly dependencies = new Map<string, Set<string>>();

  addNode(id: string): void {
    if (!this.dependencies.has(id)) this.dependencies.set(id, new Set());
  }

  /** `from` depends on `to`: `to` comes first in topological order. Both nodes are added if missing. */
  addDependency(from: string, to: string): void {
    this.addNode(from);
    this.addNode(to);
    this.dependencies.get(from)!.add(to);
  }

  get nodes(): string[] {
    return [...this.dependencies.keys()];
  }

  dependenciesOf(id: string): string[] {
    return [...(this.dependencies.get(id) ?? [])];
  }

  /** Every elementary cycle found by one depth-first pass (each reported once, from its first node reached). */
  findCycles(): string[][] {
    const state = new Map<string, "visiting" | "done">();
    const stack: string[] = [];
    const cycles: string[][] = [];
    const visit = (id: string): void => {
      state.set(id, "visiting");
      stack.push(id);
      for (const dep of this.dependencies.get(id) ?? []) {
        const seen = state.get(dep);
        if (seen === "visiting") cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
        else if (seen === undefined) visit(dep);
      }
      stack.pop();
      state.set(id, "done");
    };
    for (const id of this.dependencies.keys()) if (!state.has(id)) visit(id);
    return cycles;
  }

  /** Dependencies before dependents; ties keep insertion order, so the result is deterministic. */
  topologicalOrder(): string[] {
    const cycle = this.findCycles()[0];
    if (cycle) throw new CycleError(cycle);
    const order: string[] = [];
    const placed = new Set<string>();
    const place = (id: string): void => {
      if (placed.has(id)) return;
      placed.add(id);
      for (const dep of this.dependencies.get(id) ?? []) place(dep);
      order.push(id);
    };
    for (const id of this.dependencies.keys()) place(id);
    return order;
  }
}
