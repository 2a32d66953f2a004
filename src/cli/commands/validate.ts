import { Command } from "commander";
import type { ValidateOptions } from "../actions/validate.js";
import { addSpecFiles, maxFileSizeOption } from "./options.js";

export function validateCommand(): Command {
  return addSpecFiles(
    new Command("validate").description("check spec files offline: schema, references, sizes, names; print errors and warnings"),
  )
    .addOption(maxFileSizeOption())
    .option("--json", "print the result as JSON on stdout")
    .action(async (options: ValidateOptions) => (await import("../actions/validate.js")).runValidate(options));
}
