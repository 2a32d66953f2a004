import { Command } from "commander";
import { addStackOptions, type StackOptions } from "./stack-options.js";

export function statusCommand(): Command {
  return addStackOptions(
    new Command("status").description(
      "show how the stack is doing: services and deployments, target health, scaling and alarms, drift from the spec, the lock; changes nothing",
    ),
  ).action((options: StackOptions) => import("../actions/status.js").then((m) => m.runStatus(options)));
}
