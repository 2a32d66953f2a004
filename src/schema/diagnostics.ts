export type SpecPath = readonly (string | number)[];

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export type Severity = "error" | "warning";

export interface Diagnostic {
  severity: Severity;
  /** A stable, machine-readable name of the problem, such as `unknown-key` or `invalid-reference`. */
  code: string;
  message: string;
  /** Where in the (merged) spec: `["services", "web", "desiredCount"]`. Empty for file-level problems. */
  path: SpecPath;
  location?: SourceLocation;
}

/** `services.web.loadBalancers[0].container` */
export function formatPath(path: SpecPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** One line, as compilers print it: `spec.yaml:12:5: error: services.web.cpu: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.location ? `${d.location.file}:${d.location.line}:${d.location.column}: ` : "";
  const path = d.path.length > 0 ? `${formatPath(d.path)}: ` : "";
  return `${where}${d.severity}: ${path}${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
