import { createInterface } from "node:readline/promises";
import { describeLease, leaseDescription, removeLease } from "../aws/lease.js";
import { openStack, planStack, PlanError, runStack, type RunMode, type StackSession } from "../engine/index.js";
import { hasBlockedRows, hasChanges, runnable, type ResourceResult, type RunReport } from "../plan/model.js";
import { renderPlanJson } from "../plan/render-json.js";
import { renderPlanText } from "../plan/render-text.js";
import { renderOutputs, renderProgress, renderRunSummary, renderStats, renderWaitNews } from "../plan/render-run.js";
import type { Spec } from "../schema/index.js";
import type { ChangeOptions, StackOptions } from "./commands/stack-options.js";
import { EXIT, type StopSignal } from "./exit-codes.js";
import { onInterrupt } from "./interrupt.js";
import { loadOrExit } from "./load-spec.js";
import { styleFor } from "./style.js";

const write = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

async function withSession<T>(spec: Spec, options: StackOptions, work: (session: StackSession) => Promise<T>): Promise<T | undefined> {
  const session = openStack(spec, { profile: options.profile, endpoint: options.endpoint });
  try {
    return await work(session);
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    process.stderr.write(`reconcile: cannot plan stack ${spec.stack}: ${error.message}\nNothing was changed.\n`);
    process.exitCode = EXIT.failure;
    return undefined;
  } finally {
    session.close();
  }
}

/** How the text plan is printed: `--compact`, one line per resource. */
export interface PrintOptions {
  compact?: boolean;
}

/** `plan`: exit 0 (no changes), 2 (changes, with --detailed-exitcode), 1 (error or conflict). */
export async function runPlan(options: StackOptions & PrintOptions & { detailedExitcode?: boolean; retryFailed?: boolean }): Promise<void> {
  const spec = await loadOrExit(options);
  if (!spec) return;
  await withSession(spec, options, async (session) => {
    const { plan } = await planStack(spec, session.ctx, "apply", undefined, { retryFailed: options.retryFailed === true, identify: true });
    const stats = session.stats.snapshot();
    if (options.json) write(renderPlanJson(plan, { stats }));
    else {
      const style = styleFor(process.stdout);
      write(renderPlanText(plan, style, { compact: options.compact === true }));
      if (options.stats) write(renderStats(stats, style));
    }
    process.exitCode = hasBlockedRows(plan) ? EXIT.failure : options.detailedExitcode && hasChanges(plan) ? EXIT.changes : EXIT.ok;
  });
}

/** `apply` and `delete`: take the stack's lease, plan, show, confirm, carry out, report. */
export async function runChange(mode: RunMode, options: ChangeOptions & PrintOptions): Promise<void> {
  const spec = await loadOrExit(options, { forDelete: mode === "delete" });
  if (!spec) return;
  const style = styleFor(process.stdout);
  // With --json, stdout holds the JSON alone: news of waits and signals goes to stderr.
  const news = options.json ? process.stderr : process.stdout;
  const interruption = onInterrupt((signal) =>
    news.write(`\n${signal}: calls in flight finish, nothing new starts (${signal} again stops at once, leaving the lease to expire).\n`),
  );
  try {
    await withSession(spec, options, async (session) => {
      const started = performance.now();
      // Deleting always waits for services to go: their cluster and task definitions are deleted after them.
      const waits = mode === "delete" || options.wait !== false;
      const ctx = {
        ...session.ctx,
        ...(waits && { wait: { timeoutMs: options.waitTimeout } }),
        progress: (resource: string, message: string) => news.write(`${renderWaitNews(resource, message, styleFor(news))}\n`),
      };
      let changing = false;
      const outcome = await runStack({
        mode,
        spec,
        ctx,
        command: mode,
        lease: {
          waitMs: options.lockTimeout,
          ttlMs: options.lockTtl,
          onWait: (lease) => news.write(`reconcile: ${leaseDescription(lease)}; waiting up to ${options.lockTimeout / 1000} s for it\n`),
        },
        plan: { retryFailed: options.retryFailed === true, identify: true },
        signal: interruption.signal,
        parallelism: options.parallelism,
        onPlan: (plan) => {
          changing = runnable(plan);
          if (!options.json) write(renderPlanText(plan, style, { compact: options.compact === true }));
        },
        confirm: () => confirmed(mode, spec, options),
        onResult: (result, change) =>
          // With conflicts alone nothing is carried out: the summary reports them.
          changing && !options.json && result.action !== "noop" && result.action !== "read" && write(renderProgress(result, change, style)),
      });
      if (outcome.status === "lock-held") {
        process.stderr.write(`reconcile: ${leaseDescription(outcome.lease)}. Nothing was read or changed.\n`);
        process.exitCode = EXIT.lockHeld;
        return;
      }
      if (outcome.status === "declined") return;
      const { plan, results } = outcome;
      const report: RunReport = { plan, results, elapsedMs: performance.now() - started, stats: session.stats.snapshot() };
      if (options.json) write(renderPlanJson(plan, { stats: report.stats, results }));
      else {
        if (runnable(plan) || hasBlockedRows(plan)) write(renderRunSummary(report, style));
        const outputs = renderOutputs(results, style);
        if (outputs) write(outputs);
        if (options.stats) write(renderStats(report.stats, style));
      }
      if (outcome.leaseLost)
        process.stderr.write(`reconcile: the lease on stack ${spec.stack} could not be renewed: the run stopped starting changes.\n`);
      process.exitCode = changeExitCode(results, interruption.received(), options.detailedExitcode === true);
    });
  } finally {
    interruption.dispose();
  }
}

