import { spawn } from "node:child_process";
import { DescribeTableCommand, DescribeTimeToLiveCommand, ListTagsOfResourceCommand } from "@aws-sdk/client-dynamodb";
import type { DeserializeMiddleware } from "@smithy/types";
import { afterAll, describe, expect, inject, it } from "vitest";
import { CallStats, createClients, isNotFound, type AwsClients, type RetryPolicy } from "../../src/aws/index.js";
import {
  acquireLease,
  currentHolder,
  describeLease,
  LeaseLostError,
  LockHeldError,
  LOCK_TABLE_TAG,
  removeLease,
  type Lease,
  type LeaseInfo,
} from "../../src/aws/lease.js";
import { REPO_ROOT } from "../support/cli.js";
import { motoClientConfig } from "../support/moto-env.js";
import { uniqueName } from "../support/reconciler-tests.js";

// Every test uses a stack name of its own; the table is this file's own too, so that no other file's leases
// show in it. The first test creates a second, fresh table to watch its creation.
const TABLE = `reconcile-locks-${uniqueName()}`;

// Moto answers at once: pauses of milliseconds keep a failing test fast.
const FAST: RetryPolicy = { retries: 2, minTimeoutMs: 5, maxTimeoutMs: 20, factor: 2, maxRetryTimeMs: 2_000 };

const opened: AwsClients[] = [];
/** A client set of its own: another run, as another process or machine would have. */
function connect(stats?: CallStats): AwsClients {
  const clients = createClients({ ...motoClientConfig(), retry: FAST, ...(stats && { stats }) });
  opened.push(clients);
  return clients;
}
afterAll(() => opened.forEach((clients) => clients.destroy()));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const calls = (stats: CallStats, action: string) => stats.snapshot().byAction.find((a) => a.action === action)?.calls ?? 0;
const attempts = (stats: CallStats, action: string) => stats.snapshot().byAction.find((a) => a.action === action)?.attempts ?? 0;

/** The lease's `lost` signal, as a promise of its reason and when it came. */
const whenLost = (lease: Lease) =>
  new Promise<{ reason: unknown; at: number }>((resolve) =>
    lease.lost.addEventListener("abort", () => resolve({ reason: lease.lost.reason, at: Date.now() }), { once: true }),
  );

async function heldError(attempt: Promise<unknown>): Promise<LockHeldError> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LockHeldError);
  return error as LockHeldError;
}

const networkFailure = () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });

/**
 * Transport faults on one client set's DynamoDB calls, inside the AWS layer's retry as a dropped connection is:
 * `loseAnswer` lets the request reach moto and then drops its answer; `fail` drops the request before it is sent.
 * Middleware rather than test/support/fault-proxy.ts, whose `drop` only ever drops a request before forwarding it.
 */
function injectFaults(clients: AwsClients, fault: { action: string; kind: "loseAnswer" | "fail"; times?: number }): void {
  let left = fault.times ?? Infinity;
  const middleware: DeserializeMiddleware<object, object> = (next, context) => async (args) => {
    const hit = context.commandName === `${fault.action}Command` && left > 0;
    if (hit) left--;
    if (hit && fault.kind === "fail") throw networkFailure();
    const result = await next(args);
    if (hit) throw networkFailure();
    return result;
  };
  clients.dynamodb.middlewareStack.add(middleware as never, { step: "deserialize", name: `fault${fault.action}${fault.kind}` });
}

