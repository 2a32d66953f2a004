/**
 * Waiting for ECS services: until a deployment is stable (apply's default), or until a deleted service is
 * INACTIVE. For stability the polling, backoff and overall timeout are the SDK's own (createWaiter of @smithy/core), as in its
 * generated waiters; what counts as stable, failed or still waiting is decided here, purely, by `stabilityOf`. Deleted
 * services are polled together, per cluster (waitForServiceInactive).
 */
import { DescribeServicesCommand, type Deployment, type ECSClient, type Service } from "@aws-sdk/client-ecs";
import { WaiterState, createWaiter } from "@smithy/core/client";
import { isNotFound } from "../../aws/errors.js";
import { inBatches } from "../collections.js";
import type { Context, WaitPolicy } from "../contract.js";
import { waiterBounds, type PollOptions } from "../polling.js";

/** A service, by names or ARNs. */
export interface ServiceRef {
  cluster: string;
  service: string;
}

/** The deployment a change started: the PRIMARY deployment in CreateService's / UpdateService's answer. */
export interface StabilityTarget extends ServiceRef {
  deploymentId?: string;
}

export type Stability =
  | { state: "stable" }
  /** e.g. "deployment IN_PROGRESS, 1/2 running". */
  | { state: "waiting"; summary: string }
  /** Rolled back or failed, with AWS's reason. */
  | { state: "failed"; reason: string };

export interface StableWaitOptions extends PollOptions {
  /** Service events from this moment on are news to report (default: when the wait begins; a caller may pass when it sent its change). */
  since?: Date;
}

/** A deployment that failed or was rolled back, or a wait that ran out of time. */
export class ServiceNotStableError extends Error {
  override readonly name = "ServiceNotStableError";
}

/** The run was stopped while it waited: the change was made, and the next run sees how it went. Not a failed deployment. */
export class WaitStoppedError extends Error {
  override readonly name = "WaitStoppedError";
}

/** Between two DescribeServices calls: from 5 s, backing off to 30 s. */
const ECS_POLL = { minDelaySeconds: 5, maxDelaySeconds: 30 };

/**
 * Where the service stands, for the deployment a change started (`deploymentId`; without it, the PRIMARY one).
 * Stable as the SDK's waitUntilServicesStable and ecspresso define it, plus the rollout state: ACTIVE, exactly one
 * deployment, PRIMARY, its rollout COMPLETED (or absent, on services older than rollout states), and as many tasks
 * running as desired.
 */
export function stabilityOf(service: Service, deploymentId?: string): Stability {
  if (service.status !== "ACTIVE") return { state: "failed", reason: `the service is ${service.status ?? "gone"}` };
  const deployments = service.deployments ?? [];
  const primary = deployments.find((d) => d.status === "PRIMARY");
  const target = deploymentId === undefined ? primary : deployments.find((d) => d.id === deploymentId);
  if (target !== primary) return { state: "failed", reason: supersededReason(service, deploymentId!, target, primary) };
  if (target?.rolloutState === "FAILED") return { state: "failed", reason: target.rolloutStateReason ?? "the rollout failed" };
  if (isSteady(service, primary)) return { state: "stable" };
  return { state: "waiting", summary: summaryOf(service, target) };
}

function isSteady(service: Service, primary: Deployment | undefined): boolean {
  return (
    primary !== undefined &&
    service.deployments?.length === 1 &&
    (primary.rolloutState === undefined || primary.rolloutState === "COMPLETED") &&
    service.runningCount === service.desiredCount
  );
}

/**
 * Why the deployment we wait for is no longer the PRIMARY one. With rollback on, the circuit breaker marks it
 * FAILED, starts a new PRIMARY deployment with the previous task definition ("ECS deployment circuit breaker:
 * rolling back to deploymentId …") and drops the failed one from the list once it has drained; its service event
 * ("(deployment ecs-svc/…) deployment failed: tasks failed to start.") stays. Anything else means another change
 * started a newer deployment.
 */
