import type { z } from "zod";

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  innerType?: z.ZodType;
  in?: z.ZodType;
  values?: unknown[];
  entries?: Record<string, unknown>;
};

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The keys that the object schemas found at `path` accept (several, where a union has several shapes). */
export function knownKeysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  const keys = new Set<string>();
  for (const found of schemasAt(schema, path)) {
    const def = defOf(found);
    if (def.type === "object" && def.shape) for (const key of Object.keys(def.shape)) keys.add(key);
  }
  return [...keys];
}

/** The forms a value at `path` may take, in a user's words: `"default"`, `{ id: … }`, `a number`. */
export function formsAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  const forms = schemasAt(schema, path).flatMap((found): string[] => {
    const def = defOf(found);
    switch (def.type) {
      case "literal":
        return (def.values ?? []).map((v) => JSON.stringify(v));
      case "enum":
        return Object.values(def.entries ?? {}).map((v) => JSON.stringify(v));
      case "object": {
        const required = Object.entries(def.shape ?? {}).filter(([, field]) => !["optional", "default"].includes(defOf(field).type));
        return [required.length > 0 ? `{ ${required.map(([key]) => `${key}: …`).join(", ")} }` : "a map"];
      }
      case "record":
        return ["a map"];
      case "array":
        return ["a list"];
      case "boolean":
        return ["true or false"];
      default:
        return [`a ${def.type}`];
    }
  });
  return [...new Set(forms)];
}

function schemasAt(schema: z.ZodType, path: readonly (string | number)[]): z.ZodType[] {
  const candidates = unwrap(schema);
  if (path.length === 0) return candidates;
  const [head, ...rest] = path;
  return candidates.flatMap((candidate) => {
    const def = defOf(candidate);
    if (def.type === "object" && def.shape && typeof head === "string" && def.shape[head]) return schemasAt(def.shape[head], rest);
    if (def.type === "record" && def.valueType) return schemasAt(def.valueType, rest);
    if (def.type === "array" && def.element && typeof head === "number") return schemasAt(def.element, rest);
    return [];
  });
}

/** Looks through optional, default, pipes and unions to the schemas that hold a value's shape. */
function unwrap(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "default":
    case "prefault":
    case "nullable":
    case "readonly":
      return unwrap(def.innerType!);
    case "pipe":
      return unwrap(def.in!);
    case "union":
      return def.options!.flatMap(unwrap);
    default:
      return [schema];
  }
}

/** The known key closest to a misspelt one, when it is close enough to be a likely typo. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 4)) ? best.key : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
