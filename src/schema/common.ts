import { z } from "zod";

/** A logical name: how one entry of a kind is keyed in the spec and referred to by others. */
export const logicalName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, "a logical name starts with a letter and holds only letters, digits, '-' and '_' (at most 64)");

export const tags = z
  .record(
    z
      .string()
      .min(1)
      .max(128)
      .refine(
        (key) => !/^(aws|reconcile):/i.test(key),
        "tag keys starting with aws: are AWS's and reconcile: are this tool's ownership tags",
      ),
    z.string().max(256),
  )
  .describe("Tags (key: value) applied to every resource of this scope, beside the ownership tags");

/** Picks an existing AWS resource: by id, or by tags. */
export const byIdOrTags = (idPattern: RegExp, what: string) =>
  z.union([
    z.strictObject({ id: z.string().regex(idPattern, `expected ${what} id`).describe(`The id of ${what}`) }),
    z.strictObject({
      tags: z
        .record(z.string(), z.string())
        .refine((t) => Object.keys(t).length > 0, "give at least one tag")
        .describe(`The one ${what.replace(/^an? /, "")} carrying all of these tags (key: value)`),
    }),
  ]);

export const port = z.number().int().min(1).max(65535);
