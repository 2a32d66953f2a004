import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { DEMO_RUNNING_TASKS, startMoto } from "../../scripts/moto.mjs";
import { REPO_ROOT, TEST_CLI } from "./cli.js";

/**
 * moto runs no containers. Every ECS service it creates reports this many running tasks
 * (MOTO_ECS_SERVICE_RUNNING), so that a service created with this desired count is stable at once: tests
 * that wait for stability use it as their desired count. The demo and `npm run moto` use the same count.
 */
export const MOTO_RUNNING_TASKS = DEMO_RUNNING_TASKS;

/** One moto server for the whole test run; tests reach it through inject("motoEndpoint"). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The CLI the tests run, bundled from src as the bin is (about 0.3 s): it starts three times faster than through tsx.
  execFileSync(process.execPath, ["scripts/bundle-cli.mjs", "--outdir", TEST_CLI], { cwd: REPO_ROOT, stdio: "inherit" });
  const moto = await startMoto({ ecsServiceRunning: MOTO_RUNNING_TASKS });
  project.provide("motoEndpoint", moto.endpoint);
  return () => moto.stop();
}
