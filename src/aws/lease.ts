import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import type { AwsClients } from "./clients.js";
import { awsErrorIs, formatAwsError, isNotFound } from "./errors.js";

// A lease on a stack makes its holder the one run allowed to change it, on whatever machine. It is an item of
// a DynamoDB table, taken with a conditional write and renewed while the run lasts: a holder that dies stops
// renewing, and its lease is free once it has expired.

export interface LeaseHolder {
  host: string;
  pid: number;
  /** When the holder's command started (ISO 8601). */
  startedAt: string;
  /** What it runs, as a person would name it: `reconcile apply`. */
  command: string;
}

export interface LeaseInfo {
  stack: string;
  holder: LeaseHolder;
  expiresAt: Date;
  /** Past expiresAt by this machine's clock: anyone may take it. */
  expired: boolean;
}

/** One table per account and region, shared by every stack. */
export const LOCK_TABLE = "reconcile-locks";
export const DEFAULT_LEASE_MS = 120_000;
export const DEFAULT_POLL_MS = 2_000;
/** Marks the table as the tool's, in the form of the stacks' ownership tags (`reconcile:stack`). */
export const LOCK_TABLE_TAG = { Key: "reconcile:purpose", Value: "lock" } as const;
/** Creating a table takes seconds; DescribeTable is polled this long for it to become ACTIVE. */
const TABLE_ACTIVE_WAIT_S = 300;

export interface LeaseOptions {
  /** Default LOCK_TABLE. */
  table?: string;
  /** How long the lease lasts unless renewed (default DEFAULT_LEASE_MS); it is renewed every ttlMs/3 while held. */
  ttlMs?: number;
  /** How long to wait for a lease someone else holds (default 0: LockHeldError at once). */
  waitMs?: number;
  /** Between tries while waiting (default DEFAULT_POLL_MS), never past the end of waitMs nor the holder's expiry. */
  pollMs?: number;
  /** Stops waiting: acquireLease then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Told once for each holder it starts waiting on. */
  onWait?(lease: LeaseInfo): void;
}

export interface Lease {
  /** Its expiry moves on with each renewal. */
  readonly info: LeaseInfo;
  /** Aborted, with a LeaseLostError, when the lease can no longer be renewed (taken over, removed, or renewal failing until expiry). */
  readonly lost: AbortSignal;
  /** Stops renewal and deletes the item, only if it is still ours. Idempotent. */
  release(): Promise<void>;
}

const describeHolder = ({ host, pid, startedAt, command }: LeaseHolder) => `"${command}" on ${host} (pid ${pid}, started ${startedAt})`;

/** `stack web is locked by "apply" on host-a (pid 4242, started …) until …`, for messages and `unlock`. */
export function leaseDescription(lease: LeaseInfo): string {
  const until = lease.expired ? "expired at" : "until";
  return `stack ${lease.stack} is locked by ${describeHolder(lease.holder)} ${until} ${lease.expiresAt.toISOString()}`;
}

export class LockHeldError extends Error {
  override readonly name = "LockHeldError";

  constructor(
    readonly lease: LeaseInfo,
    /** How long the acquirer waited before giving up. */
    readonly waitedMs = 0,
  ) {
    const waited = waitedMs > 0 ? ` (waited ${(waitedMs / 1000).toFixed(waitedMs < 10_000 ? 1 : 0)} s)` : "";
    super(`${leaseDescription(lease)}${waited}`);
  }
}

export type LeaseLoss = "taken" | "removed" | "expired";

export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";

  constructor(
    /** The stack's name (`stack` is the error's trace). */
    readonly stackName: string,
    readonly loss: LeaseLoss,
    /** Who holds it now, when it was taken. */
    readonly by?: LeaseInfo,
    options?: { cause?: unknown },
  ) {
    const why = {
      taken: `was taken by ${by ? describeHolder(by.holder) : "another run"}`,
      removed: "was removed",
      expired: `expired before it could be renewed${options?.cause === undefined ? "" : `: ${formatAwsError(options.cause)}`}`,
    }[loss];
    super(`the lease on stack ${stackName} ${why}`, options);
  }
}