function supersededReason(service: Service, deploymentId: string, target: Deployment | undefined, primary: Deployment | undefined): string {
  const event = service.events?.find((e) => e.message?.includes(deploymentId))?.message;
  const failedReason = target?.rolloutState === "FAILED" ? target.rolloutStateReason : undefined;
  const rolledBack = failedReason !== undefined || /rolling back/i.test(primary?.rolloutStateReason ?? "") || /fail/i.test(event ?? "");
  const successor = primary?.taskDefinition ? shortName(primary.taskDefinition) : "another deployment";
  if (rolledBack) return `rolled back to ${successor}: ${failedReason ?? event ?? primary?.rolloutStateReason}`;
  return `replaced by deployment ${primary?.id ?? "?"} (${successor}) before it completed`;
}

/**
 * One line for the person watching: the deployment's rollout state, running/desired, pending and failed tasks, and
 * what older deployments still run. With one deployment the service's counts are the ones that decide stability
 * (the deployment's lag behind a scale-up); during a rollout the new deployment's counts tell its progress.
 */
function summaryOf(service: Service, target: Deployment | undefined): string {
  if (target === undefined) return `no deployment yet, ${service.runningCount ?? 0}/${service.desiredCount ?? 0} running`;
  const older = (service.deployments ?? []).filter((d) => d !== target);
  const counts = older.length > 0 ? target : service;
  const parts = [`deployment ${target.rolloutState ?? target.status}`, `${counts.runningCount ?? 0}/${counts.desiredCount ?? 0} running`];
  if ((counts.pendingCount ?? 0) > 0) parts.push(`${counts.pendingCount} pending`); // moto reports desired - running: negative when more run
  if (target.failedTasks) parts.push(`${target.failedTasks} failed`);
  if (older.length > 0) {
    const running = older.reduce((sum, d) => sum + (d.runningCount ?? 0), 0);
    parts.push(`${older.length} older deployment${older.length === 1 ? "" : "s"} with ${running} running`);
  }
  return parts.join(", ");
}

/** The last segment of a name or ARN (`arn:…:service/cluster/web` → `web`, `…:task-definition/web:7` → `web:7`). */
const shortName = (nameOrArn: string): string => nameOrArn.slice(nameOrArn.lastIndexOf("/") + 1);

type Observation = { service: Service; stability: Stability } | { service?: undefined; stability: { state: "failed"; reason: string } };

async function describeService(ecs: ECSClient, ref: ServiceRef, deploymentId: string | undefined): Promise<Observation> {
  try {
    const { services, failures } = await ecs.send(new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] }));
    const service = services?.[0];
    if (!service) return { stability: { state: "failed", reason: `the service is ${failures?.[0]?.reason ?? "MISSING"}` } };
    return { service, stability: stabilityOf(service, deploymentId) };
  } catch (error) {
    // A missing service is among the failures: the only "not found" DescribeServices throws is its cluster's.
    if (isNotFound(error)) return { stability: { state: "failed", reason: `cluster ${ref.cluster} not found` } };
    throw error;
  }
}

/**
 * Tells the person watching what changed since the last poll: the summary when it differs, and each service event
 * that is new (not seen before and not older than the wait), oldest first. ECS lists events newest first.
 */
class ProgressReporter {
  private lastLine?: string;
  private readonly seenEvents = new Set<string>();

  constructor(
    private readonly report: (message: string) => void,
    private readonly since: Date,
  ) {}

  observe(service: Service, stability: Stability): void {
    const fresh = (service.events ?? []).filter(
      (e) => e.id !== undefined && !this.seenEvents.has(e.id) && !(e.createdAt && e.createdAt < this.since),
    );
    for (const event of fresh.reverse()) {
      this.seenEvents.add(event.id!);
      this.report(event.message ?? "");
    }
    const line =
      stability.state === "waiting"
        ? stability.summary
        : stability.state === "stable"
          ? `stable, ${service.runningCount}/${service.desiredCount} running`
          : undefined;
    if (line !== undefined && line !== this.lastLine) this.report(line);
    this.lastLine = line ?? this.lastLine;
  }
}

