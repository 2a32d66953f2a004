import { loadSpec, type Spec } from "../schema/index.js";
import { EXIT } from "./exit-codes.js";
import { reportDiagnostics } from "./report-diagnostics.js";

/** Loads and validates the spec; its errors go to stderr and end the command with exit 1. */
export async function loadOrExit({ file, maxFileSize }: { file: string[]; maxFileSize?: number }): Promise<Spec | undefined> {
  const result = await loadSpec(file, { ...(maxFileSize !== undefined && { maxFileBytes: maxFileSize }) });
  reportDiagnostics(result, { errorsOnly: true });
  if (!result.spec) process.exitCode = EXIT.failure;
  return result.spec;
}
