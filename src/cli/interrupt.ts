import { EXIT, type StopSignal } from "./exit-codes.js";

export interface Interruption {
  /** Aborted at the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** Which one arrived, if any. */
  received(): StopSignal | undefined;
  dispose(): void;
}

/**
 * Turns the first SIGINT or SIGTERM into an abort: calls in flight finish and nothing new starts, so the run can
 * report what it did and release its lease. A second signal ends the process at once.
 */
export function onInterrupt(announce: (signal: StopSignal) => void): Interruption {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const handle = (signal: StopSignal) => {
    if (received) process.exit(EXIT.interrupted[signal]);
    received = signal;
    announce(signal);
    controller.abort(signal);
  };
  const onSigint = () => handle("SIGINT");
  const onSigterm = () => handle("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  return {
    signal: controller.signal,
    received: () => received,
    dispose() {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
    },
  };
}
