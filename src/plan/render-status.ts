import type { Style } from "../cli/style.js";
import type { CallStatsSnapshot } from "./model.js";
import { actionSymbol } from "./render-text.js";
import type {
  AutoScalingStatus,
  LoadBalancerStatus,
  LockStatus,
  ResourceStatusEntry,
  ServiceStatus,
  StackStatus,
  TargetGroupStatus,
} from "./status.js";

/**
 * The JSON form of `reconcile status --json`: the StackStatus itself (see plan/status.ts), times as ISO-8601 strings.
 * Stable within a `formatVersion`: new optional fields may be added without a new version.
 */
export type StatusJson = { formatVersion: 1 } & StackStatus & {
    /** With `--stats`: the AWS calls the status took, by service and action. */
    stats?: CallStatsSnapshot;
  };

export function renderStatusJson(status: StackStatus, extras: { stats?: CallStatsSnapshot } = {}): string {
  const json: StatusJson = { formatVersion: 1, ...status, ...(extras.stats && { stats: extras.stats }) };
  return JSON.stringify(json, null, 2) + "\n";
}

/** The status as people read it: the stack's lock and drift, then one block per resource. No trailing newline. */
export function renderStatusText(status: StackStatus, style: Style): string {
  const lines = [
    `Stack ${style.bold(status.stack)} in ${status.region}, at ${shortTime(status.checkedAt)}`,
    `  lock: ${lockLine(status.lock, style)}`,
    `  spec: ${driftLine(status, style)}`,
  ];
  for (const change of status.drift.changes) {
    lines.push(
      `  ${actionSymbol(change.action, style)} ${change.address} ${style.dim(change.action)}${change.reason ? `: ${change.reason}` : ""}`,
    );
  }
  for (const resource of status.resources) lines.push("", ...resourceLines(resource, style));
  if (status.unavailable.length > 0) {
    lines.push("", style.red("Could not read:"));
    for (const { what, error } of status.unavailable) lines.push(`  ${what}: ${error}`);
  }
  return lines.join("\n");
}

/** `2026-12-01T22:30:01Z`: to the second, always UTC. */
const shortTime = (iso: string): string => iso.replace(/\.\d{3}Z$/, "Z");

function lockLine(lock: LockStatus | undefined, style: Style): string {
  if (!lock) return style.green("free");
  const { host, pid, command, startedAt } = lock.holder;
  const holder = `${command} on ${host} (pid ${pid}, since ${shortTime(startedAt)})`;
  if (lock.expired) return `${style.yellow("expired")}: held by ${holder} until ${shortTime(lock.expiresAt)}; the next run takes it over`;
  return `${style.yellow("held")} by ${holder}, until ${shortTime(lock.expiresAt)} unless renewed`;
}

/** In sync, or how many resources `apply` would touch, by action (`1 create, 2 update`): `reconcile plan` gives the fields. */
function driftLine(status: StackStatus, style: Style): string {
  if (status.drift.inSync) return `${style.green("in sync")}: the live resources match the spec`;
  const { changes } = status.drift;
  const byAction = new Map<string, number>();
  for (const { action } of changes) byAction.set(action, (byAction.get(action) ?? 0) + 1);
  const counts = [...byAction].map(([action, n]) => `${n} ${action}`).join(", ");
  const differ = changes.length === 1 ? "resource differs" : "resources differ";
  return `${style.yellow("drifted")}: ${changes.length} ${differ} (${counts}); \`reconcile plan\` shows how`;
}

function resourceLines(resource: ResourceStatusEntry, style: Style): string[] {
  const title = `${style.bold(resource.address)} (${resource.name})`;
  const { status } = resource;
  switch (status.kind) {
    case "service":
      return serviceLines(title, status, style);
    case "targetGroup":
      return targetGroupLines(title, status, style);
    case "loadBalancer":
      return [loadBalancerLine(title, status, style)];
    case "autoScaling":
      return autoScalingLines(title, status, style);
  }
}

