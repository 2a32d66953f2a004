import type { ValidationResult } from "../schema/index.js";
import { renderDiagnostic } from "./render-diagnostics.js";
import { styleFor } from "./style.js";

/** Writes a validation's diagnostics to stderr, each with its quoted line; `errorsOnly` leaves warnings to `validate`. */
export function reportDiagnostics(result: ValidationResult, { errorsOnly = false } = {}): void {
  const style = styleFor(process.stderr);
  for (const d of result.diagnostics) {
    if (errorsOnly && d.severity !== "error") continue;
    process.stderr.write(renderDiagnostic(d, style, result.texts) + "\n");
  }
}