export function currentHolder(command: string): LeaseHolder {
  return { host: hostname(), pid: process.pid, startedAt: new Date().toISOString(), command };
}

/** The table's hash key: one item per stack. */
const KEY = "stack";

/** A lease as stored: who holds it, and the holder's secret token, the one proof that an item is ours. */
interface StoredLease {
  token: string;
  info: LeaseInfo;
}

const num = (n: number): AttributeValue => ({ N: String(n) });

/** The expiry is stored in epoch milliseconds (expiresAt), and again in seconds for DynamoDB's TTL (expiresAtSeconds). */
const epochSeconds = (ms: number) => Math.ceil(ms / 1000);

function toItem(stack: string, holder: LeaseHolder, token: string, expiresAt: number): Record<string, AttributeValue> {
  return {
    [KEY]: { S: stack },
    token: { S: token },
    host: { S: holder.host },
    pid: num(holder.pid),
    startedAt: { S: holder.startedAt },
    command: { S: holder.command },
    expiresAt: num(expiresAt),
    expiresAtSeconds: num(epochSeconds(expiresAt)),
  };
}

function fromItem(stack: string, item: Record<string, AttributeValue> | undefined): StoredLease | undefined {
  if (item === undefined || Object.keys(item).length === 0) return undefined;
  const text = (name: string) => item[name]?.S ?? "";
  const expiresAt = Number(item.expiresAt?.N ?? 0);
  return {
    token: text("token"),
    info: {
      stack,
      holder: { host: text("host"), pid: Number(item.pid?.N ?? 0), startedAt: text("startedAt"), command: text("command") },
      expiresAt: new Date(expiresAt),
      expired: expiresAt < Date.now(),
    },
  };
}

async function readLease(clients: AwsClients, table: string, stack: string): Promise<StoredLease | undefined> {
  const { Item } = await clients.dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { [KEY]: { S: stack } }, ConsistentRead: true }),
  );
  return fromItem(stack, Item);
}

/** The table is missing (or not ACTIVE yet): DynamoDB's answer to an item call on it. */
const isTableMissing = (error: unknown) => awsErrorIs(error, "ResourceNotFound");

/**
 * Creates the table, or waits for the one another run is creating at the same moment (ResourceInUseException),
 * until it is ACTIVE. The creator also turns on TTL, so that DynamoDB deletes, in its own time, the items that
 * holders killed before releasing leave behind; expiry never depends on it.
 */
async function createTable(clients: AwsClients, table: string, signal: AbortSignal | undefined): Promise<void> {
  let created = false;
  try {
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: KEY, AttributeType: "S" }],
        KeySchema: [{ AttributeName: KEY, KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
        Tags: [LOCK_TABLE_TAG],
      }),
    );
    created = true;
  } catch (error) {
    if (!awsErrorIs(error, "ResourceInUse")) throw error;
  }
  try {
    await waitUntilTableExists(
      { client: clients.dynamodb, minDelay: 1, maxDelay: 5, maxWaitTime: TABLE_ACTIVE_WAIT_S, ...(signal && { abortSignal: signal }) },
      { TableName: table },
    );
  } catch (error) {
    signal?.throwIfAborted();
    throw new Error(`dynamodb DescribeTable: table ${table} was not ACTIVE within ${TABLE_ACTIVE_WAIT_S} s of its creation`, {
      cause: error,
    });
  }
  if (created) {
    await clients.dynamodb.send(
      new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { Enabled: true, AttributeName: "expiresAtSeconds" } }),
    );
  }
}

type Attempt = { taken: true; expiresAt: number } | { taken: false; current: StoredLease | undefined };

/**
 * One conditional PutItem: the lease is taken if there is none or the one there has expired. Expiry compares
 * this machine's clock (`:now`) with the expiry the holder wrote by its own: clocks that differ by seconds
 * shorten or lengthen a lease by as much, which leases of minutes absorb.
 */
