import { openStack, PlanError, stackStatus } from "../../engine/index.js";
import { renderStats } from "../../plan/render-run.js";
import { renderStatusJson, renderStatusText } from "../../plan/render-status.js";
import type { StackOptions } from "../commands/stack-options.js";
import { EXIT } from "../exit-codes.js";
import { loadOrExit } from "../load-spec.js";
import { styleFor } from "../style.js";

/** Exit 0 when everything was read, 1 when the spec is invalid, the plan cannot be made, or a part could not be read. */
export async function runStatus(options: StackOptions): Promise<void> {
  const spec = await loadOrExit(options);
  if (!spec) return;
  const session = openStack(spec, { profile: options.profile, endpoint: options.endpoint });
  try {
    const status = await stackStatus(spec, session.ctx);
    const style = styleFor(process.stdout);
    const stats = options.stats ? session.stats.snapshot() : undefined;
    if (options.json) process.stdout.write(renderStatusJson(status, { ...(stats && { stats }) }));
    else {
      process.stdout.write(`${renderStatusText(status, style)}\n`);
      if (stats) process.stdout.write(`${renderStats(stats, style)}\n`);
    }
    process.exitCode = status.unavailable.length > 0 ? EXIT.failure : EXIT.ok;
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    process.stderr.write(`reconcile: cannot read the status of stack ${spec.stack}: ${error.message}\n`);
    process.exitCode = EXIT.failure;
  } finally {
    session.close();
  }
}
