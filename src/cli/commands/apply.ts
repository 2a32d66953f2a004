import { Command } from "commander";
import type { PrintOptions } from "../run-stack.js";
import { compactOption } from "./plan.js";
import { addChangeOptions, type ChangeOptions } from "./stack-options.js";

export function applyCommand(): Command {
  return addChangeOptions(
    new Command("apply").description("make AWS match the spec: create, update, replace and prune, in dependency order, only where needed"),
  )
    .addOption(compactOption())
    .option("--no-wait", "do not wait for changed ECS services to become stable (deployment completed, running = desired)")
    .option("--retry-failed", "deploy again a task definition whose deployment failed (by default it is reported, not retried)")
    .action((options: ChangeOptions & PrintOptions) => import("../run-stack.js").then((m) => m.runChange("apply", options)));
}
