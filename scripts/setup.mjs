// Makes a fresh checkout ready: npm dependencies, then the project-local moto venv.
// Plain Node with no dependencies: it is what installs them (npm `pretest` / `predemo` hook).
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureVenv, MOTO_VERSION } from "./moto.mjs";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const lockFile = join(repoRoot, "package-lock.json");
const installedLock = join(repoRoot, "node_modules", ".package-lock.json");

/** @param {string} message */
const log = (message) => process.stderr.write(`setup: ${message}\n`);

/** @returns {"ci" | "install" | undefined} the npm command needed, if any */
function npmCommandNeeded() {
  if (!existsSync(lockFile)) return existsSync(join(repoRoot, "node_modules")) ? undefined : "install";
  if (!existsSync(installedLock)) return "ci";
  return statSync(lockFile).mtimeMs > statSync(installedLock).mtimeMs ? "ci" : undefined;
}

try {
  const npmCommand = npmCommandNeeded();
  if (npmCommand) {
    log(`npm ${npmCommand}`);
    // stdout goes to stderr so that hooks never pollute the output of the script they precede.
    const r = spawnSync("npm", [npmCommand], { cwd: repoRoot, stdio: ["ignore", 2, 2] });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`npm ${npmCommand} exited with status ${r.status}`);
  }
  await ensureVenv({ quiet: false });
  log(`ready (moto ${MOTO_VERSION} in .venv)`);
} catch (err) {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
