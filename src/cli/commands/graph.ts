import { Command, InvalidArgumentError, Option } from "commander";
import { GRAPH_FORMATS, type GraphFormat } from "../../plan/render-graph.js";
import type { GraphOptions } from "../actions/graph.js";
import { addSpecFiles } from "./options.js";

function graphFormat(value: string): GraphFormat {
  if (!(GRAPH_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${GRAPH_FORMATS.join(", ")}`);
  return value as GraphFormat;
}

export function graphCommand(): Command {
  return addSpecFiles(
    new Command("graph").description(
      "print the resources of the spec and what each depends on, as the engine orders them; offline, no AWS call",
    ),
  )
    .addOption(
      new Option("--format <format>", `${GRAPH_FORMATS.join(" or ")} (Mermaid renders in GitHub's Markdown)`)
        .argParser(graphFormat)
        .default("mermaid"),
    )
    .action((options: GraphOptions) => import("../actions/graph.js").then((m) => m.runGraph(options)));
}
