import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resourceGraph, type ResourceGraph } from "../../src/engine/resource-graph.js";
import { renderDot, renderGraph, renderMermaid } from "../../src/plan/render-graph.js";
import { CATALOGUE } from "../../src/reconcilers/index.js";
import type { Spec } from "../../src/schema/index.js";
import { reconcile } from "../support/cli.js";
import { validateTexts } from "../support/specs.js";

const EXAMPLES = ["examples/microblog.yaml", "examples/microblog-shared-db.yaml"];

async function exampleSpec(file: string): Promise<Spec> {
  const { spec } = await validateTexts({ "spec.yaml": readFileSync(file, "utf8") });
  return spec!;
}

/**
 * The statements of a DOT digraph, parsed by the grammar's rules for what renderDot writes (graph, node and edge
 * statements, `ID = ID` attributes, quoted IDs with backslash escapes); anything else throws.
 */
function parseDigraph(text: string): { name: string; nodes: Map<string, Record<string, string>>; edges: Array<[string, string]> } {
  type Token = { id: string } | { op: string };
  const tokens = [...text.matchAll(/"((?:[^"\\]|\\.)*)"|->|[{}[\];,=]|[A-Za-z_][A-Za-z0-9_]*|(\S)/g)].map((m): Token => {
    if (m[2] !== undefined) throw new Error(`unexpected character ${m[2]}`);
    return m[1] !== undefined ? { id: m[1].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c)) } : { op: m[0] };
  });
  let at = 0;
  const next = (): Token => tokens[at++] ?? { op: "end of input" };
  const expectOp = (op: string) => {
    const token = next();
    if (!("op" in token) || token.op !== op) throw new Error(`expected ${op} at token ${at}`);
  };
  const id = (): string => {
    const token = next();
    if ("id" in token) return token.id;
    if (/^[A-Za-z_]/.test(token.op)) return token.op;
    throw new Error(`expected an ID at token ${at}, got ${token.op}`);
  };
  const peek = (op: string) => {
    const token = tokens[at];
    return token !== undefined && "op" in token && token.op === op;
  };
  const attributes = (): Record<string, string> => {
    const list: Record<string, string> = {};
    expectOp("[");
    while (!peek("]")) {
      const key = id();
      expectOp("=");
      list[key] = id();
      if (peek(",")) next();
    }
    expectOp("]");
    return list;
  };

  if (id() !== "digraph") throw new Error("not a digraph");
  const name = id();
  expectOp("{");
  const nodes = new Map<string, Record<string, string>>();
  const edges: Array<[string, string]> = [];
  while (!peek("}")) {
    const first = id();
    if (peek("=")) {
      next();
      id();
    } else if (peek("->")) {
      next();
      edges.push([first, id()]);
    } else if (first === "node") attributes();
    else nodes.set(first, peek("[") ? attributes() : {});
    expectOp(";");
  }
  expectOp("}");
  if (at !== tokens.length) throw new Error("text after the graph");
  return { name, nodes, edges };
}

describe("the resource graph", () => {
  it.each(EXAMPLES)("of %s has every kind's nodes and every dependsOn as an edge, dependencies first", async (file) => {
    const spec = await exampleSpec(file);
    const expected = CATALOGUE.reconcilers.flatMap((r) => r.nodes(spec));
    const graph = resourceGraph(spec);

    expect(graph.nodes.map((n) => n.address).sort()).toEqual(expected.map((n) => n.address).sort());
    const edge = (from: string, to: string) => `${from} -> ${to}`;
    expect(graph.edges.map((e) => edge(e.from, e.to)).sort()).toEqual(
      [...new Set(expected.flatMap((n) => n.dependsOn.map((dep) => edge(n.address, dep))))].sort(),
    );
    for (const node of expected) {
      expect(graph.nodes.find((n) => n.address === node.address)).toEqual({
        address: node.address,
        kind: node.kind,
        logical: node.logical,
        name: node.name,
        readOnly: node.readOnly,
      });
    }
    const position = new Map(graph.nodes.map((n, i) => [n.address, i]));
    for (const { from, to } of graph.edges) expect(position.get(to)).toBeLessThan(position.get(from)!);
    expect(resourceGraph(spec)).toEqual(graph);
  });

  it("of examples/microblog.yaml: the lookups are read-only, the physical names are the spec's", async () => {
    const graph = resourceGraph(await exampleSpec("examples/microblog.yaml"));
    expect(graph.nodes.filter((n) => n.readOnly).map((n) => n.address)).toEqual(["network", "securityGroups.default"]);
    expect(graph.nodes.find((n) => n.address === "services.web")?.name).toBe("svcFargateCurso107");
    expect(graph.edges.filter((e) => e.from === "autoScaling.web")).toEqual([{ from: "autoScaling.web", to: "services.web" }]);
  });
});

