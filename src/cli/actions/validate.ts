import { loadSpec } from "../../schema/index.js";
import { EXIT } from "../exit-codes.js";
import { diagnosticsJson } from "../render-diagnostics.js";
import { reportDiagnostics } from "../report-diagnostics.js";
import { styleFor } from "../style.js";

export interface ValidateOptions {
  file: string[];
  json?: boolean;
  maxFileSize: number;
}

export async function runValidate(options: ValidateOptions): Promise<void> {
  const result = await loadSpec(options.file, { maxFileBytes: options.maxFileSize });
  if (options.json) {
    process.stdout.write(JSON.stringify(diagnosticsJson(options.file, result.diagnostics), null, 2) + "\n");
  } else {
    reportDiagnostics(result);
    const out = styleFor(process.stdout);
    const errors = result.diagnostics.filter((d) => d.severity === "error").length;
    const warnings = result.diagnostics.length - errors;
    const counts = `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`;
    process.stdout.write(
      result.spec
        ? `${out.green("valid")}: ${options.file.join(" + ")} (stack ${result.spec.stack}, ${counts})\n`
        : `${out.red("invalid")}: ${options.file.join(" + ")} (${counts})\n`,
    );
  }
  process.exitCode = result.spec ? EXIT.ok : EXIT.failure;
}
