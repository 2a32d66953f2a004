import { writeFile } from "node:fs/promises";
import { Command } from "commander";

export function schemaCommand(): Command {
  return new Command("schema")
    .description("print the JSON Schema of the spec (for editors with the YAML language server)")
    .option("-o, --output <path>", "write it to this file instead of stdout")
    .action(async (options: { output?: string }) => {
      const { specJsonSchema } = await import("../../schema/index.js");
      const text = JSON.stringify(specJsonSchema(), null, 2) + "\n";
      if (options.output) await writeFile(options.output, text);
      else process.stdout.write(text);
    });
}