describe("the graph as Mermaid", () => {
  it.each(EXAMPLES)("of %s: a flowchart with one line per node and per edge, ids declared before use", async (file) => {
    const graph = resourceGraph(await exampleSpec(file));
    const lines = renderMermaid(graph).trimEnd().split("\n");
    expect(lines[0]).toBe("flowchart LR");

    const nodeLines = lines.filter((l) => /^ {2}\w+\["/.test(l));
    const edgeLines = lines.filter((l) => l.includes("-->"));
    expect(nodeLines).toHaveLength(graph.nodes.length);
    expect(edgeLines).toHaveLength(graph.edges.length);
    const ids = new Map<string, string>();
    for (const [i, line] of nodeLines.entries()) {
      // A quoted label holds no quote of its own, and no angle bracket but its one line break.
      const match = /^ {2}([A-Za-z0-9_]+)\["([^"<>]*)<br\/>([^"<>]*)"\]$/.exec(line);
      expect(match, line).not.toBeNull();
      const node = graph.nodes[i]!;
      expect([match![2], match![3]]).toEqual([node.address, node.name]);
      ids.set(match![1]!, node.address);
    }
    expect(ids.size).toBe(graph.nodes.length);
    for (const line of edgeLines) {
      const match = /^ {2}(\w+) --> (\w+)$/.exec(line);
      expect(match, line).not.toBeNull();
      expect(ids.has(match![1]!) && ids.has(match![2]!)).toBe(true);
    }
    const lookups = graph.nodes.filter((n) => n.readOnly).map((n) => [...ids].find(([, address]) => address === n.address)![0]);
    expect(lines.slice(-2)).toEqual([expect.stringMatching(/^ {2}classDef lookup /), `  class ${lookups.join(",")} lookup`]);
    expect(lines).toHaveLength(1 + graph.nodes.length + graph.edges.length + 2);
  });

  it("escapes what would end a label or read as HTML, and keeps ids apart that sanitise alike", () => {
    const graph: ResourceGraph = {
      nodes: [
        { address: "roles.a-b", kind: "roles", logical: "a-b", name: 'say "hi" <b> #1 & more', readOnly: false },
        { address: "roles.a_b", kind: "roles", logical: "a_b", name: "plain", readOnly: false },
      ],
      edges: [{ from: "roles.a_b", to: "roles.a-b" }],
    };
    expect(renderMermaid(graph)).toBe(
      [
        "flowchart LR",
        '  roles_a_b["roles.a-b<br/>say #quot;hi#quot; #lt;b#gt; #35;1 #amp; more"]',
        '  roles_a_b_2["roles.a_b<br/>plain"]',
        "  roles_a_b_2 --> roles_a_b",
        "",
      ].join("\n"),
    );
  });
});

describe("the graph as DOT", () => {
  it.each(EXAMPLES)("of %s parses as a digraph with every node, label and edge", async (file) => {
    const spec = await exampleSpec(file);
    const graph = resourceGraph(spec);
    const parsed = parseDigraph(renderDot(graph, spec.stack));
    expect(parsed.name).toBe(spec.stack);
    expect([...parsed.nodes.keys()]).toEqual(graph.nodes.map((n) => n.address));
    for (const node of graph.nodes) {
      expect(parsed.nodes.get(node.address)).toEqual({ label: `${node.address}\n${node.name}`, ...(node.readOnly && { style: "dashed" }) });
    }
    expect(parsed.edges).toEqual(graph.edges.map((e) => [e.from, e.to]));
  });

  it("escapes quotes and backslashes in names", () => {
    const graph: ResourceGraph = {
      nodes: [{ address: "logGroups.app", kind: "logGroups", logical: "app", name: 'a "b" \\c', readOnly: false }],
      edges: [],
    };
    const text = renderDot(graph, 'stack "x"');
    expect(text).toContain('  "logGroups.app" [label="logGroups.app\\na \\"b\\" \\\\c"];');
    expect(parseDigraph(text).nodes.get("logGroups.app")).toEqual({ label: 'logGroups.app\na "b" \\c' });
  });
});

describe("reconcile graph", () => {
  it("prints the Mermaid of the spec by default, and DOT with --format dot, without AWS", async () => {
    const spec = await exampleSpec("examples/microblog.yaml");
    const graph = resourceGraph(spec);
    // No endpoint and no credentials: a call to AWS would fail.
    const offline = { AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_ENDPOINT_URL: "http://127.0.0.1:9" };
    const mermaid = reconcile(["graph", "-f", "examples/microblog.yaml"], offline);
    expect([mermaid.code, mermaid.stderr]).toEqual([0, ""]);
    expect(mermaid.stdout).toBe(renderGraph(graph, "mermaid", spec.stack));

    const dot = reconcile(["graph", "-f", "examples/microblog.yaml", "--format", "dot"], offline);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toBe(renderDot(graph, "microblog"));
  });

  it("refuses an unknown format with exit 64, and an invalid spec with exit 1", () => {
    const svg = reconcile(["graph", "-f", "examples/microblog.yaml", "--format", "svg"]);
    expect(svg.code).toBe(64);
    expect(svg.stderr).toContain("expected one of mermaid, dot");
    const file = join(mkdtempSync(join(tmpdir(), "reconcile-graph-")), "spec.yaml");
    writeFileSync(file, "stack: demo\nregion: us-east-1\n");
    const invalid = reconcile(["graph", "-f", file]);
    expect([invalid.code, invalid.stdout]).toEqual([1, ""]);
    expect(invalid.stderr).toContain("error: missing required key `network`");
  });
});
