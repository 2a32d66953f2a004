/** How a wait polls: the floor and the ceiling of the backoff between two reads. */
export interface PollOptions {
  minDelaySeconds?: number;
  maxDelaySeconds?: number;
}

/**
 * The bounds of the SDK's waiter (createWaiter) for a wait of `timeoutMs`, the options over the waiting kind's own
 * defaults. Its checks require minDelay > 0, maxWaitTime > minDelay and maxDelay >= minDelay.
 */
export function waiterBounds(timeoutMs: number, options: PollOptions, defaults: Required<PollOptions>) {
  const maxWaitTime = timeoutMs / 1000;
  const minDelay = Math.min(options.minDelaySeconds ?? defaults.minDelaySeconds, maxWaitTime / 2);
  const maxDelay = Math.max(minDelay, options.maxDelaySeconds ?? defaults.maxDelaySeconds);
  return { maxWaitTime, minDelay, maxDelay };
}
