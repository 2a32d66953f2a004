import { createTick } from "../loop/tick.js";
import { renderEventJson, renderEventText, type LoopEvent } from "../loop/events.js";
import { createMetrics, startMetricsServer } from "../loop/metrics.js";
import { runLoop } from "../loop/schedule.js";
import { renderWaitNews } from "../plan/render-run.js";
import { loadSpec } from "../schema/index.js";
import { EXIT } from "./exit-codes.js";
import { onInterrupt } from "./interrupt.js";
import { renderDiagnostic } from "./render-diagnostics.js";
import { plainStyle, styleFor } from "./style.js";

export interface LoopCliOptions {
  file: string[];
  maxFileSize: number;
  profile?: string;
  endpoint?: string;
  interval: number;
  once?: boolean;
  detailedExitcode?: boolean;
  logFormat: "text" | "json";
  metricsPort?: number;
  metricsHost: string;
  waitTimeout: number;
  wait?: boolean;
  retryFailed?: boolean;
  parallelism: number;
  lockTimeout: number;
  lockTtl: number;
}

/** The spec's errors, as `validate` prints them, in one message: a tick with an invalid spec fails with it. */
async function loadOrThrow(files: string[], maxFileBytes: number) {
  const result = await loadSpec(files, { maxFileBytes });
  if (result.spec) return result.spec;
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  throw new Error(`the spec is invalid: ${errors.map((d) => renderDiagnostic(d, plainStyle)).join("; ")}`);
}

/** `run`: the loop, one event a line on stdout; SIGTERM or SIGINT ends it after the tick under way (exit 0). */
export async function runReconcileLoop(options: LoopCliOptions): Promise<void> {
  const json = options.logFormat === "json";
  const emit = (event: LoopEvent) => {
    const at = new Date();
    process.stdout.write(`${json ? renderEventJson(event, at) : renderEventText(event, at)}\n`);
  };
  const metrics = options.metricsPort === undefined ? undefined : createMetrics({ intervalMs: options.interval });
  const server = metrics && (await startMetricsServer(metrics, { port: options.metricsPort!, host: options.metricsHost }));
  if (server) process.stderr.write(`reconcile: metrics on http://${options.metricsHost}:${server.port}/metrics and /healthz\n`);
  const interruption = onInterrupt(() => undefined);
  try {
    const tick = createTick({
      load: () => loadOrThrow(options.file, options.maxFileSize),
      connection: {
        ...(options.profile !== undefined && { profile: options.profile }),
        ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
      },
      command: options.once ? "run --once" : "run",
      lease: { waitMs: options.lockTimeout, ttlMs: options.lockTtl },
      ...(options.wait !== false && { waitTimeoutMs: options.waitTimeout }),
      parallelism: options.parallelism,
      retryFailed: options.retryFailed === true,
      emit,
      ...(!json && {
        progress: (resource: string, message: string) =>
          process.stdout.write(`${renderWaitNews(resource, message, styleFor(process.stdout))}\n`),
      }),
    });
    const { last } = await runLoop(tick, {
      intervalMs: options.interval,
      once: options.once === true,
      signal: interruption.signal,
      onEvent: (event) => {
        emit(event);
        metrics?.observe(event);
      },
    });
    process.exitCode = options.once ? onceExitCode(last?.result, interruption.received(), options.detailedExitcode === true) : EXIT.ok;
  } finally {
    interruption.dispose();
    await server?.close();
  }
}

/** `--once` ends as apply does: 0 or (detailed) 2, 1 failed, 3 lock held, 130/143 stopped by a signal. */
function onceExitCode(result: string | undefined, signal: "SIGINT" | "SIGTERM" | undefined, detailed: boolean): number {
  if (signal) return EXIT.interrupted[signal];
  switch (result) {
    case "unchanged":
      return EXIT.ok;
    case "changed":
      return detailed ? EXIT.changes : EXIT.ok;
    case "lock-held":
      return EXIT.lockHeld;
    default:
      return EXIT.failure;
  }
}
