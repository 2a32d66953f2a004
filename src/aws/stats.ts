import type { CallCount, CallStatsSnapshot } from "../plan/model.js";

/** Describe*, List* and Get* read; every other AWS action is counted as a write. */
export const isWriteAction = (action: string): boolean => !/^(Describe|List|Get)/.test(action);

/** The AWS calls of one run, by service and action: logical calls, and attempts with retries included. */
export class CallStats {
  readonly #counts = new Map<string, CallCount>();
  #endpoint: string | undefined;

  /** Where the first call went, as the SDK resolved it (`--endpoint`, AWS_ENDPOINT_URL…, or AWS's own). */
  get endpoint(): string | undefined {
    return this.#endpoint;
  }

  recordEndpoint(endpoint: string): void {
    this.#endpoint ??= endpoint;
  }

  #entry(service: string, action: string): CallCount {
    const key = `${service}\u0000${action}`;
    let entry = this.#counts.get(key);
    if (!entry) {
      entry = { service, action, calls: 0, attempts: 0, write: isWriteAction(action) };
      this.#counts.set(key, entry);
    }
    return entry;
  }

  /** One logical call, as a reconciler made it (`send`), however many attempts it takes. */
  recordCall(service: string, action: string): void {
    this.#entry(service, action).calls++;
  }

  /** Requests sent on the wire for a call: the first one and each retry. */
  recordAttempts(service: string, action: string, attempts = 1): void {
    this.#entry(service, action).attempts += attempts;
  }

  /** Logical write calls so far: a no-op plan must leave this at zero. */
  writes(): number {
    let writes = 0;
    for (const entry of this.#counts.values()) if (entry.write) writes += entry.calls;
    return writes;
  }

  /** A copy, sorted by service then action so that reports compare equal run after run. */
  snapshot(): CallStatsSnapshot {
    const byAction = [...this.#counts.values()]
      .map((entry) => ({ ...entry }))
      .sort((a, b) => compare(a.service, b.service) || compare(a.action, b.action));
    let calls = 0;
    let writes = 0;
    let attempts = 0;
    for (const entry of byAction) {
      calls += entry.calls;
      attempts += entry.attempts;
      if (entry.write) writes += entry.calls;
    }
    return { calls, writes, attempts, byAction };
  }
}

/** Code-unit order: the same on every machine, whatever its locale. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
