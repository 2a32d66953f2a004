import type { SourceLocation, SpecPath } from "./diagnostics.js";

const key = (path: SpecPath): string => path.map(String).join("\u0000");

/**
 * Where each value of a loaded spec came from. Every map entry, list item and scalar has the location of
 * its value; map entries also have the location of their key, which is where an unknown key is reported.
 */
export class SourceMap {
  private readonly values = new Map<string, SourceLocation>();
  private readonly keys = new Map<string, SourceLocation>();

  constructor(readonly defaultLocation: SourceLocation) {}

  setValue(path: SpecPath, location: SourceLocation): void {
    this.values.set(key(path), location);
  }

  setKey(path: SpecPath, location: SourceLocation): void {
    this.keys.set(key(path), location);
  }

  valueAt(path: SpecPath): SourceLocation | undefined {
    return this.values.get(key(path));
  }

  keyAt(path: SpecPath): SourceLocation | undefined {
    return this.keys.get(key(path));
  }

  /**
   * The location of the value at `path`, or of its nearest ancestor that is in the source (a value filled
   * in by a default has none of its own). With `preferKey`, the key of the entry is preferred.
   */
  locate(path: SpecPath, options: { preferKey?: boolean } = {}): SourceLocation {
    for (let end = path.length; end >= 0; end--) {
      const prefix = path.slice(0, end);
      const keyLocation = this.keyAt(prefix);
      const valueLocation = this.valueAt(prefix);
      // A block map or list starts on the line after its key; the key is where a reader looks for it.
      const keyFirst = options.preferKey || (keyLocation && valueLocation && valueLocation.line > keyLocation.line);
      const found = keyFirst ? (keyLocation ?? valueLocation) : (valueLocation ?? keyLocation);
      if (found) return found;
    }
    return this.defaultLocation;
  }

  /** Copies the locations of every path of `value` (a merged tree) from the first map that has it. */
  static forMerged(value: unknown, sources: readonly SourceMap[], defaultLocation: SourceLocation): SourceMap {
    const merged = new SourceMap(defaultLocation);
    const visit = (node: unknown, path: (string | number)[]): void => {
      const valueLocation = firstDefined(sources, (s) => s.valueAt(path));
      if (valueLocation) merged.setValue(path, valueLocation);
      const keyLocation = firstDefined(sources, (s) => s.keyAt(path));
      if (keyLocation) merged.setKey(path, keyLocation);
      if (Array.isArray(node)) node.forEach((item, i) => visit(item, [...path, i]));
      else if (isPlainObject(node)) for (const [k, v] of Object.entries(node)) visit(v, [...path, k]);
    };
    visit(value, []);
    return merged;
  }
}

function firstDefined<T>(sources: readonly SourceMap[], pick: (s: SourceMap) => T | undefined): T | undefined {
  for (const source of sources) {
    const found = pick(source);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
