import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/cli.js";

/**
 * The commands that never call AWS must not load the AWS SDK (about 0.65 s of module loading on this machine, EC2's
 * client alone 0.37 s): the CLI's start-up is what an editor integration, a pre-commit hook or a loop tick pays.
 * A module-resolution hook lists every module the CLI loads.
 */
const LIST_MODULES =
  "data:text/javascript," +
  encodeURIComponent(
    `import { register } from "node:module";
     register("data:text/javascript," + encodeURIComponent("export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('MODULE ' + r.url + '\\\\n'); return r; }"));`,
  );

function modulesLoadedBy(args: string[]): string[] {
  const run = spawnSync(process.execPath, ["--import", "tsx", "--import", LIST_MODULES, "src/cli/main.ts", ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  expect(run.status, run.stderr).toBe(0);
  return run.stderr.split("\n").flatMap((line) => (line.startsWith("MODULE ") ? [line.slice(7)] : []));
}

describe("what the CLI loads before it runs", () => {
  it.each([[["--version"]], [["--help"]], [["validate", "-f", "examples/microblog.yaml"]], [["schema"]]])(
    "%j loads no AWS SDK client",
    (args) => {
      const modules = modulesLoadedBy(args);
      expect(modules.some((url) => url.includes("/src/cli/main.ts"))).toBe(true);
      expect(modules.filter((url) => url.includes("@aws-sdk/"))).toEqual([]);
    },
  );

  it("--version loads neither the spec's parser (zod, yaml) nor the engine", () => {
    const modules = modulesLoadedBy(["--version"]);
    expect(modules.filter((url) => /node_modules\/(zod|yaml)\/|\/src\/(engine|reconcilers|aws)\//.test(url))).toEqual([]);
  });
});
