// Project-local moto server: installs it into <repo>/.venv and runs it on a loopback port.
// Plain Node ESM with only node: built-ins, because it runs before npm dependencies exist.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** moto[server] and its dependencies, all pinned; the moto version is read from there. */
const requirementsFile = fileURLToPath(new URL("./moto-requirements.txt", import.meta.url));
export const MOTO_VERSION = /^moto\[server\]==(\S+)$/m.exec(readFileSync(requirementsFile, "utf8"))?.[1] ?? "";
if (!MOTO_VERSION) throw new Error(`${requirementsFile} does not pin moto[server]==VERSION`);

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const venvDir = join(repoRoot, ".venv");
const venvPython = join(venvDir, "bin", "python");
const motoServerBin = join(venvDir, "bin", "moto_server");

/** @param {string} message */
const log = (message) => process.stderr.write(`${message}\n`);

/** @returns {string | undefined} the moto version installed in the venv, if any */
function installedMotoVersion() {
  if (!existsSync(motoServerBin) || !existsSync(venvPython)) return undefined;
  const r = spawnSync(venvPython, ["-c", "import moto; print(moto.__version__)"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {boolean} quiet
 */
function run(cmd, args, quiet) {
  const r = spawnSync(cmd, args, { stdio: quiet ? ["ignore", "ignore", "pipe"] : "inherit", encoding: "utf8" });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = quiet && r.stderr ? `\n${r.stderr.trim().split("\n").slice(-20).join("\n")}` : "";
    throw new Error(`${cmd} ${args.join(" ")} exited with status ${r.status}${tail}`);
  }
}

/**
 * Makes sure <repo>/.venv holds moto[server]==MOTO_VERSION. Fast when it already does.
 * @param {{ quiet?: boolean }} [options]
 * @returns {Promise<void>}
 */
export async function ensureVenv({ quiet = false } = {}) {
  const installed = installedMotoVersion();
  if (installed === MOTO_VERSION) return;

  const python3 = spawnSync("python3", ["--version"], { encoding: "utf8" });
  if (python3.error || python3.status !== 0) {
    throw new Error(
      "python3 was not found on PATH. moto (the local AWS emulator the tests use) needs Python 3.9 or later " +
        "with the venv module (on Debian/Ubuntu: apt-get install python3 python3-venv).",
    );
  }
  if (!quiet)
    log(installed ? `moto ${installed} in .venv, want ${MOTO_VERSION}: reinstalling` : `installing moto ${MOTO_VERSION} into .venv`);
  if (!existsSync(venvPython)) run("python3", ["-m", "venv", venvDir], quiet);
  run(venvPython, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirementsFile], quiet);

  const now = installedMotoVersion();
  if (now !== MOTO_VERSION) throw new Error(`after pip install, .venv has moto ${now ?? "(none)"}, expected ${MOTO_VERSION}`);
}

/** @returns {Promise<number>} a loopback port that was free a moment ago */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {object} MotoServer
 * @property {string} endpoint  e.g. http://127.0.0.1:40123
 * @property {number} port
 * @property {() => Promise<void>} stop  kills moto and waits for it to exit
 */

/**
 * Starts moto_server from .venv on 127.0.0.1 (a free port unless one is given) and waits until it answers HTTP.
 * moto runs no containers: `ecsServiceRunning` is the running count it reports for every new ECS service
 * (MOTO_ECS_SERVICE_RUNNING; 0 when not given, so that no service ever becomes stable).
 * @param {{ port?: number, timeoutMs?: number, ecsServiceRunning?: number }} [options]
 * @returns {Promise<MotoServer>}
 */
export async function startMoto({ port, timeoutMs = 60_000, ecsServiceRunning } = {}) {
  if (!existsSync(motoServerBin)) throw new Error(`${motoServerBin} is missing: run \`node scripts/setup.mjs\` first`);
  const p = port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${p}`;

  const env = { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: "true" };
  delete env.MOTO_ECS_SERVICE_RUNNING;
  if (ecsServiceRunning !== undefined) env.MOTO_ECS_SERVICE_RUNNING = String(ecsServiceRunning);
  const child = spawn(motoServerBin, ["-H", "127.0.0.1", "-p", String(p)], { env, stdio: ["ignore", "ignore", "pipe"] });

  // moto logs every request to stderr: keep only a bounded tail for error messages.
  let stderrTail = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderrTail = (stderrTail + chunk).slice(-8192);
  });

  /** @type {{ code: number | null, signal: NodeJS.Signals | null } | undefined} */
  let exited;
  const exitPromise = new Promise((r) =>
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      r(undefined);
    }),
  );
  /** @type {Error | undefined} */
  let spawnError;
  child.once("error", (err) => {
    spawnError = err;
  });

  // Safety net: never leave moto behind when this process exits without calling stop().
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.off("exit", killOnExit);
    if (exited) return;
    child.kill("SIGTERM");
    const killTimer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exitPromise;
    clearTimeout(killTimer);
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError || exited) {
      process.off("exit", killOnExit);
      const why = spawnError ? spawnError.message : `exited with code ${exited?.code} signal ${exited?.signal}`;
      throw new Error(`moto_server failed to start on port ${p}: ${why}\n${stderrTail.trim()}`);
    }
    try {
      await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
      return { endpoint, port: p, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms\n${stderrTail.trim()}`);
    }
    await sleep(100);
  }
}

/**
 * The running count the demo's moto reports for every ECS service: the reference spec's desired count, so that
 * apply's wait for its services ends at once. `npm run moto` uses it too, unless MOTO_ECS_SERVICE_RUNNING is set.
 */
export const DEMO_RUNNING_TASKS = 2;

/**
 * Everything a process needs to use the moto at `endpoint`: moto accepts any credentials, and these keep the SDK from
 * looking for real ones; AWS_DEFAULT_REGION is for the AWS CLI v1. The last silences the SDK's notice that its 2027
 * releases need Node.js 22 (it takes "true" only: "1" leaves the notice on).
 * @param {string} endpoint
 * @returns {Record<string, string>}
 */
export function motoEnvironment(endpoint) {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/** @returns {number} MOTO_ECS_SERVICE_RUNNING from the environment when set, else DEMO_RUNNING_TASKS */
function runningTasksWanted() {
  const given = process.env.MOTO_ECS_SERVICE_RUNNING;
  if (given === undefined || given === "") return DEMO_RUNNING_TASKS;
  if (/^\d+$/.test(given)) return Number(given);
  log(`MOTO_ECS_SERVICE_RUNNING=${given}: expected a whole number of tasks, such as 1`);
  process.exit(1);
}

// `npm run moto`: stdout is meant for a person and for `eval`, so every line but the export is a shell comment.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const running = runningTasksWanted();
  await ensureVenv();
  const moto = await startMoto({ ecsServiceRunning: running });
  const exports = Object.entries(motoEnvironment(moto.endpoint)).map(([name, value]) => `${name}=${value}`);
  console.log(`# moto server (local AWS emulator) listening at ${moto.endpoint}; Ctrl-C stops it. In another shell:`);
  console.log(`export ${exports.join(" ")}`);
  console.log(
    `# moto runs no containers: every ECS service reports ${running} running task${running === 1 ? "" : "s"}, so a service whose desiredCount is not ${running} ` +
      `never looks stable (restart with MOTO_ECS_SERVICE_RUNNING=<its desiredCount> npm run moto, or apply with --no-wait)`,
  );
  /** @param {NodeJS.Signals} signal */
  const shutdown = async (signal) => {
    log(`${signal}: stopping moto`);
    await moto.stop();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}
