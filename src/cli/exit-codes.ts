/** Exit codes, as listed in the README. */
export const EXIT = {
  ok: 0,
  /** The spec is invalid, or an operation failed. */
  failure: 1,
  /** `plan --detailed-exitcode`: the plan has changes. */
  changes: 2,
  /** Wrong flags or arguments. */
  usage: 64,
} as const;
