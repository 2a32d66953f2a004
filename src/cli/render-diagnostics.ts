import { formatPath, type Diagnostic } from "../schema/index.js";
import type { Style } from "./style.js";

export function renderDiagnostic(d: Diagnostic, style: Style): string {
  const where = d.location ? style.bold(`${d.location.file}:${d.location.line}:${d.location.column}`) + ": " : "";
  const severity = d.severity === "error" ? style.red("error") : style.yellow("warning");
  const path = d.path.length > 0 ? `${formatPath(d.path)}: ` : "";
  return `${where}${severity}: ${path}${d.message} ${style.dim(`[${d.code}]`)}`;
}

/** The JSON form of `validate --json`; its shape is documented in the README and kept stable. */
export function diagnosticsJson(files: readonly string[], diagnostics: readonly Diagnostic[]) {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  return {
    valid: errors === 0,
    files,
    errors,
    warnings: diagnostics.length - errors,
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      code: d.code,
      message: d.message,
      path: formatPath(d.path),
      file: d.location?.file ?? null,
      line: d.location?.line ?? null,
      column: d.location?.column ?? null,
    })),
  };
}