const GOOD = new Set(["ACTIVE", "PRIMARY", "COMPLETED", "healthy", "active", "OK", "Successful"]);
const BAD = new Set(["FAILED", "unhealthy", "failed", "active_impaired", "ALARM", "Failed", "Unfulfilled", "INACTIVE", "unavailable"]);

/** A state word green when all is well, red when not, yellow for everything on its way (IN_PROGRESS, draining, provisioning). */
function state(word: string, style: Style): string {
  if (GOOD.has(word)) return style.green(word);
  if (BAD.has(word)) return style.red(word);
  return style.yellow(word);
}

function serviceLines(title: string, s: ServiceStatus, style: Style): string[] {
  const running = `${s.running} running`;
  const lines = [
    `${title} in ${s.cluster}: ${state(s.status, style)}, ${s.desired} desired, ${s.running === s.desired ? running : style.yellow(running)}, ${s.pending} pending`,
  ];
  for (const d of s.deployments) {
    const rollout = d.rolloutState ? ` ${state(d.rolloutState, style)}` : "";
    const failed = d.failed > 0 ? style.red(`, ${d.failed} failed`) : "";
    const reason = d.rolloutState === "FAILED" && d.rolloutStateReason ? `: ${d.rolloutStateReason}` : "";
    lines.push(
      `  deployment ${d.id} ${state(d.status, style)}${rollout} ${d.taskDefinition}: ${d.running}/${d.desired} running, ${d.pending} pending${failed}${reason}`,
    );
  }
  if (s.events.length > 0) lines.push("  newest events:");
  for (const e of s.events) lines.push(`    ${style.dim(e.at ? shortTime(e.at) : "")} ${e.message}`.trimEnd());
  return lines;
}

function targetGroupLines(title: string, s: TargetGroupStatus, style: Style): string[] {
  if (s.targets.length === 0) return [`${title}: ${style.dim("no targets registered")}`];
  const counts = new Map<string, number>();
  for (const t of s.targets) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  const summary = [...counts].map(([word, n]) => `${n} ${state(word, style)}`).join(", ");
  const lines = [`${title}: ${s.targets.length} ${s.targets.length === 1 ? "target" : "targets"}, ${summary}`];
  for (const t of s.targets) {
    const where = `${t.id}${t.port !== undefined ? `:${t.port}` : ""}${t.availabilityZone ? ` in ${t.availabilityZone}` : ""}`;
    const why = [t.reason, t.description].filter((part) => part !== undefined).join(": ");
    lines.push(`  ${where} ${state(t.state, style)}${why ? `: ${why}` : ""}`);
  }
  return lines;
}

function loadBalancerLine(title: string, s: LoadBalancerStatus, style: Style): string {
  return `${title}: ${state(s.state, style)}, ${s.scheme}, ${s.dnsName}`;
}

function autoScalingLines(title: string, s: AutoScalingStatus, style: Style): string[] {
  const bounds = s.minCapacity !== undefined ? `between ${s.minCapacity} and ${s.maxCapacity} tasks` : style.yellow("no scalable target");
  const lines = [`${title}: ${bounds}`];
  for (const a of s.alarms) {
    const since = a.since ? ` since ${shortTime(a.since)}` : "";
    const reason = a.state === "ALARM" && a.reason ? `: ${a.reason}` : "";
    lines.push(`  alarm ${a.name} (policy ${a.policy}): ${a.state ? state(a.state, style) : style.red("missing")}${since}${reason}`);
  }
  if (s.activities.length === 0) lines.push(style.dim("  no scaling activity in the last six weeks"));
  else lines.push("  newest scaling activities:");
  for (const a of s.activities) {
    const cause = a.cause ? ` ${style.dim(`(${a.cause})`)}` : "";
    const why = a.message && a.status !== "Successful" ? `: ${a.message}` : "";
    lines.push(`    ${style.dim(a.at ? shortTime(a.at) : "")} ${state(a.status, style)}: ${a.description}${why}${cause}`);
  }
  return lines;
}