/** 130/143 when a signal stopped the run, 1 when something failed or was not started, else 0 or (detailed) 2 for changes made. */
function changeExitCode(results: readonly ResourceResult[], signal: StopSignal | undefined, detailed: boolean): number {
  if (signal) return EXIT.interrupted[signal];
  if (results.some((r) => r.outcome !== "done")) return EXIT.failure;
  const changed = results.some((r) => r.action !== "noop" && r.action !== "read");
  return detailed && changed ? EXIT.changes : EXIT.ok;
}

const QUESTIONS: Record<RunMode | "unlock", (spec: Spec) => string> = {
  apply: (spec) => `Apply these changes to stack ${spec.stack} in ${spec.region}?`,
  delete: (spec) => `Delete every resource of stack ${spec.stack} in ${spec.region}?`,
  unlock: (spec) => `Remove this lease on stack ${spec.stack} in ${spec.region}, whoever holds it?`,
};

/** On a terminal, asks; elsewhere only `--yes` lets it go ahead. */
async function confirmed(mode: RunMode | "unlock", spec: Spec, options: { yes?: boolean; json?: boolean }): Promise<boolean> {
  if (options.yes) return true;
  if (!process.stdin.isTTY || !process.stdout.isTTY || options.json) {
    process.stderr.write(
      `reconcile: ${mode} changes AWS and needs confirmation: run it in a terminal to be asked, or pass --yes. Nothing was changed.\n`,
    );
    process.exitCode = EXIT.failure;
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`\n${QUESTIONS[mode](spec)} Only "yes" goes ahead: `);
    if (answer.trim() === "yes") return true;
    write(`${mode[0]!.toUpperCase()}${mode.slice(1)} cancelled. Nothing was changed.`);
    process.exitCode = EXIT.failure;
    return false;
  } finally {
    rl.close();
  }
}

/** `unlock`: shows the stack's lease and, once confirmed, removes it, whoever holds it. */
export async function runUnlock(options: StackOptions & { yes?: boolean }): Promise<void> {
  const spec = await loadOrExit(options);
  if (!spec) return;
  await withSession(spec, options, async (session) => {
    const lease = await describeLease(session.ctx.clients, spec.stack);
    if (!lease) {
      write(`Stack ${spec.stack} in ${spec.region} is not locked.`);
      return;
    }
    write(`${leaseDescription(lease)}.`);
    if (!(await confirmed("unlock", spec, options))) return;
    await removeLease(session.ctx.clients, spec.stack);
    write(`Lease on stack ${spec.stack} removed.`);
  });
}
