import { Command } from "commander";
import { addStackOptions, type StackOptions } from "./stack-options.js";

export function planCommand(): Command {
  return addStackOptions(
    new Command("plan").description("show what apply would change, resource by resource and field by field; changes nothing"),
  )
    .option("--detailed-exitcode", "exit 0 when nothing would change, 2 when something would, 1 on error")
    .option("--retry-failed", "plan to deploy again a task definition whose deployment failed, as apply --retry-failed would")
    .action((options: StackOptions & { detailedExitcode?: boolean; retryFailed?: boolean }) =>
      import("../run-stack.js").then((m) => m.runPlan(options)),
    );
}
