import { Command } from "commander";
import { runChange } from "../run-stack.js";
import { waitTimeoutOption } from "./options.js";
import { addStackOptions, type ChangeOptions } from "./stack-options.js";

export function applyCommand(): Command {
  return addStackOptions(
    new Command("apply").description("make AWS match the spec: create, update, replace and prune, in dependency order, only where needed"),
  )
    .option("-y, --yes", "go ahead without asking (required when not on a terminal)")
    .addOption(waitTimeoutOption())
    .option("--no-wait", "do not wait for changed ECS services to become stable (deployment completed, running = desired)")
    .action((options: ChangeOptions) => runChange("apply", options));
}