/**
 * Polls DescribeServices until the service is stable and returns its last description; reports news through
 * ctx.progress(serviceName, line). Throws ServiceNotStableError when the deployment fails or is rolled back, or when
 * the policy's time runs out.
 */
export async function waitForServiceStable(
  ctx: Context,
  target: StabilityTarget,
  policy: WaitPolicy,
  options: StableWaitOptions = {},
): Promise<Service> {
  const name = shortName(target.service);
  const reporter = new ProgressReporter((line) => ctx.progress?.(name, line), options.since ?? new Date());
  let last: Observation | undefined;
  const bounds = waiterBounds(policy.timeoutMs, options, ECS_POLL);

  const stop = policy.signal && { abortSignal: policy.signal };
  const result = await createWaiter({ client: ctx.clients.ecs, ...bounds, ...stop }, target, async (ecs) => {
    last = await describeService(ecs, target, target.deploymentId);
    if (last.service) reporter.observe(last.service, last.stability);
    const state = { stable: WaiterState.SUCCESS, failed: WaiterState.FAILURE, waiting: WaiterState.RETRY }[last.stability.state];
    return { state };
  });

  if (result.state === WaiterState.SUCCESS && last?.service) return last.service;
  if (result.state === WaiterState.ABORTED)
    throw new WaitStoppedError(`stopped waiting for service ${name}: its change was made; the next run follows it up`);
  if (last?.stability.state === "failed") {
    const deployment = target.deploymentId ?? last.service?.deployments?.find((d) => d.status === "PRIMARY")?.id;
    const what = deployment ? `service ${name}: deployment ${deployment} failed` : `service ${name} failed`;
    throw new ServiceNotStableError(`${what}: ${last.stability.reason}`);
  }
  throw new ServiceNotStableError(timeoutMessage(name, bounds.maxWaitTime, last));
}

function timeoutMessage(name: string, seconds: number, last: Observation | undefined): string {
  const summary = last?.stability.state === "waiting" ? last.stability.summary : "no answer yet";
  const newest = last?.service?.events?.[0]?.message;
  return `service ${name} was not stable after ${seconds} s: ${summary}${newest ? `; the newest event: ${newest}` : ""}`;
}

/** How long the first poll of a deleted service waits for other deletions in its cluster to join it. */
const GATHER_MS = 100;

/** DescribeServices takes at most 10 services a call. */
const SERVICES_PER_CALL = 10;

interface InactiveWaiter {
  service: string;
  deadline: number;
  /** When this waiter wants its next answer, and how long after that the one after (backing off). */
  due: number;
  delayMs: number;
  maxDelayMs: number;
  timeoutSeconds: number;
  status?: string;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * The deleted services of one cluster being waited for, polled together: one DescribeServices per 10 services a
 * round, whichever deletions they come from, at the earliest time one of them is due (or out of time).
 */
class InactivePoller {
  readonly waiters = new Set<InactiveWaiter>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private at = Infinity;

  constructor(
    private readonly ecs: ECSClient,
    private readonly cluster: string,
    private readonly done: () => void,
  ) {}

  add(waiter: InactiveWaiter): void {
    this.waiters.add(waiter);
    this.schedule();
  }

  remove(waiter: InactiveWaiter): void {
    this.waiters.delete(waiter);
    if (this.waiters.size === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.at = Infinity;
      this.done();
    }
  }

