// The demo: what `reconcile` does today, end to end, against a local moto server (no AWS account needed).
// Run by `npm run demo`, after `npm run build` and the setup hook (npm dependencies, the moto venv).
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startMoto } from "./moto.mjs";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = resolve(repoRoot, "dist/cli/main.js");

// moto runs no containers: it reports 2 running tasks for every service (the reference spec's desired
// count), so that apply's wait for the web service to be stable ends at once.
const moto = await startMoto({ ecsServiceRunning: 2 });
// moto accepts any credentials; these keep the SDK from looking for real ones.
// The SDK's notice that its 2027 releases will need Node.js 22 is silenced here only, to keep the demo
// readable; the README says which versions the project pins for Node.js 20.
const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_REGION: "us-east-1",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};
let failed = false;

/** Shows the command as a user would type it, runs it, and says whether it ended as expected. */
function step(title, args, expectedCode = 0) {
  process.stdout.write(`\n== ${title}\n$ reconcile ${args.join(" ")}\n`);
  const run = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, env, stdio: ["ignore", "inherit", "inherit"] });
  process.stdout.write(`(exit ${run.status})\n`);
  if (run.status !== expectedCode) failed = true;
}

try {
  process.stdout.write(`moto server (local AWS emulator) at ${moto.endpoint}\n`);
  step("The reference system validates, with warnings about its known flaws", ["validate", "-f", "examples/microblog.yaml"]);
  step("The corrected design validates cleanly", ["validate", "-f", "examples/microblog-shared-db.yaml"]);
  step("Every AWS service answers, and the spec's VPC and subnets are found", [
    "doctor",
    "-f",
    "examples/microblog.yaml",
    "--endpoint",
    moto.endpoint,
  ]);
  const reference = ["-f", "examples/microblog.yaml", "--endpoint", moto.endpoint];
  step("What apply would do, from nothing", ["plan", ...reference]);
  step("Apply it (--yes: no terminal to ask on here)", ["apply", ...reference, "--yes"]);
  step("A second plan finds nothing to change (--detailed-exitcode: 0 = no changes)", ["plan", ...reference, "--detailed-exitcode"]);
  // The corrected design is its own stack with its own names: it goes up beside the reference system.
  // --no-wait: moto reports the same running count (2) for every service, and its database service wants 1.
  const shared = ["-f", "examples/microblog-shared-db.yaml", "--endpoint", moto.endpoint];
  step("The corrected design goes up beside it, its own stack (--no-wait: see scripts/demo.mjs)", [
    "apply",
    ...shared,
    "--yes",
    "--no-wait",
  ]);
  step("Its second plan finds nothing to change either", ["plan", ...shared, "--detailed-exitcode"]);
  step("The reference system is untouched by it: still nothing to change", ["plan", ...reference, "--detailed-exitcode"]);
  step("Delete everything the reference stack owns, in reverse order", ["delete", ...reference, "--yes"]);
  step("Deleting again finds nothing", ["delete", ...reference, "--yes"]);
  step("Delete the corrected design's stack", ["delete", ...shared, "--yes"]);
  step("Deleting it again finds nothing", ["delete", ...shared, "--yes"]);
} finally {
  await moto.stop();
}
process.stdout.write(failed ? "\ndemo FAILED: a step did not end as expected\n" : "\ndemo finished: every step ended as expected\n");
process.exitCode = failed ? 1 : 0;
