import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inWrittenOrder } from "../../src/cli/commands/options.js";
import { reconcile as run } from "../support/cli.js";

const reconcile = (...args: string[]) => run(args);

/** Two overlays that set the stack's name: the last one merged wins, so the name printed tells the order. */
function overlays() {
  const dir = mkdtempSync(join(tmpdir(), "reconcile-files-"));
  const a = join(dir, "a.yaml");
  const b = join(dir, "b.yaml");
  writeFileSync(a, "stack: from-a\n");
  writeFileSync(b, "stack: from-b\n");
  return { a, b };
}

describe("spec files given with or without -f", () => {
  it("validate shop.yaml: a spec file without -f", () => {
    const { code, stdout } = reconcile("validate", "examples/microblog.yaml");
    expect(code).toBe(0);
    expect(stdout).toBe("valid: examples/microblog.yaml (stack microblog, 0 errors, 4 warnings)\n");
  });

  it.each([
    { why: "all without -f", args: (a: string, b: string) => ["examples/microblog.yaml", a, b], stack: "from-b" },
    { why: "-f, then without", args: (a: string, b: string) => ["-f", "examples/microblog.yaml", "--json", a, b], stack: "from-b" },
    { why: "without, then -f", args: (a: string, b: string) => ["examples/microblog.yaml", b, "-f", a], stack: "from-a" },
    { why: "mixed, -f=", args: (a: string, b: string) => ["examples/microblog.yaml", `--file=${b}`, a], stack: "from-a" },
  ])("$why: every file, merged in the order written", ({ args, stack }) => {
    const { a, b } = overlays();
    const { code, stdout } = reconcile("validate", "--json", ...args(a, b));
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.files).toEqual(
      args(a, b)
        .filter((x) => x.endsWith(".yaml"))
        .map((x) => x.replace(/^--file=/, "")),
    );
    const text = reconcile("validate", ...args(a, b).filter((x) => x !== "--json"));
    expect(text.stdout).toContain(`(stack ${stack},`);
  });

  it.each(["validate", "plan", "apply", "delete", "status", "unlock"])("%s without any spec file is a usage error, exit 64", (command) => {
    const { code, stderr } = reconcile(command);
    expect(code).toBe(64);
    expect(stderr).toContain(`error: no spec file given: reconcile ${command} shop.yaml (or -f shop.yaml)`);
  });

  it.each([
    ["plan", []],
    ["apply", ["--yes"]],
    ["delete", ["--yes"]],
    ["status", []],
    ["unlock", ["--yes"]],
  ])("%s reads spec files given without -f", (command, extra) => {
    const dir = mkdtempSync(join(tmpdir(), "reconcile-files-"));
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "stack: demo\nregion: us-east-1\nnetwork: { vpc: defualt, subnets: { ids: [subnet-0a] } }\n");
    // An invalid spec stops the command before any AWS call: the file was read, not refused as an argument.
    const { code, stderr } = reconcile(command, file, ...extra);
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}:3:`);
    expect(stderr).toContain("network.vpc");
  });

  it("the usage line says files may be given without -f", () => {
    expect(reconcile("plan", "--help").stdout).toContain("Usage: reconcile plan [options] <file...>");
    expect(reconcile("validate", "--help").stdout).toMatch(/-f, --file <path\.\.\.> +spec file, also given without -f/);
  });
});

describe("inWrittenOrder", () => {
  it.each([
    { raw: ["plan", "a", "-f", "b", "c"], flagged: ["b", "c"], operands: ["a"], files: ["a", "b", "c"] },
    { raw: ["plan", "-f", "a", "--json", "b"], flagged: ["a"], operands: ["b"], files: ["a", "b"] },
    { raw: ["plan", "-fa", "b"], flagged: ["a"], operands: ["b"], files: ["a", "b"] },
    { raw: ["plan", "b", "--file=a"], flagged: ["a"], operands: ["b"], files: ["b", "a"] },
    { raw: ["plan", "a", "-f", "a"], flagged: ["a"], operands: ["a"], files: ["a", "a"] },
    { raw: [], flagged: ["a"], operands: ["b"], files: ["a", "b"] },
  ])("$raw", ({ raw, flagged, operands, files }) => {
    expect(inWrittenOrder(raw, flagged, operands)).toEqual(files);
  });
});
