import pRetry from "p-retry";
import { classifyAwsError, type ErrorClass } from "./errors.js";

/** Exponential backoff with jitter, bounded both in attempts and in total time. */
export interface RetryPolicy {
  /** Retries after the first attempt: at most `retries + 1` requests. */
  retries: number;
  /** Pause before the first retry; each later pause is `factor` times the previous one… */
  minTimeoutMs: number;
  /** …up to this. Every pause is then multiplied by a random factor in [1, 2) (jitter). */
  maxTimeoutMs: number;
  factor: number;
  /** No retry starts once this long has passed since the first attempt. */
  maxRetryTimeMs: number;
  /** Bounds that replace `retries` and `maxRetryTimeMs` for Delete* calls; absent: the same bounds as any call. */
  deletions?: { retries: number; maxRetryTimeMs: number };
}

/**
 * Sized for IAM's eventual consistency, the slowest thing a run waits on: a role or policy created a moment
 * ago can take seconds to become usable by ECS or by another policy, and Terraform's AWS provider waits up to
 * 2 minutes for the same propagation. Pauses of 0.5, 1, 2, 4, 8, 16 and then 20 s (each × 1–2 of jitter) give
 * 10 attempts within those 2 minutes, while throttling clears within the first few.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  retries: 9,
  minTimeoutMs: 500,
  maxTimeoutMs: 20_000,
  factor: 2,
  maxRetryTimeMs: 120_000,
  /**
   * AWS refuses to delete what something still uses, and some users take minutes to let go: the network
   * interfaces of a load balancer or task just deleted hold their security groups (DependencyViolation), a
   * target group stays "in use" for a moment after its listener went, a Cloud Map service keeps instances ECS
   * is still deregistering. Deletions wait up to 10 minutes for those, then fail with AWS's message.
   */
  deletions: Object.freeze({ retries: 40, maxRetryTimeMs: 600_000 }),
});

/** The policy for one AWS action: Delete* calls take the policy's `deletions` bounds when it has them. */
export function policyFor(action: string, policy: RetryPolicy): RetryPolicy {
  return policy.deletions && action.startsWith("Delete") ? { ...policy, ...policy.deletions } : policy;
}

export interface FailedAttempt {
  error: unknown;
  /** 1 for the first request. */
  attempt: number;
  errorClass: ErrorClass;
  /** Retries the policy still allows (another attempt follows only if the error is retryable and time remains). */
  retriesLeft: number;
}

export interface RetryHooks {
  /** How to classify a failure; only `retryable` is retried. Default: classifyAwsError. */
  classify?: (error: unknown) => ErrorClass;
  onFailedAttempt?: (failure: FailedAttempt) => void;
}

/** A thrown value that is not an Error, carried through p-retry (which would replace it by a TypeError) and unwrapped after. */
class ThrownValue extends Error {
  constructor(readonly value: unknown) {
    super("a non-Error value was thrown");
  }
}

/**
 * Runs `fn` until it succeeds, its error is not retryable, or the policy's bounds are reached; then throws the
 * last error unchanged. `fn` receives the attempt number (1, 2, …).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<T> {
  const classify = hooks.classify ?? ((error: unknown) => classifyAwsError(error));
  const classes = new WeakMap<Error, ErrorClass>();
  const classOf = (error: Error) => {
    let errorClass = classes.get(error);
    if (errorClass === undefined) {
      errorClass = classify(error instanceof ThrownValue ? error.value : error);
      classes.set(error, errorClass);
    }
    return errorClass;
  };

  try {
    return await pRetry(
      async (attempt) => {
        try {
          return await fn(attempt);
        } catch (error) {
          throw error instanceof Error ? error : new ThrownValue(error);
        }
      },
      {
        retries: policy.retries,
        minTimeout: policy.minTimeoutMs,
        maxTimeout: policy.maxTimeoutMs,
        factor: policy.factor,
        maxRetryTime: policy.maxRetryTimeMs,
        randomize: true,
        shouldRetry: ({ error }) => classOf(error) === "retryable",
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) =>
          hooks.onFailedAttempt?.({
            error: error instanceof ThrownValue ? error.value : error,
            attempt: attemptNumber,
            errorClass: classOf(error),
            retriesLeft,
          }),
      },
    );
  } catch (error) {
    throw error instanceof ThrownValue ? error.value : error;
  }
}
