import { LineCounter, parse as parseYaml, parseDocument, type Scalar, type YAMLError } from "yaml";
import type { Diagnostic, SourceLocation, SpecPath } from "./diagnostics.js";
import { hasInterpolation, interpolate, type Environment } from "./interpolate.js";
import { deepMerge } from "./merge.js";
import { isPlainObject, SourceMap } from "./source-map.js";
import { decodeSpecFile, DEFAULT_MAX_FILE_BYTES, readSpecBytes } from "./spec-file.js";
import { censusLimitExceeded, TOO_DEEP, TOO_MANY_VALUES } from "./yaml-census.js";
import { documentValue } from "./yaml-walk.js";

export interface LoadedSource {
  /** The merged, interpolated document, before schema validation. */
  value: unknown;
  sourceMap: SourceMap;
  files: readonly string[];
  /** Each file's text, to quote the offending line in a diagnostic. */
  texts: ReadonlyMap<string, string>;
  diagnostics: Diagnostic[];
  /** The keys an overlay (a file after the first) adds to a map of the files before it, where the overlay writes them. */
  addedKeys: AddedKey[];
}

export interface AddedKey {
  path: SpecPath;
  location: SourceLocation;
  /** The files before the overlay, and the keys they give the map it adds to. */
  baseFiles: readonly string[];
  baseKeys: readonly string[];
}

export interface LoadOptions {
  env?: Environment;
  /**
   * Reads a file; tests and editors can pass content that is not on disk: text, or bytes to be checked
   * and decoded as a file's are (UTF-8 only).
   */
  readText?: (file: string) => Promise<string | Uint8Array>;
  /** Files larger than this many bytes are refused unread (default DEFAULT_MAX_FILE_BYTES, 5 MB). */
  maxFileBytes?: number;
}

/** Reads, interpolates and merges spec files in order. Problems come back as diagnostics, never thrown. */
export async function loadSources(files: readonly string[], options: LoadOptions = {}): Promise<LoadedSource> {
  if (files.length === 0) throw new Error("no spec file given");
  const env = options.env ?? process.env;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const readText = options.readText ?? ((file: string) => readSpecBytes(file, maxFileBytes));
  const diagnostics: Diagnostic[] = [];
  const parsed: { value: unknown; sourceMap: SourceMap; file: string }[] = [];
  const texts = new Map<string, string>();

  for (const file of files) {
    let content: string | Uint8Array;
    try {
      content = await readText(file);
    } catch (error) {
      diagnostics.push({
        severity: "error",
        code: "unreadable-file",
        message: `cannot read ${file}: ${(error as Error).message}`,
        path: [],
        location: { file, line: 1, column: 1 },
      });
      continue;
    }
    const decoded = decodeSpecFile(content, file, maxFileBytes);
    if ("problem" in decoded) {
      diagnostics.push(decoded.problem);
      continue;
    }
    texts.set(file, decoded.text);
    parsed.push({ ...parseSpecText(decoded.text, file, env, diagnostics), file });
  }

  const addedKeys: AddedKey[] = [];
  let value: unknown = undefined;
  parsed.forEach((next, i) => {
    if (value !== undefined) {
      const baseFiles = parsed.slice(0, i).map((p) => p.file);
      for (const path of keysAdded(value, next.value)) {
        const location = next.sourceMap.keyAt(path) ?? next.sourceMap.defaultLocation;
        addedKeys.push({ path, location, baseFiles, baseKeys: Object.keys(mapAt(value, path.slice(0, -1))) });
      }
    }
    value = value === undefined ? next.value : deepMerge(value, next.value);
  });
  const defaultLocation = { file: files[0]!, line: 1, column: 1 };
  const sourceMap = SourceMap.forMerged(value, parsed.map((p) => p.sourceMap).reverse(), defaultLocation);
  return { value, sourceMap, files, texts, diagnostics, addedKeys };
}

/** The paths of the keys `overlay` adds to maps that `base` has (not those below them, nor at the top level). */
function keysAdded(base: unknown, overlay: unknown, path: readonly string[] = []): SpecPath[] {
  if (!isPlainObject(base) || !isPlainObject(overlay)) return [];
  return Object.entries(overlay).flatMap(([key, value]) => {
    if (value === null) return [];
    if (Object.hasOwn(base, key)) return keysAdded(base[key], value, [...path, key]);
    return path.length > 0 ? [[...path, key]] : [];
  });
}

