import { checkSpec } from "./checks.js";
import { hasErrors, type Diagnostic } from "./diagnostics.js";
import { loadSources, type LoadOptions } from "./load.js";
import { explainAddedKeys } from "./overlay-keys.js";
import type { SourceMap } from "./source-map.js";
import { specSchema, type Spec } from "./spec.js";
import { issuesToDiagnostics } from "./zod-issues.js";

export interface ValidationResult {
  /** The typed spec, when there is no error (warnings allowed). */
  spec?: Spec;
  diagnostics: Diagnostic[];
  sourceMap?: SourceMap;
  /** The text of each spec file read, to quote the offending line. */
  texts?: ReadonlyMap<string, string>;
  /** With loadSpecForDelete: the errors that did not stop it, as warnings (also in `diagnostics`). */
  ignored?: readonly Diagnostic[];
}

/** Validates an already loaded document: the schema first, then the checks that need the whole spec. */
export function validateDocument(value: unknown, sourceMap: SourceMap): ValidationResult {
  const parsed = specSchema.safeParse(value);
  if (!parsed.success) return { diagnostics: issuesToDiagnostics(parsed.error.issues, value, sourceMap), sourceMap };
  const diagnostics = checkSpec(parsed.data, sourceMap);
  return { spec: hasErrors(diagnostics) ? undefined : parsed.data, diagnostics, sourceMap };
}

/** Loads spec files (merged in order), then validates the result. Never throws for a bad spec. */
export async function loadSpec(files: readonly string[], options: LoadOptions = {}): Promise<ValidationResult> {
  const loaded = await loadSources(files, options);
  // An unset variable leaves the document whole, so the rest of it is still checked and reported at once.
  const unreadable = loaded.diagnostics.some((d) => d.severity === "error" && d.code !== "unset-variable");
  if (unreadable) return { diagnostics: loaded.diagnostics, sourceMap: loaded.sourceMap, texts: loaded.texts };
  const result = validateDocument(loaded.value, loaded.sourceMap);
  const diagnostics = sortByLocation([...loaded.diagnostics, ...explainAddedKeys(result.diagnostics, loaded.addedKeys)], files);
  return { ...result, spec: hasErrors(diagnostics) ? undefined : result.spec, diagnostics, texts: loaded.texts };
}

/** In file order, then line and column, as a reader goes through the files. */
export function sortByLocation(diagnostics: Diagnostic[], files: readonly string[]): Diagnostic[] {
  const rank = (d: Diagnostic) => [files.indexOf(d.location?.file ?? ""), d.location?.line ?? 0, d.location?.column ?? 0] as const;
  return diagnostics
    .map((d, index) => ({ d, index, r: rank(d) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.r[2] - b.r[2] || a.index - b.index)
    .map(({ d }) => d);
}
