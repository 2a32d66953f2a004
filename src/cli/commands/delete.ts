import { Command } from "commander";
import { addChangeOptions, type ChangeOptions } from "./stack-options.js";

export function deleteCommand(): Command {
  return addChangeOptions(
    new Command("delete").description("delete everything the stack owns (tag reconcile:stack), in reverse dependency order; nothing else"),
  ).action((options: ChangeOptions) => import("../run-stack.js").then((m) => m.runChange("delete", options)));
}
