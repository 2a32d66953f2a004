// The demo: what `reconcile` does today, end to end, against a local moto server (no AWS account needed).
// Run by `npm run demo`, after `npm run build` and the setup hook (npm dependencies, the moto venv).
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_RUNNING_TASKS, motoEnvironment, startMoto } from "./moto.mjs";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = resolve(repoRoot, "dist/cli/main.js");

// moto runs no containers: it reports DEMO_RUNNING_TASKS (2) running tasks for every service (the reference spec's
// desired count), so that apply's wait for the web service to be stable ends at once.
const moto = await startMoto({ ecsServiceRunning: DEMO_RUNNING_TASKS });
// The environment `npm run moto` prints: the endpoint, dummy credentials, the region, and the SDK's notice that its
// 2027 releases will need Node.js 22 silenced, to keep the demo readable (the README says which versions the project
// pins for Node.js 20). The commands still name the endpoint, to show the flag.
const env = { ...process.env, ...motoEnvironment(moto.endpoint) };
let failed = false;

/**
 * Shows the command as a user would type it, runs it, and says whether it ended as expected. Asynchronously, never
 * with spawnSync: this process must keep draining moto's stderr (startMoto reads it), or moto blocks on a full pipe
 * in the middle of a run and every call to it hangs.
 */
async function step(title, args, expectedCode = 0) {
  process.stdout.write(`\n== ${title}\n$ reconcile ${args.join(" ")}\n`);
  const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot, env, stdio: ["ignore", "inherit", "inherit"] });
  const status = await new Promise((resolveStatus, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolveStatus(code));
  });
  process.stdout.write(`(exit ${status})\n`);
  if (status !== expectedCode) failed = true;
}

try {
  process.stdout.write(`moto server (local AWS emulator) at ${moto.endpoint}\n`);
  await step("The reference system validates, with warnings about its known flaws", ["validate", "-f", "examples/microblog.yaml"]);
  await step("The corrected design validates cleanly", ["validate", "-f", "examples/microblog-shared-db.yaml"]);
  await step("Every AWS service answers, and the spec's VPC and subnets are found", [
    "doctor",
    "-f",
    "examples/microblog.yaml",
    "--endpoint",
    moto.endpoint,
  ]);
  const reference = ["-f", "examples/microblog.yaml", "--endpoint", moto.endpoint];
  await step("What apply would do, from nothing", ["plan", ...reference]);
  await step("Apply it (--yes: no terminal to ask on here)", ["apply", ...reference, "--yes"]);
  await step("A second plan finds nothing to change (--detailed-exitcode: 0 = no changes)", ["plan", ...reference, "--detailed-exitcode"]);
  await step("Delete everything the stack owns, in reverse order", ["delete", ...reference, "--yes"]);
  await step("Deleting again finds nothing", ["delete", ...reference, "--yes"]);
  // The corrected design is its own stack with its own names. On AWS it can run beside the reference system; on
  // moto it comes after it, because moto allows one private DNS namespace per VPC and both use the default VPC.
  // --no-wait: moto reports the same running count (2) for every service, and its database service wants 1.
  const shared = ["-f", "examples/microblog-shared-db.yaml", "--endpoint", moto.endpoint];
  await step("The corrected design: its own stack (--no-wait: see scripts/demo.mjs)", ["apply", ...shared, "--yes", "--no-wait"]);
  await step("Its second plan finds nothing to change either", ["plan", ...shared, "--detailed-exitcode"]);
  await step("Delete it", ["delete", ...shared, "--yes"]);
  await step("Deleting it again finds nothing", ["delete", ...shared, "--yes"]);
} finally {
  await moto.stop();
}
process.stdout.write(failed ? "\ndemo FAILED: a step did not end as expected\n" : "\ndemo finished: every step ended as expected\n");
process.exitCode = failed ? 1 : 0;
