import { Command, CommanderError } from "commander";
import { createRequire } from "node:module";
import { applyCommand } from "./commands/apply.js";
import { deleteCommand } from "./commands/delete.js";
import { doctorCommand } from "./commands/doctor.js";
import { graphCommand } from "./commands/graph.js";
import { planCommand } from "./commands/plan.js";
import { runCommand } from "./commands/run.js";
import { schemaCommand } from "./commands/schema.js";
import { statusCommand } from "./commands/status.js";
import { unlockCommand } from "./commands/unlock.js";
import { validateCommand } from "./commands/validate.js";
import { EXIT } from "./exit-codes.js";

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

export function buildProgram(): Command {
  const program = new Command("reconcile")
    .description("Declarative reconciler for a containerised web system on AWS (ALB, ECS Fargate, auto scaling, Cloud Map)")
    .version(version)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const command of [
    validateCommand(),
    planCommand(),
    applyCommand(),
    deleteCommand(),
    runCommand(),
    statusCommand(),
    graphCommand(),
    unlockCommand(),
    schemaCommand(),
    doctorCommand(),
  ])
    program.addCommand(command.exitOverride());
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    // Loaded here rather than at the top: --version and --help must not pay for the AWS error formats.
    const { describeFailure } = await import("../engine/failure.js");
    process.stderr.write(`reconcile: ${describeFailure(error)}\n`);
    return EXIT.failure;
  }
}
