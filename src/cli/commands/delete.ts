import { Command } from "commander";
import { runChange } from "../run-stack.js";
import { addStackOptions, type StackOptions } from "./stack-options.js";

export function deleteCommand(): Command {
  return addStackOptions(
    new Command("delete").description("delete everything the stack owns (tag reconcile:stack), in reverse dependency order; nothing else"),
  )
    .option("-y, --yes", "go ahead without asking (required when not on a terminal)")
    .action((options: StackOptions & { yes?: boolean }) => runChange("delete", options));
}
