import { Command } from "commander";
import { runChange } from "../run-stack.js";
import { waitTimeoutOption } from "./options.js";
import { addStackOptions, type ChangeOptions } from "./stack-options.js";

export function deleteCommand(): Command {
  return addStackOptions(
    new Command("delete").description("delete everything the stack owns (tag reconcile:stack), in reverse dependency order; nothing else"),
  )
    .option("-y, --yes", "go ahead without asking (required when not on a terminal)")
    .addOption(waitTimeoutOption())
    .action((options: ChangeOptions) => runChange("delete", options));
}
