import { Command, InvalidArgumentError, Option } from "commander";
import type { LoopCliOptions } from "../run-loop.js";
import { addSpecFiles, lockOptions, maxFileSizeOption, parseDuration, waitTimeoutOption } from "./options.js";
import { positiveInteger } from "./stack-options.js";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port number (0 picks a free one)");
  return n;
}

export function runCommand(): Command {
  const command = addSpecFiles(
    new Command("run").description(
      "reconcile unattended: apply the spec now, then again every interval, under the stack's lease, until SIGTERM or SIGINT",
    ),
  )
    .addOption(maxFileSizeOption())
    .option("--profile <name>", "profile of the shared AWS config files")
    .option("--endpoint <url>", "send every AWS call to this endpoint, such as a local moto server (default: AWS_ENDPOINT_URL, else AWS)")
    .addOption(
      new Option("--interval <duration>", "time between two ticks, ±10 % jitter (such as 90s, 5m)")
        .argParser(parseDuration)
        .default(300_000, "5m"),
    )
    .option("--once", "run one tick and exit with its code (for cron)")
    .option("--detailed-exitcode", "with --once: exit 2 when the tick made changes")
    .addOption(
      new Option("--log-format <format>", "one line per event, for people or log collectors").choices(["text", "json"]).default("text"),
    )
    .option("--metrics-port <port>", "serve Prometheus metrics (/metrics) and /healthz on this port (0 picks a free one)", port)
    .option("--metrics-host <address>", "the address the metrics server listens on", "127.0.0.1")
    .addOption(waitTimeoutOption())
    .option("--no-wait", "do not wait for changed ECS services to become stable")
    .option("--retry-failed", "deploy again a task definition whose deployment failed (by default it is reported, not retried)")
    .option("--parallelism <n>", "at most this many resources change at once", positiveInteger, 10);
  for (const option of lockOptions()) command.addOption(option);
  return command.action((options: LoopCliOptions) => import("../run-loop.js").then((m) => m.runReconcileLoop(options)));
}
