import { Command } from "commander";
import { runChange } from "../run-stack.js";
import { addStackOptions, type StackOptions } from "./stack-options.js";

export function applyCommand(): Command {
  return addStackOptions(
    new Command("apply").description("make AWS match the spec: create, update, replace and prune, in dependency order, only where needed"),
  )
    .option("-y, --yes", "go ahead without asking (required when not on a terminal)")
    .action((options: StackOptions & { yes?: boolean }) => runChange("apply", options));
}
