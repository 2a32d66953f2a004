import { createInterface } from "node:readline/promises";
import { applyPlan, openStack, planStack, PlanError, type StackSession } from "../engine/index.js";
import { hasChanges, type Plan, type RunReport } from "../plan/model.js";
import { renderPlanJson } from "../plan/render-json.js";
import { renderPlanText } from "../plan/render-text.js";
import { renderOutputs, renderProgress, renderRunSummary, renderStats, renderWaitNews } from "../plan/render-run.js";
import { loadSpec, type Spec } from "../schema/index.js";
import type { ChangeOptions, StackOptions } from "./commands/stack-options.js";
import { EXIT } from "./exit-codes.js";
import { reportDiagnostics } from "./report-diagnostics.js";
import { styleFor } from "./style.js";

const write = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

/** Loads and validates the spec; errors go to stderr and end the command. */
async function loadOrExit(files: string[]): Promise<Spec | undefined> {
  const result = await loadSpec(files);
  reportDiagnostics(result, { errorsOnly: true });
  if (!result.spec) process.exitCode = EXIT.failure;
  return result.spec;
}

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

const conflicts = (plan: Plan) => plan.summary.conflict > 0;

/** `plan`: exit 0 (no changes), 2 (changes, with --detailed-exitcode), 1 (error or conflict). */
export async function runPlan(options: StackOptions & { detailedExitcode?: boolean }): Promise<void> {
  const spec = await loadOrExit(options.file);
  if (!spec) return;
  await withSession(spec, options, async (session) => {
    const { plan } = await planStack(spec, session.ctx, "apply");
    const stats = session.stats.snapshot();
    if (options.json) write(renderPlanJson(plan, { stats }));
    else {
      const style = styleFor(process.stdout);
      write(renderPlanText(plan, style));
      if (options.stats) write(renderStats(stats, style));
    }
    process.exitCode = conflicts(plan) ? EXIT.failure : options.detailedExitcode && hasChanges(plan) ? EXIT.changes : EXIT.ok;
  });
}

/** `apply` and `delete`: plan, show, confirm, carry out, report. */
export async function runChange(mode: "apply" | "delete", options: ChangeOptions): Promise<void> {
  const spec = await loadOrExit(options.file);
  if (!spec) return;
  const style = styleFor(process.stdout);
  await withSession(spec, options, async (session) => {
    const started = performance.now();
    const planned = await planStack(spec, session.ctx, mode);
    const { plan } = planned;
    if (!options.json) write(renderPlanText(plan, style));

    const runnable = plan.resources.some((r) => r.action !== "noop" && r.action !== "read" && r.action !== "conflict");
    if (runnable && !(await confirmed(mode, spec, options))) return;
    // With conflicts alone there is nothing to confirm: the run only reports them, failed, without an AWS call.
    // Deleting always waits for services to go: their cluster and task definitions are deleted after them.
    const waits = mode === "delete" || options.wait !== false;
    // With --json, stdout holds the JSON alone: the news of a wait goes to stderr.
    const news = options.json ? process.stderr : process.stdout;
    const ctx = {
      ...session.ctx,
      ...(waits && { wait: { timeoutMs: options.waitTimeout } }),
      progress: (resource: string, message: string) => news.write(`${renderWaitNews(resource, message, styleFor(news))}\n`),
    };
    const results = await applyPlan(planned, ctx, {
      parallelism: options.parallelism,
      onResult:
        options.json || !runnable
          ? undefined
          : (result, change) => result.action !== "noop" && result.action !== "read" && write(renderProgress(result, change, style)),
    });
    const report: RunReport = { plan, results, elapsedMs: performance.now() - started, stats: session.stats.snapshot() };
    if (options.json) write(renderPlanJson(plan, { stats: report.stats, results }));
    else {
      if (runnable || conflicts(plan)) write(renderRunSummary(report, style));
      const outputs = renderOutputs(results, style);
      if (outputs) write(outputs);
      if (options.stats) write(renderStats(report.stats, style));
    }
    process.exitCode = results.some((r) => r.outcome === "failed" || r.outcome === "cancelled") ? EXIT.failure : EXIT.ok;
  });
}

/** On a terminal, asks; elsewhere only `--yes` lets it go ahead. */
async function confirmed(mode: "apply" | "delete", spec: Spec, options: { yes?: boolean; json?: boolean }): Promise<boolean> {
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
    const answer = await rl.question(
      `\n${mode === "apply" ? "Apply these changes to" : "Delete every resource of"} stack ${spec.stack} in ${spec.region}? Only "yes" goes ahead: `,
    );
    if (answer.trim() === "yes") return true;
    write(`${mode === "apply" ? "Apply" : "Delete"} cancelled. Nothing was changed.`);
    process.exitCode = EXIT.failure;
    return false;
  } finally {
    rl.close();
  }
}
