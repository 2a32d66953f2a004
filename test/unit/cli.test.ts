import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/cli/commands/options.js";
import { reconcile as run } from "../support/cli.js";

const reconcile = (...args: string[]) => run(args);

describe("the reconcile command", () => {
  it("--help lists every command, and only commands that work", () => {
    const { code, stdout } = reconcile("--help");
    expect(code).toBe(0);
    const commands = [...stdout.split("Commands:")[1]!.matchAll(/^ {2}(\w+)/gm)].map((m) => m[1]);
    expect(commands).toEqual(["validate", "plan", "apply", "delete", "run", "status", "graph", "unlock", "schema", "doctor", "help"]);
  });

  it.each(["validate", "schema", "doctor", "run", "status", "graph", "unlock"])("%s has --help", (command) => {
    const { code, stdout } = reconcile(command, "--help");
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: reconcile ${command}`);
  });

  it("validate: the reference example is valid, with its warnings on stderr", () => {
    const { code, stdout, stderr } = reconcile("validate", "-f", "examples/microblog.yaml");
    expect(code).toBe(0);
    expect(stdout).toBe("valid: examples/microblog.yaml (stack microblog, 0 errors, 4 warnings)\n");
    expect(stderr).toContain(
      "examples/microblog.yaml:23:9: warning: securityGroups.default.ingress[0]: ingress from 0.0.0.0/0 opens port 8080",
    );
    expect(stderr).not.toContain("Pg#123");
    expect(stderr).not.toMatch(/\u001b\[/);
  });

  it("validate: a broken spec exits 1 with an error a person can act on", () => {
    const dir = mkdtempSync(join(tmpdir(), "reconcile-cli-"));
    const file = join(dir, "broken.yaml");
    writeFileSync(
      file,
      "stack: demo\nregion: us-east-1\nnetwork: { vpc: default, subnets: { ids: [subnet-0a] } }\ntargetGroups:\n  web: { port: 8080, protocoll: HTTP }\n",
    );
    const { code, stdout, stderr } = reconcile("validate", "-f", file);
    expect(code).toBe(1);
    expect(stderr).toBe(
      [
        `${file}:5:22: error: targetGroups.web.protocoll: unknown key \`protocoll\`: did you mean \`protocol\`? [unknown-key]`,
        " 5 |   web: { port: 8080, protocoll: HTTP }",
        "   |                      ^",
        "",
      ].join("\n"),
    );
    expect(stdout).toContain("invalid:");
  });

  it("validate --json: machine-readable diagnostics", () => {
    const { code, stdout } = reconcile("validate", "--json", "-f", "examples/microblog.yaml");
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ valid: true, files: ["examples/microblog.yaml"], errors: 0, warnings: 4 });
    expect(json.diagnostics[0]).toEqual({
      severity: "warning",
      code: "open-ingress",
      message: expect.stringContaining("0.0.0.0/0"),
      path: "securityGroups.default.ingress[0]",
      file: "examples/microblog.yaml",
      line: 23,
      column: 9,
    });
  });

  it("validate merges several -f files in order", () => {
    const dir = mkdtempSync(join(tmpdir(), "reconcile-cli-"));
    const overlay = join(dir, "prod.yaml");
    writeFileSync(overlay, "logGroups:\n  app:\n    retentionDays: 30\n");
    const { code, stdout } = reconcile("validate", "-f", "examples/microblog.yaml", "-f", overlay);
    expect(code).toBe(0);
    expect(stdout).toContain("3 warnings");
  });

  it("an unknown command is a usage error, exit 64", () => {
    const { code, stderr } = reconcile("aply");
    expect(code).toBe(64);
    expect(stderr).toContain("unknown command 'aply'");
  });

  it("a wrong flag is a usage error, exit 64", () => {
    const { code, stderr } = reconcile("validate", "-f", "examples/microblog.yaml", "--bogus");
    expect(code).toBe(64);
    expect(stderr).toContain("unknown option '--bogus'");
  });

  it("schema prints the JSON Schema", () => {
    const { code, stdout } = reconcile("schema");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      title: "reconcile spec",
      type: "object",
      required: expect.arrayContaining(["stack", "region", "network"]),
    });
  });
});

describe("--wait-timeout", () => {
  it.each([
    ["90s", 90_000, "seconds"],
    ["10m", 600_000, "minutes"],
    ["1h", 3_600_000, "hours"],
    ["45", 45_000, "a bare number is seconds"],
    ["1.5m", 90_000, "fractions"],
  ])("%s is %d ms (%s)", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "0", "10x", "-5m", "m"])("%j is refused", (text) => {
    expect(() => parseDuration(text)).toThrow("expected a duration such as 90s, 10m or 1h");
  });

  it("a bad duration is a usage error that says what is expected, exit 64", () => {
    const { code, stderr } = reconcile("apply", "-f", "examples/microblog.yaml", "--wait-timeout", "soon");
    expect(code).toBe(64);
    expect(stderr).toContain("option '--wait-timeout <duration>' argument 'soon' is invalid. expected a duration such as 90s, 10m or 1h");
  });

  it("apply documents --wait-timeout (default 10m) and --no-wait; delete only the timeout", () => {
    const apply = reconcile("apply", "--help").stdout;
    expect(apply).toMatch(/--wait-timeout <duration>[\s\S]*\(default: 10m\)/);
    expect(apply).toContain("--no-wait");
    const del = reconcile("delete", "--help").stdout;
    expect(del).toContain("--wait-timeout <duration>");
    expect(del).not.toContain("--no-wait");
  });
});
