import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The CLI bundled from src by the global setup (scripts/bundle-cli.mjs, as the bin is built), relative to REPO_ROOT. */
export const TEST_CLI = ".test-cli/cli";
const CLI_ARGS = [`${TEST_CLI}/main.js`];

/** Runs the CLI, bundled from source, as a user runs the built one: its own process, no TTY, no colour. */
export function reconcile(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const run = spawnSync(process.execPath, [...CLI_ARGS, ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The CLI as its own process, running while the test goes on: to run two at once, or to signal one. */
export function startReconcile(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [...CLI_ARGS, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const lineWaiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  let pending = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines)
      for (const waiter of [...lineWaiters])
        if (waiter.test(line)) {
          lineWaiters.splice(lineWaiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    child,
    exited,
    /** The first line of stdout from now on that passes `test`. */
    nextLine: (test: (line: string) => boolean) => new Promise<string>((resolve) => lineWaiters.push({ test, resolve })),
    output: () => ({ stdout, stderr }),
  };
}