function mapAt(value: unknown, path: SpecPath): Record<string, unknown> {
  let node = value;
  for (const part of path) node = isPlainObject(node) ? node[String(part)] : undefined;
  return isPlainObject(node) ? node : {};
}

/**
 * Parses one YAML text, keeping the location of every key and value and interpolating `${VAR}`. A text over
 * the limits (MAX_VALUES with aliases expanded, MAX_DEPTH), with more than one document, or with an alias or
 * merge key inside the node it names is refused with a diagnostic at the line where it goes wrong.
 */
export function parseSpecText(
  text: string,
  file: string,
  env: Environment,
  diagnostics: Diagnostic[],
): { value: unknown; sourceMap: SourceMap } {
  const lineCounter = new LineCounter();
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const census = censusLimitExceeded(text);
  if (census) {
    // The parser has not counted the lines: count them up to the offset here.
    const before = text.slice(0, census.offset);
    const line = before.split("\n").length;
    const location = { file, line, column: census.offset - before.lastIndexOf("\n") };
    const message = census.limit === "depth" ? TOO_DEEP : TOO_MANY_VALUES;
    diagnostics.push({ severity: "error", code: census.limit === "depth" ? "too-deep" : "too-many-values", message, path: [], location });
    return { value: undefined, sourceMap: new SourceMap({ file, line: 1, column: 1 }) };
  }

  // Duplicate keys are found by the walk: the library's check compares each key with every other (quadratic).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  const sourceMap = new SourceMap(at(0));
  // The composer reports running out of stack once for each level it unwinds: the first says it all.
  const firstExhaustion = doc.errors.findIndex((e) => e.code === "RESOURCE_EXHAUSTION");
  const errors = doc.errors.filter((error, i) => error.code !== "RESOURCE_EXHAUSTION" || i === firstExhaustion);
  for (const error of errors) diagnostics.push({ ...yamlErrorDiagnostic(error), path: [], location: at(error.pos[0]) });
  if (doc.errors.length > 0) return { value: undefined, sourceMap };

  const scalarValue = (node: Scalar, path: (string | number)[]): unknown => {
    if (typeof node.value !== "string" || !hasInterpolation(node.source ?? node.value)) return node.value;
    const { value, problems } = interpolate(node.value, env);
    for (const problem of problems) {
      const start = node.range ? node.range[0] + (node.type === "PLAIN" ? problem.offset : 0) : 0;
      diagnostics.push({ severity: "error", code: "unset-variable", message: problem.message, path, location: at(start) });
    }
    // An unquoted value is read again as YAML, so that `replicas: ${N:-2}` is the number 2, as written.
    return node.type === "PLAIN" ? readPlainScalar(value) : value;
  };

  const value = documentValue(doc, { at, sourceMap, diagnostics, scalarValue });
  if (value !== null && value !== undefined && !isPlainObject(value)) {
    diagnostics.push({
      severity: "error",
      code: "not-a-map",
      message: "a spec file is a YAML map of settings (stack, region, network, …)",
      path: [],
      location: at(0),
    });
  }
  return { value: value ?? {}, sourceMap };
}

/** The library's errors in the words of the other diagnostics; most are kept as it writes them. */
function yamlErrorDiagnostic(error: YAMLError): Pick<Diagnostic, "severity" | "code" | "message"> {
  if (error.code === "MULTIPLE_DOCS") {
    const message = "a second YAML document starts here: a spec file holds one; put each in a file of its own and merge them with -f";
    return { severity: "error", code: "multiple-documents", message };
  }
  // The composer ran out of stack on nesting the census let through (block nesting, which it does not measure).
  if (error.code === "RESOURCE_EXHAUSTION") return { severity: "error", code: "too-deep", message: TOO_DEEP };
  return { severity: "error", code: "yaml-syntax", message: firstLine(error.message) };
}

function readPlainScalar(text: string): unknown {
  try {
    const value: unknown = parseYaml(text);
    return value === null || typeof value === "object" ? text : value;
  } catch {
    return text;
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.trim();
}
