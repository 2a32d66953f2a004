import type { CommandIO, MetadataBearer } from "@smithy/types";

/**
 * A look, before a call is sent again, at whether its previous attempt took effect: the answer that attempt
 * would have given, or undefined to send the call again.
 */
export type TookEffect<Output extends MetadataBearer> = () => Promise<Omit<Output, "$metadata"> | undefined>;

const checks = new WeakMap<object, TookEffect<MetadataBearer>>();

/**
 * For a call that makes something anew each time it is sent (RegisterTaskDefinition adds a revision, and an
 * emulator may not honour what AWS makes idempotent): when an attempt fails in a way that is retried (its answer
 * lost on a dropped connection, after AWS carried it out), `tookEffect` is asked before the next attempt, and what
 * it finds is the call's answer. The one retry policy of the clients (middleware.ts) still decides whether and
 * when to try again.
 */
export function checkBeforeRetry<Input extends object, Output extends MetadataBearer>(
  command: CommandIO<Input, Output>,
  tookEffect: TookEffect<Output>,
): void {
  checks.set(command.input, tookEffect as TookEffect<MetadataBearer>);
}

/** The check registered for a call's input, if any (the SDK hands every middleware the command's own input object). */
export function retryCheckOf(input: unknown): TookEffect<MetadataBearer> | undefined {
  return typeof input === "object" && input !== null ? checks.get(input) : undefined;
}