describe("acquiring and releasing", () => {
  it("creates the table on first use, tagged as the tool's with TTL on, and holds the lease until released", async () => {
    const table = `reconcile-locks-${uniqueName()}`;
    const stack = uniqueName();
    const stats = new CallStats();
    const clients = connect(stats);
    const me = currentHolder("reconcile apply");

    const before = Date.now();
    const lease = await acquireLease(clients, stack, me, { table, ttlMs: 60_000 });
    expect(lease.info).toMatchObject({ stack, holder: me, expired: false });
    expect(lease.info.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 60_000);
    expect(lease.lost.aborted).toBe(false);
    // PutItem (no table), CreateTable, DescribeTable (ACTIVE), UpdateTimeToLive, PutItem.
    expect(stats.snapshot().byAction.map((a) => `${a.action} ${a.calls}`)).toEqual([
      "CreateTable 1",
      "DescribeTable 1",
      "PutItem 2",
      "UpdateTimeToLive 1",
    ]);

    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    expect(Table).toMatchObject({
      TableStatus: "ACTIVE",
      KeySchema: [{ AttributeName: "stack", KeyType: "HASH" }],
      BillingModeSummary: { BillingMode: "PAY_PER_REQUEST" },
    });
    const { Tags } = await clients.dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: Table!.TableArn }));
    expect(Tags).toEqual([LOCK_TABLE_TAG]);
    const { TimeToLiveDescription } = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }));
    expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAtSeconds" });

    expect(await describeLease(clients, stack, { table })).toEqual(lease.info);

    // Another run is refused at once, in one call: the refused put answers with the holder (ALL_OLD).
    const otherStats = new CallStats();
    const refused = await heldError(acquireLease(connect(otherStats), stack, currentHolder("reconcile delete"), { table }));
    expect(refused.lease).toEqual({ ...lease.info, expired: false });
    expect(refused.message).toBe(
      `stack ${stack} is locked by "reconcile apply" on ${me.host} (pid ${me.pid}, started ${me.startedAt}) ` +
        `until ${lease.info.expiresAt.toISOString()}`,
    );
    expect(otherStats.snapshot().byAction.map((a) => `${a.action} ${a.calls}`)).toEqual(["PutItem 1"]);

    await lease.release();
    expect(await describeLease(clients, stack, { table })).toBeUndefined();
    await lease.release();
    expect(lease.lost.aborted).toBe(false);

    const next = await acquireLease(connect(), stack, currentHolder("reconcile delete"), { table });
    expect(next.info.holder.command).toBe("reconcile delete");
    await next.release();
  });

  it("describes and removes nothing, and creates no table, where the table does not exist", async () => {
    const table = `reconcile-locks-${uniqueName()}`;
    const clients = connect();
    expect(await describeLease(clients, "web", { table })).toBeUndefined();
    expect(await removeLease(clients, "web", { table })).toBeUndefined();
    const error = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table })).catch((e: unknown) => e);
    expect(isNotFound(error)).toBe(true);
  });

  it("removes a lease whoever holds it, and says whose it was", async () => {
    const stack = uniqueName();
    const lease = await acquireLease(connect(), stack, currentHolder("reconcile apply"), { table: TABLE });
    expect(await removeLease(connect(), stack, { table: TABLE })).toEqual(lease.info);
    expect(await removeLease(connect(), stack, { table: TABLE })).toBeUndefined();
    await lease.release(); // no longer there: nothing to delete
    expect(await describeLease(connect(), stack, { table: TABLE })).toBeUndefined();
  });

  it("lets two runs creating the table at once both go on: one holds, the other is refused", async () => {
    const table = `reconcile-locks-${uniqueName()}`;
    const stack = uniqueName();
    const stats = [new CallStats(), new CallStats()];
    const outcomes = await Promise.allSettled(stats.map((s, i) => acquireLease(connect(s), stack, currentHolder(`run ${i}`), { table })));
    const held = outcomes.filter((o): o is PromiseFulfilledResult<Lease> => o.status === "fulfilled");
    expect(held).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(LockHeldError);
    // Both tried to create it; the one that lost that race (ResourceInUseException) waited for it instead.
    expect(stats.map((s) => calls(s, "CreateTable"))).toEqual([1, 1]);
    expect(stats.map((s) => calls(s, "UpdateTimeToLive")).reduce((a, b) => a + b)).toBe(1);
    await held[0]!.value.release();
  });
});

