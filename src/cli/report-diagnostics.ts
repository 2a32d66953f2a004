import type { ValidationResult } from "../schema/index.js";
import { renderDiagnostic } from "./render-diagnostics.js";
import { styleFor } from "./style.js";

/**
 * Writes a validation's diagnostics to stderr, each with its quoted line; `errorsOnly` leaves warnings to
 * `validate`, but for the errors a lenient load ignored (`result.ignored`): those are always shown.
 */
export function reportDiagnostics(result: ValidationResult, { errorsOnly = false } = {}): void {
  const style = styleFor(process.stderr);
  const ignored = new Set(result.ignored);
  for (const d of result.diagnostics) {
    if (errorsOnly && d.severity !== "error" && !ignored.has(d)) continue;
    process.stderr.write(renderDiagnostic(d, style, result.texts) + "\n");
  }
}
