import { isAlias, isMap, isScalar, isSeq, visit, type Alias, type Document, type Node, type Scalar, type YAMLMap } from "yaml";
import type { Diagnostic, SourceLocation } from "./diagnostics.js";
import type { SourceMap } from "./source-map.js";
import { MAX_DEPTH, MAX_VALUES, TOO_DEEP, TOO_MANY_VALUES } from "./yaml-census.js";

export interface WalkContext {
  at: (offset: number) => SourceLocation;
  sourceMap: SourceMap;
  diagnostics: Diagnostic[];
  scalarValue: (node: Scalar, path: (string | number)[]) => unknown;
}

/** Stops the walk at the first limit passed: what is left would only cost time. */
class LimitExceeded extends Error {}

/**
 * A parsed document as plain values, keeping the location of every key and value. Aliases are expanded
 * here (so the values they produce are counted against MAX_VALUES, which stops an alias bomb after that
 * many), `<<` merge keys are applied (explicit keys win, then earlier sources), and an alias or merge
 * inside the node it names is refused as a cycle. Keys written twice in one map are reported.
 */
export function documentValue(doc: Document, context: WalkContext): unknown {
  const { at, sourceMap, diagnostics, scalarValue } = context;
  const aliasTargets = anchorsOf(doc);
  const ancestors = new Set<Node>();
  let values = 0;
  /** The outermost alias being expanded, and where: an alias bomb is reported there. */
  let expanding: { alias: Alias; path: (string | number)[] } | undefined;

  const refuse = (code: string, message: string, path: (string | number)[], offset: number): never => {
    diagnostics.push({ severity: "error", code, message, path, location: at(offset) });
    throw new LimitExceeded();
  };

  const value = (node: Node | null, path: (string | number)[]): unknown => {
    if (node === null) return null;
    const offset = node.range?.[0] ?? 0;
    if (++values > MAX_VALUES) {
      if (expanding) {
        const message = `alias *${expanding.alias.source} expands this file to more than ${MAX_VALUES.toLocaleString("en")} values, the most a spec file may hold`;
        refuse("too-many-values", message, expanding.path, expanding.alias.range?.[0] ?? 0);
      }
      refuse("too-many-values", TOO_MANY_VALUES, path, offset);
    }
    if (path.length > MAX_DEPTH) refuse("too-deep", TOO_DEEP, path, offset);
    if (node.range) sourceMap.setValue(path, at(offset));
    if (isAlias(node)) return aliasValue(node, path);
    if (isScalar(node)) return scalarValue(node, path);
    if (!isMap(node) && !isSeq(node)) return undefined;
    return within(node, () => {
      if (isSeq(node)) return node.items.map((item, i) => value(item as Node | null, [...path, i]));
      const out: Record<string, unknown> = {};
      fillMap(node, path, out, { merging: false });
      return out;
    });
  };

  const aliasValue = (alias: Alias, path: (string | number)[]): unknown => {
    const target = aliasTargets.get(alias);
    // An alias of no anchor is a parse error the `yaml` library has reported.
    if (!target) return null;
    if (ancestors.has(target)) {
      cycle(`alias *${alias.source} is inside the node it names`, path, alias);
      return null;
    }
    const outer = expanding;
    expanding ??= { alias, path };
    try {
      return value(target, path);
    } finally {
      expanding = outer;
    }
  };

  const fillMap = (node: YAMLMap, path: (string | number)[], out: Record<string, unknown>, { merging }: { merging: boolean }) => {
    const firstSeen = new Map<string, number>();
    const merges: Node[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      if (isMergeKey(keyNode)) {
        if (pair.value) merges.push(pair.value as Node);
        continue;
      }
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const childPath = [...path, key];
      const keyOffset = keyNode?.range?.[0];
      if (!merging) {
        const first = firstSeen.get(key);
        if (first !== undefined) {
          const message = `key \`${key}\` appears twice in this map (first on line ${at(first).line}): YAML keys are unique`;
          diagnostics.push({ severity: "error", code: "duplicate-key", message, path: childPath, location: at(keyOffset ?? 0) });
          continue;
        }
        firstSeen.set(key, keyOffset ?? 0);
      } else if (Object.hasOwn(out, key)) continue;
      if (keyOffset !== undefined) sourceMap.setKey(childPath, at(keyOffset));
      setEntry(out, key, value(pair.value as Node | null, childPath));
      if (!(pair.value as Node | null)?.range && keyOffset !== undefined) sourceMap.setValue(childPath, at(keyOffset));
    }
    for (const source of merges) {
      for (const merged of mergeSources(source, path)) within(merged, () => fillMap(merged, path, out, { merging: true }));
    }
  };

  /** `<<: *base`, `<<: [*a, *b]` or `<<: { … }`: the maps whose entries are merged in, in order. */
  const mergeSources = (source: Node, path: (string | number)[]): YAMLMap[] => {
    const items = isSeq(source) ? (source.items as Node[]) : [source];
    return items.flatMap((item) => {
      const target = isAlias(item) ? aliasTargets.get(item) : item;
      if (target && ancestors.has(target)) {
        cycle(`merge key \`<<: *${(item as Alias).source}\` merges a map into itself`, path, item);
        return [];
      }
      if (target && isMap(target)) return [target];
      if (target) {
        const message = "a merge key `<<` takes a map, an alias of one, or a list of them";
        diagnostics.push({ severity: "error", code: "invalid-merge", message, path, location: at(item.range?.[0] ?? 0) });
      }
      return [];
    });
  };

  const cycle = (message: string, path: (string | number)[], node: Node): void => {
    diagnostics.push({ severity: "error", code: "alias-cycle", message: `${message} (a cycle)`, path, location: at(node.range?.[0] ?? 0) });
  };

  const within = <T>(node: Node, read: () => T): T => {
    ancestors.add(node);
    try {
      return read();
    } finally {
      ancestors.delete(node);
    }
  };

  try {
    return value(doc.contents as Node | null, []);
  } catch (error) {
    if (error instanceof LimitExceeded) return undefined;
    throw error;
  }
}

/** Each alias's node: the last node before it, in document order, with its anchor (as YAML defines it). */
function anchorsOf(doc: Document): Map<Alias, Node> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target) targets.set(node, target);
      } else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

function isMergeKey(node: Node | null): boolean {
  return isScalar(node) && typeof node.value === "symbol" && node.value.description === "<<";
}

/** Defined rather than assigned, so that a key `__proto__` is an entry like any other. */
function setEntry(out: Record<string, unknown>, key: string, entry: unknown): void {
  Object.defineProperty(out, key, { value: entry, enumerable: true, writable: true, configurable: true });
}
