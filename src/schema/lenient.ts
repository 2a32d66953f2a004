import { formatPath, type Diagnostic, type SpecPath } from "./diagnostics.js";
import { loadSources, type LoadOptions } from "./load.js";
import { isPlainObject } from "./source-map.js";
import { sortByLocation, validateDocument, type ValidationResult } from "./validate.js";

/** What `delete` cannot do without: whose resources (the stack), where (the region), and the network it looks up. */
const NEEDED = new Set(["stack", "region", "network"]);

/**
 * Loads spec files for `delete`, which finds what the stack owns by its tags and needs of the spec only the stack,
 * the region and the network. An error elsewhere, an unset variable included, does not stop a teardown: the
 * resource it is in (`services.web`), or the top-level key (`tags`), is left out, and the error comes back as a
 * warning in `ignored`. Left out, a resource is not looked up by name: it is deleted once found by its tags, as
 * everything the stack owns is. What then no longer holds (a service whose task definition was left out) is left
 * out in turn, until the rest is valid. Errors in the stack, region or network, and files that cannot be read or
 * parsed, stay errors.
 */
export async function loadSpecForDelete(files: readonly string[], options: LoadOptions = {}): Promise<ValidationResult> {
  const loaded = await loadSources(files, options);
  const unreadable = loaded.diagnostics.some((d) => d.severity === "error" && d.code !== "unset-variable");
  if (unreadable) return { diagnostics: loaded.diagnostics, sourceMap: loaded.sourceMap, texts: loaded.texts };

  const value: Record<string, unknown> = isPlainObject(loaded.value) ? { ...loaded.value } : {};
  const ignored: Diagnostic[] = [];
  let problems = loaded.diagnostics;
  for (;;) {
    const fatal = problems.filter((d) => d.severity === "error" && partOf(d.path) === undefined);
    if (fatal.length > 0) {
      return { diagnostics: sortByLocation([...fatal, ...ignored], files), ignored, sourceMap: loaded.sourceMap, texts: loaded.texts };
    }
    const errors = problems.filter((p) => p.severity === "error");
    let changed = errors.length === 0;
    for (const d of errors) {
      const part = partOf(d.path)!;
      changed = leaveOut(value, part) || changed;
      ignored.push({
        ...d,
        severity: "warning",
        message: `${d.message} (ignored by delete, which finds \`${formatPath(part)}\` by the stack's tags alone)`,
      });
    }
    // Cannot happen while every error names a part of the document; if one did not, it would come back forever.
    if (!changed) throw new Error(`cannot leave out what these errors are about: ${problems.map((d) => formatPath(d.path)).join(", ")}`);
    const result = validateDocument(value, loaded.sourceMap);
    problems = result.diagnostics.filter((d) => d.severity === "error");
    if (problems.length === 0) {
      const diagnostics = sortByLocation([...ignored, ...result.diagnostics], files);
      return { ...result, diagnostics, ignored: sortByLocation(ignored, files), texts: loaded.texts };
    }
  }
}

/** The part of the spec an error at `path` takes out: its resource, or its top-level key; none for stack, region or network. */
function partOf(path: SpecPath): SpecPath | undefined {
  const [head, logical] = path;
  if (head === undefined || NEEDED.has(String(head))) return undefined;
  return head !== "tags" && logical !== undefined ? [head, logical] : [head];
}

/** Whether there was something to take out. */
function leaveOut(value: Record<string, unknown>, part: SpecPath): boolean {
  const [head, logical] = part.map(String) as [string, string | undefined];
  if (!Object.hasOwn(value, head)) return false;
  const entries = value[head];
  if (logical === undefined || !isPlainObject(entries)) return delete value[head];
  if (!Object.hasOwn(entries, logical)) return false;
  value[head] = Object.fromEntries(Object.entries(entries).filter(([key]) => key !== logical));
  return true;
}
