import { readFile } from "node:fs/promises";
import { Alias, isAlias, isMap, isScalar, isSeq, LineCounter, parse as parseYaml, parseDocument, type Document, type Node } from "yaml";
import type { Diagnostic, SourceLocation } from "./diagnostics.js";
import { hasInterpolation, interpolate, type Environment } from "./interpolate.js";
import { deepMerge } from "./merge.js";
import { isPlainObject, SourceMap } from "./source-map.js";

export interface LoadedSource {
  /** The merged, interpolated document, before schema validation. */
  value: unknown;
  sourceMap: SourceMap;
  files: readonly string[];
  /** Each file's text, to quote the offending line in a diagnostic. */
  texts: ReadonlyMap<string, string>;
  diagnostics: Diagnostic[];
}

export interface LoadOptions {
  env?: Environment;
  /** Reads a file; tests and editors can pass text that is not on disk. */
  readText?: (file: string) => Promise<string>;
}

/** Reads, interpolates and merges spec files in order. Problems come back as diagnostics, never thrown. */
export async function loadSources(files: readonly string[], options: LoadOptions = {}): Promise<LoadedSource> {
  if (files.length === 0) throw new Error("no spec file given");
  const env = options.env ?? process.env;
  const readText = options.readText ?? ((file: string) => readFile(file, "utf8"));
  const diagnostics: Diagnostic[] = [];
  const parsed: { value: unknown; sourceMap: SourceMap }[] = [];
  const texts = new Map<string, string>();

  for (const file of files) {
    let text: string;
    try {
      text = await readText(file);
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
    texts.set(file, text);
    parsed.push(parseSpecText(text, file, env, diagnostics));
  }

  const value = parsed.reduce<unknown>((merged, next) => (merged === undefined ? next.value : deepMerge(merged, next.value)), undefined);
  const defaultLocation = { file: files[0]!, line: 1, column: 1 };
  const sourceMap = SourceMap.forMerged(value, parsed.map((p) => p.sourceMap).reverse(), defaultLocation);
  return { value, sourceMap, files, texts, diagnostics };
}

/** Parses one YAML text, keeping the location of every key and value and interpolating `${VAR}`. */
export function parseSpecText(
  text: string,
  file: string,
  env: Environment,
  diagnostics: Diagnostic[],
): { value: unknown; sourceMap: SourceMap } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const sourceMap = new SourceMap(at(0));

  for (const error of doc.errors) {
    diagnostics.push({ severity: "error", code: "yaml-syntax", message: firstLine(error.message), path: [], location: at(error.pos[0]) });
  }
  if (doc.errors.length > 0) return { value: undefined, sourceMap };

  const visit = (node: Node | null, path: (string | number)[]): unknown => {
    if (node === null) return null;
    if (node.range) sourceMap.setValue(path, at(node.range[0]));
    if (isAlias(node)) return visit((node as Alias).resolve(doc as Document) ?? null, path);
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const childPath = [...path, key];
        if (keyNode?.range) sourceMap.setKey(childPath, at(keyNode.range[0]));
        out[key] = visit(pair.value as Node | null, childPath);
        if (!(pair.value as Node | null)?.range && keyNode?.range) sourceMap.setValue(childPath, at(keyNode.range[0]));
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item, i) => visit(item as Node | null, [...path, i]));
    if (isScalar(node)) return scalarValue(node, path);
    return undefined;
  };

  const scalarValue = (node: import("yaml").Scalar, path: (string | number)[]): unknown => {
    if (typeof node.value !== "string" || !hasInterpolation(node.source ?? node.value)) return node.value;
    const { value, problems } = interpolate(node.value, env);
    for (const problem of problems) {
      const start = node.range ? node.range[0] + (node.type === "PLAIN" ? problem.offset : 0) : 0;
      diagnostics.push({ severity: "error", code: "unset-variable", message: problem.message, path, location: at(start) });
    }
    // An unquoted value is read again as YAML, so that `replicas: ${N:-2}` is the number 2, as written.
    return node.type === "PLAIN" ? readPlainScalar(value) : value;
  };

  const value = visit(doc.contents as Node | null, []);
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