describe("waiting for a held lease", () => {
  it("takes the lease once its holder releases it, telling once whom it waits on", async () => {
    const stack = uniqueName();
    const first = await acquireLease(connect(), stack, currentHolder("reconcile apply"), { table: TABLE });
    const waitedOn: LeaseInfo[] = [];
    const started = Date.now();
    const waiting = acquireLease(connect(), stack, currentHolder("reconcile delete"), {
      table: TABLE,
      waitMs: 10_000,
      pollMs: 100,
      onWait: (lease) => waitedOn.push(lease),
    });
    await sleep(600);
    await first.release();
    const second = await waiting;
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(600);
    expect(waited).toBeLessThan(600 + 1_000);
    expect(waitedOn).toEqual([{ ...first.info, expired: false }]);
    expect(second.info.holder.command).toBe("reconcile delete");
    await second.release();
  });

  it("gives up after waitMs with LockHeldError naming the holder", async () => {
    const stack = uniqueName();
    const first = await acquireLease(connect(), stack, currentHolder("reconcile apply"), { table: TABLE });
    const started = Date.now();
    const error = await heldError(
      acquireLease(connect(), stack, currentHolder("reconcile delete"), { table: TABLE, waitMs: 700, pollMs: 200 }),
    );
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(700);
    expect(waited).toBeLessThan(700 + 1_000);
    expect(error.lease.holder).toEqual(first.info.holder);
    expect(error.waitedMs).toBeGreaterThanOrEqual(700);
    expect(error.message).toMatch(/ \(waited 0\.[7-9] s\)$/);
    await first.release();
  });

  it("stops waiting when its signal is aborted", async () => {
    const stack = uniqueName();
    const first = await acquireLease(connect(), stack, currentHolder("reconcile apply"), { table: TABLE });
    const signal = AbortSignal.timeout(300);
    const error = await acquireLease(connect(), stack, currentHolder("reconcile delete"), { table: TABLE, waitMs: 10_000, signal }).catch(
      (e: unknown) => e,
    );
    expect(error).toBe(signal.reason);
    await first.release();
  });
});

