import type { GraphNode, ResourceGraph } from "../engine/resource-graph.js";

export type GraphFormat = "mermaid" | "dot";
export const GRAPH_FORMATS: readonly GraphFormat[] = ["mermaid", "dot"];

/** The graph in the chosen format, one line per node and per edge, with a trailing newline. */
export function renderGraph(graph: ResourceGraph, format: GraphFormat, title: string): string {
  return format === "dot" ? renderDot(graph, title) : renderMermaid(graph);
}

/**
 * A Mermaid flowchart, as GitHub renders it in a ```mermaid block: each resource a box labelled with its address
 * and physical name, an arrow from each to what it depends on, and the read-only lookups dashed and grey.
 */
export function renderMermaid(graph: ResourceGraph): string {
  const ids = mermaidIds(graph.nodes);
  const lines = ["flowchart LR"];
  for (const node of graph.nodes) lines.push(`  ${ids.get(node.address)}["${mermaidText(node.address)}<br/>${mermaidText(node.name)}"]`);
  for (const edge of graph.edges) lines.push(`  ${ids.get(edge.from)} --> ${ids.get(edge.to)}`);
  const lookups = graph.nodes.filter((n) => n.readOnly).map((n) => ids.get(n.address));
  if (lookups.length > 0) {
    lines.push("  classDef lookup fill:#f6f8fa,stroke:#8c959f,stroke-dasharray:4 3,color:#57606a");
    lines.push(`  class ${lookups.join(",")} lookup`);
  }
  return lines.join("\n") + "\n";
}

/**
 * Mermaid node ids: the address with every character but letters, digits and `_` as `_` (a dot or a hyphen would
 * be read as syntax), made unique with a suffix where two addresses come out the same.
 */
function mermaidIds(nodes: readonly GraphNode[]): Map<string, string> {
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  for (const { address } of nodes) {
    const base = address.replace(/[^A-Za-z0-9_]/g, "_");
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
    taken.add(id);
    ids.set(address, id);
  }
  return ids;
}

/** Text inside a quoted Mermaid label: its entity codes for what would end the label or be read as HTML (`#` first, as it starts them). */
function mermaidText(text: string): string {
  return text.replace(/#/g, "#35;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;").replace(/&/g, "#amp;");
}

/** Graphviz DOT: `dot -Tsvg` draws it. Read-only lookups are dashed. */
export function renderDot(graph: ResourceGraph, title: string): string {
  const lines = [`digraph ${dotString(title)} {`, "  rankdir=LR;", "  node [shape=box];"];
  for (const node of graph.nodes) {
    const label = `${dotText(node.address)}\\n${dotText(node.name)}`;
    lines.push(`  ${dotString(node.address)} [label="${label}"${node.readOnly ? ", style=dashed" : ""}];`);
  }
  for (const edge of graph.edges) lines.push(`  ${dotString(edge.from)} -> ${dotString(edge.to)};`);
  lines.push("}");
  return lines.join("\n") + "\n";
}

const dotText = (text: string): string => text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const dotString = (text: string): string => `"${dotText(text)}"`;
