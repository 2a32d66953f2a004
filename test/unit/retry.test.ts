import { NoSuchEntityException } from "@aws-sdk/client-iam";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ErrorClass } from "../../src/aws/errors.js";
import { DEFAULT_RETRY_POLICY, policyFor, withRetry, type FailedAttempt, type RetryPolicy } from "../../src/aws/retry.js";

/** No pauses at all: these tests count attempts, never wall-clock time. */
const IMMEDIATE: RetryPolicy = { retries: 3, minTimeoutMs: 0, maxTimeoutMs: 0, factor: 2, maxRetryTimeMs: 60_000 };

const throttled = (n: number) => Object.assign(new Error(`throttled #${n}`), { name: "Throttling", $metadata: { httpStatusCode: 400 } });
const notFound = () => new NoSuchEntityException({ message: "Role r not found", $metadata: { httpStatusCode: 404 } });

/** A function that fails with the given errors in turn, then returns "done"; it records its attempt numbers. */
function scripted(failures: unknown[]) {
  const attempts: number[] = [];
  const fn = async (attempt: number) => {
    attempts.push(attempt);
    if (attempts.length <= failures.length) throw failures[attempts.length - 1];
    return "done";
  };
  return { fn, attempts };
}

describe("withRetry", () => {
  it("retries retryable errors until the call succeeds, counting each attempt", async () => {
    const { fn, attempts } = scripted([throttled(1), throttled(2)]);
    await expect(withRetry(fn, IMMEDIATE)).resolves.toBe("done");
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("does not retry an error that is not retryable, and throws it unchanged", async () => {
    const error = notFound();
    const { fn, attempts } = scripted([error]);
    const thrown = await withRetry(fn, IMMEDIATE).catch((e: unknown) => e);
    expect(thrown).toBe(error);
    expect(attempts).toEqual([1]);
  });

  it("stops at retries + 1 attempts and throws the last error unchanged", async () => {
    const errors = [1, 2, 3, 4, 5, 6].map(throttled);
    const { fn, attempts } = scripted(errors);
    const thrown = await withRetry(fn, IMMEDIATE).catch((e: unknown) => e);
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(thrown).toBe(errors[3]);
  });

  it("makes a single attempt with retries 0", async () => {
    const error = throttled(1);
    const { fn, attempts } = scripted([error]);
    await expect(withRetry(fn, { ...IMMEDIATE, retries: 0 })).rejects.toBe(error);
    expect(attempts).toEqual([1]);
  });

  it("tells the hook about each failure: attempt, class and retries left", async () => {
    const failures: FailedAttempt[] = [];
    const errors = [throttled(1), notFound()];
    const { fn } = scripted(errors);
    await expect(withRetry(fn, IMMEDIATE, { onFailedAttempt: (f) => failures.push(f) })).rejects.toBe(errors[1]);
    expect(failures).toEqual([
      { error: errors[0], attempt: 1, errorClass: "retryable", retriesLeft: 3 },
      { error: errors[1], attempt: 2, errorClass: "notFound", retriesLeft: 2 },
    ]);
  });

  it("retries by the classifier it is given (the middleware's knows the action)", async () => {
    const error = notFound();
    const { fn, attempts } = scripted([error, error]);
    const classify = (): ErrorClass => "retryable";
    await expect(withRetry(fn, IMMEDIATE, { classify })).resolves.toBe("done");
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("rethrows a thrown non-Error value as it is, without retrying it", async () => {
    const value = { reason: "not an Error" };
    const { fn, attempts } = scripted([value]);
    await expect(withRetry(fn, IMMEDIATE)).rejects.toBe(value);
    expect(attempts).toEqual([1]);
  });
});

describe("the bound in time, on fake timers", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  /** Runs an always-throttled call to its end on fake timers; returns its attempts and the fake time it took. */
  async function exhaust(policy: RetryPolicy, jitter: number) {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    vi.spyOn(Math, "random").mockReturnValue(jitter);
    let attempts = 0;
    const start = performance.now();
    const outcome = withRetry(async () => {
      attempts++;
      throw throttled(attempts);
    }, policy).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const error = await outcome;
    return { attempts, elapsedMs: performance.now() - start, error };
  }

  it("starts no retry once maxRetryTimeMs has passed, however many retries are left", async () => {
    const policy: RetryPolicy = { retries: 100, minTimeoutMs: 1000, maxTimeoutMs: 1000, factor: 1, maxRetryTimeMs: 3500 };
    const { attempts, elapsedMs, error } = await exhaust(policy, 0);
    // Attempts at 0, 1, 2 and 3 s; the last pause is cut to the 0.5 s left, then that attempt is the last.
    expect(attempts).toBe(5);
    expect(elapsedMs).toBe(3500);
    expect(error).toMatchObject({ message: "throttled #5" });
  });

  it.each([
    ["with the least jitter", 0, 91_500],
    ["with the most jitter (pauses doubled, each still capped at 20 s)", 0.999_999, 111_000],
  ])("DEFAULT_RETRY_POLICY makes 10 attempts within its 2 minutes %s", async (_reason, jitter, expectedMs) => {
    const { attempts, elapsedMs } = await exhaust(DEFAULT_RETRY_POLICY, jitter);
    expect(attempts).toBe(10);
    expect(elapsedMs).toBeCloseTo(expectedMs, -1);
    expect(elapsedMs).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxRetryTimeMs);
  });

  it("waits out a deletion's blocker for up to 10 minutes, other calls for 2", async () => {
    const deletion = policyFor("DeleteSecurityGroup", DEFAULT_RETRY_POLICY);
    expect(policyFor("CreateSecurityGroup", DEFAULT_RETRY_POLICY)).toBe(DEFAULT_RETRY_POLICY);
    const { attempts, elapsedMs } = await exhaust(deletion, 0.5);
    expect(elapsedMs).toBeGreaterThan(540_000);
    expect(elapsedMs).toBeLessThanOrEqual(600_000);
    expect(attempts).toBeLessThan(deletion.retries + 1);
  });
});
