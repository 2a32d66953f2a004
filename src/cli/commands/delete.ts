import { Command } from "commander";
import type { PrintOptions } from "../run-stack.js";
import { compactOption } from "./plan.js";
import { addChangeOptions, type ChangeOptions } from "./stack-options.js";

export function deleteCommand(): Command {
  return addChangeOptions(
    new Command("delete").description("delete everything the stack owns (tag reconcile:stack), in reverse dependency order; nothing else"),
  )
    .addOption(compactOption())
    .action((options: ChangeOptions & PrintOptions) => import("../run-stack.js").then((m) => m.runChange("delete", options)));
}
