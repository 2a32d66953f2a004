/** Exit codes, the same for every command, as listed in the README. */
export const EXIT = {
  /** Success, and nothing changed (or, without --detailed-exitcode, success). */
  ok: 0,
  /** The spec is invalid, or an operation failed. */
  failure: 1,
  /** With --detailed-exitcode: `plan` has changes to make; `apply`, `delete` and `run --once` made changes. */
  changes: 2,
  /** Another run holds the stack's lease. */
  lockHeld: 3,
  /** Wrong flags or arguments. */
  usage: 64,
  /** Stopped by SIGINT (128 + 2) or SIGTERM (128 + 15): calls in flight finished, nothing new started. */
  interrupted: { SIGINT: 130, SIGTERM: 143 },
} as const;

export type StopSignal = keyof typeof EXIT.interrupted;
