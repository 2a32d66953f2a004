import { describe, expect, it } from "vitest";
import { specJsonSchema } from "../../src/schema/index.js";

type Node = Record<string, unknown>;

/** Every property of the JSON Schema, by its path in a spec (`services.*.taskDefinition`), with whether it has a description. */
function properties(node: unknown, path: string, out: Array<{ path: string; described: boolean }> = []) {
  if (node === null || typeof node !== "object") return out;
  const n = node as Node;
  for (const [name, value] of Object.entries((n.properties ?? {}) as Record<string, Node>)) {
    const at = path ? `${path}.${name}` : name;
    out.push({ path: at, described: typeof value.description === "string" && value.description.trim() !== "" });
    properties(value, at, out);
  }
  if (n.items) properties(n.items, `${path}[]`, out);
  for (const item of (n.prefixItems ?? []) as Node[]) properties(item, `${path}[]`, out);
  if (typeof n.additionalProperties === "object") properties(n.additionalProperties, `${path}.*`, out);
  for (const key of ["anyOf", "oneOf", "allOf"]) for (const branch of (n[key] ?? []) as Node[]) properties(branch, path, out);
  for (const [name, def] of Object.entries((n.$defs ?? {}) as Record<string, Node>)) properties(def, `#/$defs/${name}`, out);
  return out;
}

describe("the JSON Schema editors and readers see", () => {
  const all = properties(specJsonSchema(), "");

  it("walks the whole spec (every kind's fields, nested ones too)", () => {
    const paths = all.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(["region", "namespaces.*.name", "discoveryServices.*.dnsRecords[].type"]));
    expect(paths).toEqual(expect.arrayContaining(["services.*.autoScaling.stepScaling.*.alarm.metric.custom.namespace"]));
    expect(all.length).toBeGreaterThan(300);
  });

  it("describes every field", () => {
    expect(all.filter((p) => !p.described).map((p) => p.path)).toEqual([]);
  });
});
