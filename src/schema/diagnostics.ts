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

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
