import { KnownAfterApply, UNKNOWN } from "../plan/model.js";
import type { Outputs } from "../reconcilers/contract.js";

/** Outputs of the resources that exist (ids, ARNs, names), by address. */
export type KnownOutputs = Map<string, Record<string, string | string[]>>;

/**
 * A lookup of known outputs: what is not known yet (a resource still to be created) is `(known after apply)`, named
 * after `hints` where the plan knows what the resource will be (a task definition's next revision, `shop-web:2`).
 */
export function outputsFrom(
  known: ReadonlyMap<string, Record<string, string | string[]>>,
  hints: ReadonlyMap<string, string> = new Map(),
): Outputs {
  const unknown = (address: string) => {
    const hint = hints.get(address);
    return hint === undefined ? UNKNOWN : KnownAfterApply.named(hint);
  };
  const get = (address: string, output: string): string | string[] | KnownAfterApply => known.get(address)?.[output] ?? unknown(address);
  return {
    string(address, output) {
      const value = get(address, output);
      if (Array.isArray(value)) throw new Error(`${address}.${output} is a list, not a string`);
      return value;
    },
    list(address, output) {
      const value = get(address, output);
      if (typeof value === "string") throw new Error(`${address}.${output} is a string, not a list`);
      return value;
    },
  };
}
