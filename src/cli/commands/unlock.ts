import { Command } from "commander";
import { addStackOptions, type StackOptions } from "./stack-options.js";

export function unlockCommand(): Command {
  return addStackOptions(
    new Command("unlock").description("remove the stack's lease by hand (a run that can no longer release it); asks first"),
  )
    .option("-y, --yes", "go ahead without asking (required when not on a terminal)")
    .action((options: StackOptions & { yes?: boolean }) => import("../run-stack.js").then((m) => m.runUnlock(options)));
}
