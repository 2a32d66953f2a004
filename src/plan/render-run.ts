import type { Style } from "../cli/style.js";
import type { Action, CallStatsSnapshot, ResourceChange, ResourceResult, RunReport } from "./model.js";
import { actionSymbol, identity } from "./render-text.js";

/** `850ms` under a second, `1.2s` from there on. Durations are given, never measured here. */
export function formatDuration(ms: number): string {
  const rounded = Math.max(0, Math.round(ms));
  return rounded < 1000 ? `${rounded}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** What a finished change did, in the past tense: "created", "updated". */
export const DONE_WORDS: Record<Action, string> = {
  create: "created",
  update: "updated",
  replace: "replaced",
  delete: "destroyed",
  read: "read",
  noop: "checked",
  conflict: "left alone",
  held: "held",
};

/** One line for a resource whose change has finished (done, failed, or skipped because a dependency failed). No trailing newline. */
export function renderProgress(result: ResourceResult, change: ResourceChange, style: Style): string {
  const who = `${style.bold(result.address)} ${identity(change)}`;
  const elapsed = formatDuration(result.elapsedMs);
  switch (result.outcome) {
    case "done":
      return `${actionSymbol(result.action, style, change.createBeforeDelete)} ${who}: ${DONE_WORDS[result.action]} in ${elapsed}`;
    case "failed":
      // A held row was not tried: how long it took says nothing.
      if (result.action === "held")
        return `  ${style.red("✗")} ${who}: ${style.red("not deployed again")}: ${result.error ?? "it failed before"}`;
      return `  ${style.red("✗")} ${who}: ${style.red(`failed after ${elapsed}`)}: ${result.error ?? "unknown error"}`;
    case "skipped": {
      const cause = result.skippedBecause ? `${result.skippedBecause} failed` : "a dependency failed";
      return style.dim(`  · ${result.address} ${identity(change)}: skipped because ${cause}`);
    }
    case "cancelled":
      return style.dim(`  · ${result.address} ${identity(change)}: not started: the run was stopped`);
  }
}

/** One line of news from a wait that is still going on (an ECS deployment). No trailing newline. */
export function renderWaitNews(resource: string, message: string, style: Style): string {
  return style.dim(`  … ${resource}: ${message}`);
}

/**
 * The closing line of a run: what was done and how long it took, or, when something failed, how many
 * failed, how many were skipped because of that, and how many were done. No trailing newline.
 */
export function renderRunSummary(report: RunReport, style: Style): string {
  const verb = report.plan.mode === "delete" ? "Delete" : "Apply";
  const elapsed = formatDuration(report.elapsedMs);
  // Resources that needed nothing are not part of the count, even when skipped with the rest.
  const changes = report.results.filter((r) => r.action !== "noop" && r.action !== "read");
  const failed = changes.filter((r) => r.outcome === "failed").length;
  const skipped = changes.filter((r) => r.outcome === "skipped").length;
  const done = changes.filter((r) => r.outcome === "done");
  const cancelled = changes.filter((r) => r.outcome === "cancelled").length;
  const conflicts = report.plan.resources.filter((r) => r.action === "conflict").map((r) => r.address);
  const held = report.plan.resources.filter((r) => r.action === "held").map((r) => r.address);
  const conflictNote =
    conflicts.length > 0 ? ` Left alone because of ${conflicts.length === 1 ? "a conflict" : "conflicts"}: ${conflicts.join(", ")}.` : "";
  const heldNote = held.length > 0 ? ` Not deployed again, as the same content failed before: ${held.join(", ")}.` : "";
  const notes = conflictNote + heldNote;

  if (cancelled > 0) {
    const parts = [`${done.length} done`, ...(failed > 0 ? [`${failed} failed`] : []), `${cancelled} not started`];
    return `${style.bold(style.red(`${verb} stopped:`))} ${parts.join(", ")} in ${elapsed}.${notes}`;
  }
  if (failed > 0) {
    const parts = [`${failed} failed`];
    if (skipped > 0) parts.push(`${skipped} skipped because of ${failed === 1 ? "it" : "them"}`);
    parts.push(`${done.length} done`);
    return `${style.bold(style.red(`${verb} failed:`))} ${parts.join(", ")} in ${elapsed}.${notes}`;
  }
  const count = (action: Action) => done.filter((r) => r.action === action).length;
  const counts =
    report.plan.mode === "delete"
      ? `${count("delete")} destroyed`
      : `${count("create")} added, ${count("update")} changed, ${count("replace")} replaced, ${count("delete")} destroyed`;
  return `${style.bold(style.green(`${verb} complete:`))} ${counts} in ${elapsed}.${notes}`;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The AWS calls of a run as an aligned table (service, action, calls, attempts) and a total line. No trailing newline. */
export function renderStats(stats: CallStatsSnapshot, style: Style): string {
  const retries = stats.attempts - stats.calls;
  const total = `${plural(stats.calls, "call", "calls")} (${plural(stats.writes, "write", "writes")}, ${plural(retries, "retry", "retries")})`;
  if (stats.byAction.length === 0) return total;

  const rows = [...stats.byAction]
    .sort((a, b) => a.service.localeCompare(b.service) || a.action.localeCompare(b.action))
    .map((c) => [c.service, c.action, String(c.calls), String(c.attempts)]);
  const header = ["service", "action", "calls", "attempts"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  // Text columns to the left, numbers to the right, so that digits line up.
  const format = (row: string[]) =>
    row
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [style.dim(format(header)), ...rows.map(format), total].join("\n");
}

/** What people need from the resources after a run (a load balancer's DNS name), one `address.output = value` line each; empty when none. */
export function renderOutputs(results: readonly ResourceResult[], style: Style): string {
  const lines = results.flatMap((r) => Object.entries(r.outputs ?? {}).map(([name, value]) => `  ${r.address}.${name} = ${value}`));
  return lines.length === 0 ? "" : [style.bold("Outputs:"), ...lines].join("\n");
}