/** A holder in a process of its own, killed with SIGKILL once it holds the lease: it never releases. */
async function killedHolder(stack: string, ttlMs: number): Promise<void> {
  const script = `
    const { createClients } = await import("./src/aws/clients.ts");
    const { acquireLease, currentHolder } = await import("./src/aws/lease.ts");
    const clients = createClients({ region: "us-east-1", endpoint: process.env.ENDPOINT, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    await acquireLease(clients, process.env.STACK, currentHolder("reconcile apply"), { table: process.env.TABLE, ttlMs: ${ttlMs} });
    console.log("held");
    setInterval(() => {}, 60_000);
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: REPO_ROOT,
    env: { ...process.env, ENDPOINT: inject("motoEndpoint"), STACK: stack, TABLE },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => chunk.includes("held") && resolve());
    child.on("exit", (code) => reject(new Error(`the holder exited (${code}) before it held the lease: ${stderr}`)));
  });
  // Let it renew at least once, so that what blocks the next run is a renewed lease.
  await sleep(ttlMs / 2);
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

describe("expiry and renewal", () => {
  it("frees the lease of a holder killed with SIGKILL once it expires, not before", async () => {
    const stack = uniqueName();
    await killedHolder(stack, 1_500);
    const refused = await heldError(acquireLease(connect(), stack, currentHolder("reconcile apply"), { table: TABLE }));
    const deadline = refused.lease.expiresAt.getTime();
    expect(deadline).toBeGreaterThan(Date.now());

    const lease = await acquireLease(connect(), stack, currentHolder("reconcile apply"), { table: TABLE, waitMs: 5_000, pollMs: 2_000 });
    const at = Date.now();
    expect(at).toBeGreaterThanOrEqual(deadline);
    // The waiter woke at the expiry it had read rather than at its next 2-second poll.
    expect(at - deadline).toBeLessThan(500);
    await lease.release();
  });

  it("renews the lease while it is held, past its first expiry", async () => {
    const stack = uniqueName();
    const lease = await acquireLease(connect(), stack, currentHolder("reconcile apply"), { table: TABLE, ttlMs: 900 });
    const firstExpiry = lease.info.expiresAt.getTime();
    await sleep(2_000);
    expect(lease.lost.aborted).toBe(false);
    expect(lease.info.expiresAt.getTime()).toBeGreaterThan(firstExpiry + 900);
    const refused = await heldError(acquireLease(connect(), stack, currentHolder("reconcile delete"), { table: TABLE }));
    expect(refused.lease.expiresAt.getTime()).toBeGreaterThan(Date.now());
    await lease.release();
  });

  it("aborts `lost` at the next renewal once the lease is removed", async () => {
    const stack = uniqueName();
    const lease = await acquireLease(connect(), stack, currentHolder("reconcile apply"), { table: TABLE, ttlMs: 900 });
    const lost = whenLost(lease);
    const removedAt = Date.now();
    await removeLease(connect(), stack, { table: TABLE });
    const { reason, at } = await lost;
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(reason).toMatchObject({ loss: "removed", stackName: stack, message: `the lease on stack ${stack} was removed` });
    expect(at - removedAt).toBeLessThan(900); // at a renewal (every 300 ms), not at expiry
    await lease.release();
    // It stopped renewing: the item stays gone.
    await sleep(400);
    expect(await describeLease(connect(), stack, { table: TABLE })).toBeUndefined();
  });

  it("aborts `lost` at the next renewal once another run has taken the lease, naming it", async () => {
    const stack = uniqueName();
    const lease = await acquireLease(connect(), stack, currentHolder("reconcile apply"), { table: TABLE, ttlMs: 900 });
    const lost = whenLost(lease);
    await removeLease(connect(), stack, { table: TABLE });
    const other = await acquireLease(connect(), stack, currentHolder("reconcile delete"), { table: TABLE });
    const { reason } = await lost;
    expect(reason).toMatchObject({ loss: "taken", by: { ...other.info, expired: false } });
    expect((reason as Error).message).toMatch(new RegExp(`^the lease on stack ${stack} was taken by "reconcile delete" on `));
    // Releasing the lost lease leaves the new holder's alone.
    await lease.release();
    expect((await describeLease(connect(), stack, { table: TABLE }))?.holder.command).toBe("reconcile delete");
    await other.release();
  });

  it("aborts `lost` when renewals keep failing until the lease expires, and the next run takes it then", async () => {
    const stack = uniqueName();
    const clients = connect();
    injectFaults(clients, { action: "UpdateItem", kind: "fail" });
    const lease = await acquireLease(clients, stack, currentHolder("reconcile apply"), { table: TABLE, ttlMs: 900 });
    const expiry = lease.info.expiresAt.getTime();
    const lost = whenLost(lease);

    const next = acquireLease(connect(), stack, currentHolder("reconcile delete"), { table: TABLE, waitMs: 5_000, pollMs: 100 });
    const { reason, at } = await lost;
    expect(at).toBeGreaterThanOrEqual(expiry);
    expect(reason).toMatchObject({ loss: "expired" });
    expect((reason as Error).message).toBe(
      `the lease on stack ${stack} expired before it could be renewed: dynamodb UpdateItem: ECONNRESET: socket hang up (retryable; gave up after 3 attempts)`,
    );
    expect((reason as Error).cause).toMatchObject({ code: "ECONNRESET", action: "UpdateItem" });
    const taken = await next;
    expect(Date.now()).toBeGreaterThanOrEqual(expiry);
    await lease.release(); // taken over: leaves it alone
    expect((await describeLease(connect(), stack, { table: TABLE }))?.holder.command).toBe("reconcile delete");
    await taken.release();
  });
});

describe("races and lost answers", () => {
  it("gives the lease to exactly one of eight runs asking at once", async () => {
    for (let round = 0; round < 5; round++) {
      const stack = uniqueName();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => acquireLease(connect(), stack, currentHolder(`run ${i}`), { table: TABLE })),
      );
      const held = outcomes.filter((o): o is PromiseFulfilledResult<Lease> => o.status === "fulfilled").map((o) => o.value);
      expect(held).toHaveLength(1);
      const winner = held[0]!;
      for (const outcome of outcomes.filter((o) => o.status === "rejected")) {
        expect(outcome.reason).toBeInstanceOf(LockHeldError);
        expect((outcome.reason as LockHeldError).lease.holder).toEqual(winner.info.holder);
      }
      expect((await describeLease(connect(), stack, { table: TABLE }))?.holder).toEqual(winner.info.holder);
      await winner.release();
    }
  });

  it("holds a lease whose put took effect though its answer was lost, and releases it through a lost answer too", async () => {
    const stack = uniqueName();
    await acquireLease(connect(), uniqueName(), currentHolder("warm-up"), { table: TABLE }).then((lease) => lease.release()); // the table exists
    const stats = new CallStats();
    const clients = connect(stats);
    injectFaults(clients, { action: "PutItem", kind: "loseAnswer", times: 1 });
    injectFaults(clients, { action: "DeleteItem", kind: "loseAnswer", times: 1 });

    const lease = await acquireLease(clients, stack, currentHolder("reconcile apply"), { table: TABLE });
    expect(await describeLease(connect(), stack, { table: TABLE })).toEqual(lease.info);
    // One call of two attempts: the first one's answer was lost, the retry failed its condition on our own item.
    expect([calls(stats, "PutItem"), attempts(stats, "PutItem")]).toEqual([1, 2]);

    await lease.release();
    expect([calls(stats, "DeleteItem"), attempts(stats, "DeleteItem")]).toEqual([1, 2]);
    expect(await describeLease(connect(), stack, { table: TABLE })).toBeUndefined();
  });
});
