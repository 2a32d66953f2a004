import { z } from "zod";
import { specSchema } from "./spec.js";

export const SCHEMA_ID = "https://reconcile.dev/schema/reconcile.schema.json";

/** The spec as JSON Schema (what a user writes, before defaults and unit conversion), for editors. */
export function specJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(specSchema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as Record<string, unknown>;
  return { ...schema, $id: SCHEMA_ID, title: "reconcile spec" };
}