async function tryTake(
  clients: AwsClients,
  table: string,
  stack: string,
  holder: LeaseHolder,
  token: string,
  ttlMs: number,
): Promise<Attempt> {
  const now = Date.now();
  const expiresAt = now + ttlMs;
  try {
    await clients.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: toItem(stack, holder, token, expiresAt),
        ConditionExpression: "attribute_not_exists(#stack) OR #expiresAt < :now",
        ExpressionAttributeNames: { "#stack": KEY, "#expiresAt": "expiresAt" },
        ExpressionAttributeValues: { ":now": num(now) },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    return { taken: true, expiresAt };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const current = error.Item ? fromItem(stack, error.Item) : await readLease(clients, table, stack);
    // A put that took effect but whose answer was lost is sent again by the AWS layer, and fails on our own item.
    if (current?.token === token) return { taken: true, expiresAt: current.info.expiresAt.getTime() };
    return { taken: false, current };
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Takes the stack's lease, creating the table on first use. A lease someone else holds fails at once with
 * LockHeldError, or after waiting up to `waitMs` for it to be released or to expire.
 */
export async function acquireLease(clients: AwsClients, stack: string, holder: LeaseHolder, options: LeaseOptions = {}): Promise<Lease> {
  const { table = LOCK_TABLE, ttlMs = DEFAULT_LEASE_MS, waitMs = 0, pollMs = DEFAULT_POLL_MS, signal } = options;
  if (!(ttlMs > 0 && Number.isFinite(ttlMs))) throw new RangeError(`a lease lasts a positive number of milliseconds, not ${ttlMs}`);
  const token = randomUUID();
  const started = Date.now();
  let tableCreated = false;
  let waitingOn: string | undefined;
  for (;;) {
    signal?.throwIfAborted();
    let attempt: Attempt;
    try {
      attempt = await tryTake(clients, table, stack, holder, token, ttlMs);
    } catch (error) {
      if (tableCreated || !isTableMissing(error)) throw error;
      await createTable(clients, table, signal);
      tableCreated = true;
      continue;
    }
    if (attempt.taken) return new HeldLease(clients, table, { stack, holder, token, expiresAt: attempt.expiresAt, ttlMs });
    const { current } = attempt;
    // Released, or expired, since the put was refused: try again at once.
    if (current === undefined || current.info.expired) continue;
    const left = started + waitMs - Date.now();
    if (left <= 0) throw new LockHeldError(current.info, waitMs > 0 ? Date.now() - started : 0);
    if (waitingOn !== current.token) {
      waitingOn = current.token;
      options.onWait?.(current.info);
    }
    const untilExpiry = current.info.expiresAt.getTime() - Date.now() + 1;
    await pause(Math.max(0, Math.min(pollMs, left, untilExpiry)), signal);
  }
}

interface HeldState {
  stack: string;
  holder: LeaseHolder;
  token: string;
  expiresAt: number;
  ttlMs: number;
}

/**
 * A lease this process holds. A timer renews it every ttlMs/3 (unref'd: it never keeps the process alive); a
 * renewal refused by its condition means someone else has the item (or it is gone), and `lost` is aborted at once;
 * any other failure is tried again at the next tick, and a second timer aborts `lost` when the lease expires unrenewed.
 */
class HeldLease implements Lease {
  readonly #lost = new AbortController();
  /** Cancels a renewal in flight once the lease is released or lost. */
  readonly #stopRenewal = new AbortController();
  readonly #renewTimer: NodeJS.Timeout;
  #expiryTimer: NodeJS.Timeout | undefined;
  #renewing = false;
  #lastFailure: unknown;
  #released: Promise<void> | undefined;
  readonly #clients: AwsClients;
  readonly #table: string;
  readonly #state: HeldState;

  constructor(clients: AwsClients, table: string, state: HeldState) {
    this.#clients = clients;
    this.#table = table;
    this.#state = state;
    this.#renewTimer = setInterval(() => void this.#renew(), state.ttlMs / 3).unref();
    this.#watchExpiry();
  }

  get info(): LeaseInfo {
    const { stack, holder, expiresAt } = this.#state;
    return { stack, holder, expiresAt: new Date(expiresAt), expired: expiresAt < Date.now() };
  }

  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  get #stopped(): boolean {
    return this.#stopRenewal.signal.aborted;
  }

  release(): Promise<void> {
    this.#released ??= this.#delete();
    return this.#released;
  }

  async #delete(): Promise<void> {
    this.#stop();
    const { stack, token } = this.#state;
    try {
      await this.#clients.dynamodb.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: { [KEY]: { S: stack } },
          ConditionExpression: "#token = :token",
          ExpressionAttributeNames: { "#token": "token" },
          ExpressionAttributeValues: { ":token": { S: token } },
        }),
      );
    } catch (error) {
      // No longer ours (taken after expiry, or removed): nothing of ours to delete.
      if (!(error instanceof ConditionalCheckFailedException) && !isNotFound(error)) throw error;
    }
  }

  async #renew(): Promise<void> {
    if (this.#renewing || this.#stopped) return;
    this.#renewing = true;
    const { stack, token, ttlMs } = this.#state;
    const expiresAt = Date.now() + ttlMs;
    try {
      await this.#clients.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { [KEY]: { S: stack } },
          UpdateExpression: "SET #expiresAt = :expiresAt, #expiresAtSeconds = :expiresAtSeconds",
          ConditionExpression: "#token = :token",
          ExpressionAttributeNames: { "#token": "token", "#expiresAt": "expiresAt", "#expiresAtSeconds": "expiresAtSeconds" },
          ExpressionAttributeValues: {
            ":token": { S: token },
            ":expiresAt": num(expiresAt),
            ":expiresAtSeconds": num(epochSeconds(expiresAt)),
          },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
        { abortSignal: this.#stopRenewal.signal },
      );
      if (this.#stopped) return;
      this.#state.expiresAt = expiresAt;
      this.#watchExpiry();
    } catch (error) {
      if (this.#stopped) return;
      if (error instanceof ConditionalCheckFailedException) {
        const current = fromItem(stack, error.Item);
        this.#lose(current ? new LeaseLostError(stack, "taken", current.info) : new LeaseLostError(stack, "removed"));
      } else if (isTableMissing(error)) {
        this.#lose(new LeaseLostError(stack, "removed", undefined, { cause: error }));
      } else {
        this.#lastFailure = error;
      }
    } finally {
      this.#renewing = false;
    }
  }

  #watchExpiry(): void {
    clearTimeout(this.#expiryTimer);
    const lose = () => this.#lose(new LeaseLostError(this.#state.stack, "expired", undefined, { cause: this.#lastFailure }));
    this.#expiryTimer = setTimeout(lose, Math.max(0, this.#state.expiresAt - Date.now())).unref();
  }

  #lose(reason: LeaseLostError): void {
    if (this.#stopped) return;
    this.#stop();
    this.#lost.abort(reason);
  }

  #stop(): void {
    clearInterval(this.#renewTimer);
    clearTimeout(this.#expiryTimer);
    this.#stopRenewal.abort();
  }
}

/** Who holds the stack's lease, expired or not; undefined when no one does (or the table does not exist: it is never created here). */
export async function describeLease(clients: AwsClients, stack: string, options: { table?: string } = {}): Promise<LeaseInfo | undefined> {
  try {
    return (await readLease(clients, options.table ?? LOCK_TABLE, stack))?.info;
  } catch (error) {
    if (isTableMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Deletes the stack's lease whoever holds it (`reconcile unlock`, for a holder known to be gone), and returns
 * what it removed. A holder still running learns it at its next renewal (its `lost` signal).
 */
export async function removeLease(clients: AwsClients, stack: string, options: { table?: string } = {}): Promise<LeaseInfo | undefined> {
  try {
    const { Attributes } = await clients.dynamodb.send(
      new DeleteItemCommand({ TableName: options.table ?? LOCK_TABLE, Key: { [KEY]: { S: stack } }, ReturnValues: "ALL_OLD" }),
    );
    return fromItem(stack, Attributes)?.info;
  } catch (error) {
    if (isTableMissing(error)) return undefined;
    throw error;
  }
}
