import { spawn, spawnSync } from "node:child_process";
import { DescribeClustersCommand, DescribeServicesCommand, ECSClient } from "@aws-sdk/client-ecs";
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_RUNNING_TASKS } from "../../scripts/moto.mjs";
import { REPO_ROOT, TEST_CLI } from "../support/cli.js";

/**
 * `npm run moto` as a person runs it: scripts/moto.mjs in its own process, its output evaluated by a shell, and the
 * CLI run with nothing but that environment (no --endpoint, no credentials of the test's) against the moto it started.
 */

const NOTE = /^# moto runs no containers: every ECS service reports (\d+) running tasks?/;

let moto: ReturnType<typeof spawn>;
let printed = "";
let exited: Promise<number | null>;

beforeAll(async () => {
  const env = { ...process.env };
  delete env.MOTO_ECS_SERVICE_RUNNING;
  moto = spawn(process.execPath, ["scripts/moto.mjs"], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "ignore"] });
  exited = new Promise((resolve) => moto.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    moto.once("exit", (code) => reject(new Error(`scripts/moto.mjs exited with ${code} before printing its note:\n${printed}`)));
    moto.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      printed += chunk;
      if (printed.split("\n").some((line) => NOTE.test(line))) resolve();
    });
  });
}, 60_000);

afterAll(async () => {
  moto.kill("SIGTERM");
  expect(await exited).toBe(0);
});

/** The shell's environment after it evaluated everything `npm run moto` printed, starting from nothing but PATH. */
function evaluated(): Record<string, string> {
  const shell = spawnSync("bash", ["-c", `${printed}\nenv -0`], { env: { PATH: process.env.PATH }, encoding: "utf8" });
  expect(shell.status, shell.stderr).toBe(0);
  return Object.fromEntries(
    shell.stdout
      .split("\0")
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
}

/** The CLI, bundled from source, with only PATH, HOME and the evaluated environment. */
function reconcileWith(env: Record<string, string>, args: string[]) {
  const run = spawnSync(process.execPath, [`${TEST_CLI}/main.js`, ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run moto", () => {
  it("prints, as lines a shell can eval, every variable the demo needs, and says how many tasks every service reports", async () => {
    expect(printed.split("\n").find((line) => NOTE.test(line))).toMatch(
      new RegExp(
        `reports ${DEMO_RUNNING_TASKS} running tasks, so a service whose desiredCount is not ${DEMO_RUNNING_TASKS} never looks stable`,
      ),
    );
    const env = evaluated();
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    });
    expect((await fetch(`${env.AWS_ENDPOINT_URL}/moto-api/`)).ok).toBe(true);

    // doctor takes its region and endpoint from the environment alone; on Node.js 20 the SDK would warn on stderr
    const doctor = reconcileWith(env, ["doctor"]);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    expect(doctor.stderr).not.toContain("NodeVersionSupportWarning");
  }, 60_000);

  it("is all the README's first spec needs: applied, its services (2 tasks each) stable at once, then deleted", async () => {
    const env = evaluated();
    const file = "examples/first-spec.yaml";
    try {
      const applied = reconcileWith(env, ["apply", "-f", file, "--yes", "--wait-timeout", "60s"]);
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      for (const service of ["shop-web", "shop-api"])
        expect(applied.stdout).toContain(`${service}: stable, ${DEMO_RUNNING_TASKS}/${DEMO_RUNNING_TASKS} running`);
      expect(applied.stdout).toContain("Apply complete: 19 added");
      expect(applied.stderr).not.toContain("NodeVersionSupportWarning");
      expect(reconcileWith(env, ["plan", "-f", file, "--detailed-exitcode"]).code).toBe(0);
    } finally {
      const deleted = reconcileWith(env, ["delete", "-f", file, "--yes"]);
      expect(deleted.code, deleted.stdout + deleted.stderr).toBe(0);
    }

    // The README's "Is everything gone?": delete without --yes changes nothing and finds nothing.
    const check = reconcileWith(env, ["delete", "-f", file, "--detailed-exitcode"]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain("Nothing to delete: stack shop owns no resources in us-east-1.");

    // moto's Tagging API still lists the deleted ECS cluster and services, all INACTIVE, and nothing else.
    const aws = { region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
    const tagging = new ResourceGroupsTaggingAPIClient(aws);
    const ecs = new ECSClient(aws);
    try {
      const { ResourceTagMappingList = [] } = await tagging.send(
        new GetResourcesCommand({ TagFilters: [{ Key: "reconcile:stack", Values: ["shop"] }] }),
      );
      const arns = ResourceTagMappingList.map((r) => r.ResourceARN!.replace(/^arn:aws:ecs:us-east-1:\d+:/, "")).sort();
      expect(arns).toEqual(["cluster/shop-main", "service/shop-main/shop-api", "service/shop-main/shop-web"]);
      const { clusters = [] } = await ecs.send(new DescribeClustersCommand({ clusters: ["shop-main"] }));
      const { services = [] } = await ecs.send(new DescribeServicesCommand({ cluster: "shop-main", services: ["shop-web", "shop-api"] }));
      expect([...clusters, ...services].map((r) => r.status)).toEqual(["INACTIVE", "INACTIVE", "INACTIVE"]);
    } finally {
      tagging.destroy();
      ecs.destroy();
    }
  }, 90_000);
});