  private schedule(): void {
    const next = Math.min(...[...this.waiters].map((w) => Math.min(w.due, w.deadline)));
    if (this.timer !== undefined && next >= this.at) return;
    clearTimeout(this.timer);
    this.at = next;
    this.timer = setTimeout(() => void this.poll(), Math.max(0, next - Date.now()));
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    this.at = Infinity;
    const polled = [...this.waiters];
    const names = [...new Set(polled.map((w) => w.service))];
    const statuses = new Map<string, string | undefined>();
    await Promise.all(
      inBatches(names, SERVICES_PER_CALL).map(async (batch) => {
        try {
          const { services } = await this.ecs.send(new DescribeServicesCommand({ cluster: this.cluster, services: batch }));
          // A service missing from the answer is among its failures (MISSING): gone, like an INACTIVE one.
          for (const name of batch) {
            const found = services?.find((s) => s.serviceArn === name || s.serviceName === shortName(name));
            statuses.set(name, found?.status === "INACTIVE" ? undefined : found?.status);
          }
        } catch (error) {
          // The cluster is gone, and its services with it; any other error ends these waits.
          if (isNotFound(error)) for (const name of batch) statuses.set(name, undefined);
          else
            for (const w of polled.filter((w) => batch.includes(w.service)))
              this.finish(w, error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
    const now = Date.now();
    for (const w of polled.filter((w) => this.waiters.has(w) && statuses.has(w.service))) {
      w.status = statuses.get(w.service);
      if (w.status === undefined) this.finish(w);
      else if (now >= w.deadline) {
        this.finish(w, new Error(`service ${shortName(w.service)} was not inactive after ${w.timeoutSeconds} s: it is ${w.status}`));
      } else if (now >= w.due) {
        w.due = now + w.delayMs;
        w.delayMs = Math.min(w.delayMs * 2, w.maxDelayMs);
      }
    }
    if (this.waiters.size > 0) this.schedule();
  }

  finish(waiter: InactiveWaiter, error?: Error): void {
    if (!this.waiters.has(waiter)) return;
    this.remove(waiter);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }
}

const inactivePollers = new WeakMap<ECSClient, Map<string, InactivePoller>>();

/**
 * After DeleteService: waits until the service is INACTIVE (or gone, or its cluster gone), bounded by `timeoutMs`.
 * Deleted services of one cluster waited for at the same time (a stack's deletions run side by side) are polled
 * together, 10 to a DescribeServices, instead of one call per service each round: the first poll waits a moment
 * for others to join, then each service backs off from the minimum to the maximum delay. At the end of the time,
 * one last answer decides, and names the status in the timeout's message.
 */
export async function waitForServiceInactive(
  ctx: Context,
  ref: ServiceRef,
  timeoutMs: number,
  options: PollOptions & { signal?: AbortSignal } = {},
): Promise<void> {
  const bounds = waiterBounds(timeoutMs, options, ECS_POLL);
  const ecs = ctx.clients.ecs;
  const byCluster = inactivePollers.get(ecs) ?? new Map<string, InactivePoller>();
  inactivePollers.set(ecs, byCluster);
  const poller =
    byCluster.get(ref.cluster) ??
    new InactivePoller(ecs, ref.cluster, () => {
      if (byCluster.get(ref.cluster) === poller) byCluster.delete(ref.cluster);
    });
  byCluster.set(ref.cluster, poller);
  const now = Date.now();
  const stopped = () => new WaitStoppedError(`stopped waiting for service ${shortName(ref.service)} to go: its deletion was sent`);
  if (options.signal?.aborted) throw stopped();
  await new Promise<void>((resolve, reject) => {
    const waiter: InactiveWaiter = {
      service: ref.service,
      deadline: now + timeoutMs,
      due: now + Math.min(GATHER_MS, bounds.minDelay * 1000),
      delayMs: bounds.minDelay * 1000,
      maxDelayMs: bounds.maxDelay * 1000,
      timeoutSeconds: bounds.maxWaitTime,
      resolve,
      reject,
    };
    const onAbort = () => poller.finish(waiter, stopped());
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const settle =
      <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A) => {
        options.signal?.removeEventListener("abort", onAbort);
        fn(...args);
      };
    waiter.resolve = settle(resolve);
    waiter.reject = settle(reject);
    poller.add(waiter);
  });
}
