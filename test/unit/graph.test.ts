import { describe, expect, it } from "vitest";
import { CycleError, DependencyGraph } from "../../src/graph/index.js";

const graphOf = (edges: [string, string][], nodes: string[] = []) => {
  const graph = new DependencyGraph();
  nodes.forEach((n) => graph.addNode(n));
  edges.forEach(([from, to]) => graph.addDependency(from, to));
  return graph;
};

describe("dependency graph", () => {
  it.each([
    {
      why: "a chain runs dependencies first",
      edges: [
        ["service", "task"],
        ["task", "role"],
      ] as [string, string][],
      nodes: [],
      order: ["role", "task", "service"],
    },
    { why: "independent nodes keep insertion order", edges: [], nodes: ["b", "a", "c"], order: ["b", "a", "c"] },
    {
      why: "a diamond places the shared dependency once",
      edges: [
        ["d", "b"],
        ["d", "c"],
        ["b", "a"],
        ["c", "a"],
      ] as [string, string][],
      nodes: [],
      order: ["a", "b", "c", "d"],
    },
  ])("$why", ({ edges, nodes, order }) => {
    expect(graphOf(edges, nodes).topologicalOrder()).toEqual(order);
  });

  it.each([
    { why: "a node depending on itself", edges: [["a", "a"]] as [string, string][], cycle: ["a", "a"] },
    {
      why: "two nodes",
      edges: [
        ["a", "b"],
        ["b", "a"],
      ] as [string, string][],
      cycle: ["a", "b", "a"],
    },
    {
      why: "a cycle behind a chain names only its members",
      edges: [
        ["x", "a"],
        ["a", "b"],
        ["b", "c"],
        ["c", "a"],
      ] as [string, string][],
      cycle: ["a", "b", "c", "a"],
    },
  ])("a cycle is an error that names every node on it: $why", ({ edges, cycle }) => {
    const graph = graphOf(edges);
    expect(graph.findCycles()).toEqual([cycle]);
    expect(() => graph.topologicalOrder()).toThrow(new CycleError(cycle));
    expect(() => graph.topologicalOrder()).toThrow(`dependency cycle: ${cycle.join(" -> ")}`);
  });

  it("lists each node's dependencies", () => {
    expect(
      graphOf([
        ["svc", "tg"],
        ["svc", "task"],
      ]).dependenciesOf("svc"),
    ).toEqual(["tg", "task"]);
  });
});
