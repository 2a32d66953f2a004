import { resourceGraph } from "../../engine/resource-graph.js";
import { renderGraph, type GraphFormat } from "../../plan/render-graph.js";
import { EXIT } from "../exit-codes.js";
import { loadOrExit } from "../load-spec.js";

export interface GraphOptions {
  file: string[];
  format: GraphFormat;
}

export async function runGraph(options: GraphOptions): Promise<void> {
  const spec = await loadOrExit(options);
  if (!spec) return;
  process.stdout.write(renderGraph(resourceGraph(spec), options.format, spec.stack));
  process.exitCode = EXIT.ok;
}
