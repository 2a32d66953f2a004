import { Command, Option } from "commander";
import type { PrintOptions } from "../run-stack.js";
import { addStackOptions, type StackOptions } from "./stack-options.js";

/** `--compact`, wherever a plan is printed (plan, apply, delete). */
export const compactOption = () => new Option("--compact", "print the plan one line per resource (how many fields change), no field lines");

export function planCommand(): Command {
  return addStackOptions(
    new Command("plan").description("show what apply would change, resource by resource and field by field; changes nothing"),
  )
    .addOption(compactOption())
    .option("--detailed-exitcode", "exit 0 when nothing would change, 2 when something would, 1 on error")
    .option("--retry-failed", "plan to deploy again a task definition whose deployment failed, as apply --retry-failed would")
    .action((options: StackOptions & PrintOptions & { detailedExitcode?: boolean; retryFailed?: boolean }) =>
      import("../run-stack.js").then((m) => m.runPlan(options)),
    );
}
