import { isDeepStrictEqual } from "node:util";
import { KnownAfterApply, type FieldDiff } from "../plan/model.js";
import type { Tags } from "./contract.js";

/** One field: no diff when equal; a value still unknown always differs (it shows as `(known after apply)`). */
export function diffField(path: string, before: unknown, after: unknown, options: { forcesReplacement?: boolean } = {}): FieldDiff[] {
  if (!(after instanceof KnownAfterApply) && isDeepStrictEqual(before, after)) return [];
  return [
    {
      path,
      ...(before !== undefined && { before }),
      ...(after !== undefined && { after }),
      ...(options.forcesReplacement && { forcesReplacement: true }),
    },
  ];
}

/** Tags are the stack's on a resource it owns: extra ones are removed, except AWS's own `aws:` tags. */
export function diffTags(desired: Tags, observed: Tags): FieldDiff[] {
  const keys = new Set([...Object.keys(desired), ...Object.keys(observed).filter((k) => !k.startsWith("aws:"))]);
  return [...keys].sort().flatMap((key) => diffField(`tags.${key}`, observed[key], desired[key]));
}

/** The tag writes that take a resource from its tags to the desired ones: the keys diffTags lists, set or removed. */
export interface TagChange {
  set: Tags;
  remove: string[];
}

export function tagChange(desired: Tags, observed: Tags): TagChange {
  const set: Tags = {};
  const remove: string[] = [];
  for (const key of Object.keys(desired).sort()) if (observed[key] !== desired[key]) set[key] = desired[key]!;
  for (const key of Object.keys(observed).sort()) if (!(key in desired) && !key.startsWith("aws:")) remove.push(key);
  return { set, remove };
}

/** The tags once the change is made: the observed ones with its keys set or removed (AWS's own stay). */
export function applyTagChange(observed: Tags, change: TagChange): Tags {
  const tags = { ...observed, ...change.set };
  for (const key of change.remove) delete tags[key];
  return tags;
}

export const toTagList = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** ECS's tag form, `{ key, value }`. */
export function fromEcsTags(list: ReadonlyArray<{ key?: string; value?: string }> | undefined): Tags {
  const tags: Tags = {};
  for (const t of list ?? []) if (t.key !== undefined) tags[t.key] = t.value ?? "";
  return tags;
}

export function fromTagList(list: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): Tags {
  const tags: Tags = {};
  for (const t of list ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? "";
  return tags;
}

/** A value the engine guarantees known at apply time (its dependencies ran first). */
export function known<T>(value: T | KnownAfterApply, what: string): T {
  if (value instanceof KnownAfterApply) throw new Error(`${what} is not known yet: its dependency has not been created`);
  return value;
}

/** Distinct values in sorted order: how lists that AWS treats as sets (subnets, groups, patterns) are compared. */
export const sortedSet = (values: readonly string[]): string[] => [...new Set(values)].sort();

/**
 * A request built from a desired value, in which what other nodes' outputs give (a task definition's ARN, a role's,
 * subnets) may still be `(known after apply)` at plan time. The engine builds it again at apply time, once they are
 * known; `resolved` then gives the request itself.
 */
export type Pending<T> = T extends KnownAfterApply
  ? T
  : T extends string | number | boolean
    ? T | KnownAfterApply
    : T extends ReadonlyArray<infer U>
      ? Pending<U>[] | KnownAfterApply
      : T extends object
        ? { [K in keyof T]: Pending<T[K]> }
        : T;

/** The request with every value known; throws (naming `what`) if one is not, which the engine's order rules out. */
export function resolved<T>(value: Pending<T>, what: string): T {
  const resolve = (v: unknown): unknown => {
    if (v instanceof KnownAfterApply) return known(v, what);
    if (Array.isArray(v)) return v.map(resolve);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([key, inner]) => [key, resolve(inner)]));
    return v;
  };
  return resolve(value) as T;
}
