import { loadSpec, loadSpecForDelete, type Spec } from "../schema/index.js";
import { EXIT } from "./exit-codes.js";
import { reportDiagnostics } from "./report-diagnostics.js";

/**
 * Loads and validates the spec; its errors go to stderr and end the command with exit 1. `forDelete`: only the
 * stack, region and network must be valid; the errors elsewhere that delete ignores are shown as warnings.
 */
export async function loadOrExit(
  { file, maxFileSize }: { file: string[]; maxFileSize?: number },
  { forDelete = false } = {},
): Promise<Spec | undefined> {
  const options = { ...(maxFileSize !== undefined && { maxFileBytes: maxFileSize }) };
  const result = forDelete ? await loadSpecForDelete(file, options) : await loadSpec(file, options);
  reportDiagnostics(result, { errorsOnly: true });
  if (!result.spec) process.exitCode = EXIT.failure;
  return result.spec;
}
