/**
 * Waiting for ECS services: until a deployment is stable (apply's default), or until a deleted service is
 * INACTIVE. The polling, backoff and overall timeout are the SDK's own (createWaiter of @smithy/core), as in its generated waiters;
 * what counts as stable, failed or still waiting is decided here, purely, by `stabilityOf`.
 */
import { DescribeServicesCommand, waitUntilServicesInactive, type Deployment, type ECSClient, type Service } from "@aws-sdk/client-ecs";
import { WaiterState, createWaiter } from "@smithy/core/client";
import { isNotFound } from "../../aws/errors.js";
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
  if (counts.pendingCount) parts.push(`${counts.pendingCount} pending`);
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

/**
 * After DeleteService: waits until the service is INACTIVE, with the SDK's own waiter bounded by `timeoutMs`. A
 * service already gone counts as done. The waiter answers "gone" (MISSING) and "out of time" with the same kind of
 * error, so one last DescribeServices decides between them and names the status in the timeout's message. (The SDK's
 * waiter retries every error, so a cluster deleted meanwhile is only noticed then.)
 */
export async function waitForServiceInactive(
  ctx: Context,
  ref: ServiceRef,
  timeoutMs: number,
  options: PollOptions & { signal?: AbortSignal } = {},
): Promise<void> {
  const bounds = waiterBounds(timeoutMs, options, ECS_POLL);
  const stop = options.signal && { abortSignal: options.signal };
  try {
    await waitUntilServicesInactive({ client: ctx.clients.ecs, ...bounds, ...stop }, { cluster: ref.cluster, services: [ref.service] });
  } catch {
    if (options.signal?.aborted)
      throw new WaitStoppedError(`stopped waiting for service ${shortName(ref.service)} to go: its deletion was sent`);
    const status = (await describeService(ctx.clients.ecs, ref, undefined)).service?.status;
    if (status === undefined || status === "INACTIVE") return;
    throw new Error(`service ${shortName(ref.service)} was not inactive after ${bounds.maxWaitTime} s: it is ${status}`);
  }
}
