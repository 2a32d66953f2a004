import { formatPath, type Diagnostic } from "../schema/index.js";
import type { Style } from "./style.js";

/**
 * `file:line:col: error: path: message [code]`, then the line quoted with a caret under the column, as
 * compilers print it, when the file's text is at hand.
 */
export function renderDiagnostic(d: Diagnostic, style: Style, texts?: ReadonlyMap<string, string>): string {
  const where = d.location ? style.bold(`${d.location.file}:${d.location.line}:${d.location.column}`) + ": " : "";
  const severity = d.severity === "error" ? style.red("error") : style.yellow("warning");
  const path = d.path.length > 0 ? `${formatPath(d.path)}: ` : "";
  const headline = `${where}${severity}: ${path}${d.message} ${style.dim(`[${d.code}]`)}`;
  // An environment line may hold a secret in clear (the plain-secret warning is about exactly that): never quote it.
  const quotable = !d.path.includes("environment");
  const line = quotable && d.location ? texts?.get(d.location.file)?.split(/\r?\n/)[d.location.line - 1] : undefined;
  if (!d.location || !line) return headline;
  const gutter = String(d.location.line);
  const caret = " ".repeat(Math.max(0, d.location.column - 1)) + "^";
  return `${headline}\n ${style.dim(`${gutter} |`)} ${line}\n ${style.dim(`${" ".repeat(gutter.length)} |`)} ${d.severity === "error" ? style.red(caret) : style.yellow(caret)}`;
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
