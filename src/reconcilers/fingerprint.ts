import { createHash } from "node:crypto";

/** JSON with every object's keys sorted, so that equal content gives equal text whatever order it was written in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * Hex of the SHA-256 of the value's canonical JSON, cut to `length` digits: the one way the kinds name content
 * (generation names, content fingerprints, idempotency tokens), so equal content always gets the same name.
 */
export function fingerprint(value: unknown, length = 64): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, length);
}
