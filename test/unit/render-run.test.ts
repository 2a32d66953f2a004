import { describe, expect, it } from "vitest";
import { styleFor } from "../../src/cli/style.js";
import { MARKED } from "../support/styles.js";
import {
  summarise,
  type CallStatsSnapshot,
  type Plan,
  type ResourceChange,
  type ResourceResult,
  type RunReport,
} from "../../src/plan/model.js";
import { formatDuration, renderOutputs, renderProgress, renderRunSummary, renderStats } from "../../src/plan/render-run.js";

const plain = styleFor({ isTTY: false } as NodeJS.WriteStream);
const emptyStats: CallStatsSnapshot = { calls: 0, writes: 0, attempts: 0, byAction: [] };

function change(address: string, action: ResourceChange["action"], name = `demo-${address.split(".")[1]}`): ResourceChange {
  const [kind, logical] = address.split(".");
  return { address, kind: kind!, logical: logical!, name, action, diffs: [] };
}

function result(address: string, action: ResourceResult["action"], outcome: ResourceResult["outcome"], more: Partial<ResourceResult> = {}) {
  return { address, action, outcome, elapsedMs: 0, ...more } satisfies ResourceResult;
}

function report(mode: Plan["mode"], results: ResourceResult[], elapsedMs: number, conflicts: string[] = []): RunReport {
  const resources = [...results.map((r) => change(r.address, r.action)), ...conflicts.map((a) => change(a, "conflict"))];
  return {
    plan: { stack: "demo", region: "eu-west-1", mode, resources, summary: summarise(resources) },
    results,
    elapsedMs,
    stats: emptyStats,
  };
}

describe("durations", () => {
  it.each<[string, number, string]>([
    ["under a second in milliseconds", 420, "420ms"],
    ["zero", 0, "0ms"],
    ["fractions of a millisecond are rounded", 12.6, "13ms"],
    ["one second and more with one decimal", 1234, "1.2s"],
    ["exactly a second", 1000, "1.0s"],
    ["just under a second that would round to 1000ms reads as seconds", 999.7, "1.0s"],
    ["minutes stay in seconds", 83_450, "83.5s"],
    ["a negative duration (clock skew) is zero", -5, "0ms"],
  ])("%s", (_reason, ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("progress lines", () => {
  it.each<[string, ResourceResult, ResourceChange, string]>([
    [
      "a create",
      result("securityGroups.alb", "create", "done", { elapsedMs: 420 }),
      change("securityGroups.alb", "create"),
      "  + securityGroups.alb (demo-alb): created in 420ms",
    ],
    [
      "an update",
      result("logGroups.app", "update", "done", { elapsedMs: 100 }),
      change("logGroups.app", "update", "/reconcile/demo/app"),
      "  ~ logGroups.app (/reconcile/demo/app): updated in 100ms",
    ],
    [
      "a replace",
      result("roles.exec", "replace", "done", { elapsedMs: 2500 }),
      change("roles.exec", "replace"),
      "-/+ roles.exec (demo-exec): replaced in 2.5s",
    ],
    [
      "a delete",
      result("securityGroups.old", "delete", "done", { elapsedMs: 1200 }),
      change("securityGroups.old", "delete"),
      "  - securityGroups.old (demo-old): destroyed in 1.2s",
    ],
    [
      "a read",
      result("network.vpc", "read", "done", { elapsedMs: 30 }),
      change("network.vpc", "read", "vpc-0abc"),
      " <= network.vpc (vpc-0abc): read in 30ms",
    ],
    [
      "a failure says after how long and AWS's message",
      result("roles.exec", "create", "failed", { elapsedMs: 1200, error: "iam CreateRole: MalformedPolicyDocument: bad principal" }),
      change("roles.exec", "create"),
      "  ✗ roles.exec (demo-exec): failed after 1.2s: iam CreateRole: MalformedPolicyDocument: bad principal",
    ],
    [
      "a skipped resource names the failure that stopped it, without a time",
      result("logGroups.x", "create", "skipped", { skippedBecause: "roles.exec" }),
      change("logGroups.x", "create"),
      "  · logGroups.x (demo-x): skipped because roles.exec failed",
    ],
    [
      "a skipped resource without a named cause still reads well",
      result("logGroups.x", "create", "skipped"),
      change("logGroups.x", "create"),
      "  · logGroups.x (demo-x): skipped because a dependency failed",
    ],
  ])("%s", (_reason, r, c, line) => {
    expect(renderProgress(r, c, plain)).toBe(line);
  });

  it.each<[string, ResourceResult, string]>([
    [
      "done: the symbol in the action's colour, the address bold",
      result("a.b", "create", "done"),
      "  <green>+</green> <bold>a.b</bold> (demo-b): created in 0ms",
    ],
    [
      "failed: red, and not dim",
      result("a.b", "create", "failed", { error: "boom" }),
      "  <red>✗</red> <bold>a.b</bold> (demo-b): <red>failed after 0ms</red>: boom",
    ],
    [
      "skipped: all dim, nothing red, since it is not a failure of its own",
      result("a.b", "create", "skipped", { skippedBecause: "c.d" }),
      "<dim>  · a.b (demo-b): skipped because c.d failed</dim>",
    ],
  ])("colour: %s", (_reason, r, line) => {
    expect(renderProgress(r, change("a.b", "create"), MARKED)).toBe(line);
  });
});

describe("the run summary", () => {
  it.each<[string, RunReport, string]>([
    [
      "an apply counts what was done, by action",
      report(
        "apply",
        [
          result("securityGroups.a", "create", "done"),
          result("securityGroups.b", "create", "done"),
          result("logGroups.app", "update", "done"),
          result("securityGroups.old", "delete", "done"),
        ],
        3400,
      ),
      "Apply complete: 2 added, 1 changed, 0 replaced, 1 destroyed in 3.4s.",
    ],
    ["an apply with nothing to do", report("apply", [], 250), "Apply complete: 0 added, 0 changed, 0 replaced, 0 destroyed in 250ms."],
    [
      "reads are not counted as changes",
      report("apply", [result("network.vpc", "read", "done"), result("roles.exec", "replace", "done")], 1000),
      "Apply complete: 0 added, 0 changed, 1 replaced, 0 destroyed in 1.0s.",
    ],
    [
      "a failure: failed, skipped because of it, done",
      report(
        "apply",
        [
          result("roles.exec", "create", "failed", { error: "x" }),
          result("logGroups.x", "create", "skipped", { skippedBecause: "roles.exec" }),
          result("logGroups.y", "create", "skipped", { skippedBecause: "roles.exec" }),
          result("securityGroups.a", "create", "done"),
          result("securityGroups.b", "create", "done"),
          result("securityGroups.c", "update", "done"),
        ],
        3400,
      ),
      "Apply failed: 1 failed, 2 skipped because of it, 3 done in 3.4s.",
    ],
    [
      "several failures: skipped because of them",
      report(
        "apply",
        [
          result("roles.a", "create", "failed", { error: "x" }),
          result("roles.b", "create", "failed", { error: "y" }),
          result("logGroups.x", "create", "skipped", { skippedBecause: "roles.a" }),
        ],
        800,
      ),
      "Apply failed: 2 failed, 1 skipped because of them, 0 done in 800ms.",
    ],
    [
      "a failure that stopped nothing does not mention skipping",
      report("apply", [result("roles.a", "create", "failed", { error: "x" }), result("logGroups.x", "create", "done")], 1500),
      "Apply failed: 1 failed, 1 done in 1.5s.",
    ],
    [
      "resources that needed nothing, or were only read, are not counted",
      report(
        "apply",
        [result("network", "read", "done"), result("logGroups.x", "noop", "done"), result("roles.a", "create", "failed", { error: "x" })],
        100,
      ),
      "Apply failed: 1 failed, 0 done in 100ms.",
    ],
    [
      "a delete counts what it destroyed",
      report("delete", [result("securityGroups.a", "delete", "done"), result("logGroups.b", "delete", "done")], 2000),
      "Delete complete: 2 destroyed in 2.0s.",
    ],
    [
      "a failed delete",
      report(
        "delete",
        [result("securityGroups.a", "delete", "failed", { error: "DependencyViolation" }), result("network.vpc", "delete", "skipped")],
        5000,
      ),
      "Delete failed: 1 failed, 1 skipped because of it, 0 done in 5.0s.",
    ],
    [
      "conflicts that blocked resources are named, so a clean apply is not mistaken for a full one",
      report("apply", [result("logGroups.app", "update", "done")], 400, ["roles.legacy"]),
      "Apply complete: 0 added, 1 changed, 0 replaced, 0 destroyed in 400ms. Left alone because of a conflict: roles.legacy.",
    ],
    [
      "several conflicts",
      report("apply", [], 400, ["roles.a", "roles.b"]),
      "Apply complete: 0 added, 0 changed, 0 replaced, 0 destroyed in 400ms. Left alone because of conflicts: roles.a, roles.b.",
    ],
  ])("%s", (_reason, r, line) => {
    expect(renderRunSummary(r, plain)).toBe(line);
  });

  it.each<[string, RunReport, string]>([
    ["success is green and bold", report("apply", [], 10), "<bold><green>Apply complete:</green></bold>"],
    ["failure is red and bold", report("delete", [result("a.b", "delete", "failed")], 10), "<bold><red>Delete failed:</red></bold>"],
  ])("colour: %s", (_reason, r, start) => {
    expect(renderRunSummary(r, MARKED).startsWith(start)).toBe(true);
  });
});

describe("the stats table", () => {
  const stats: CallStatsSnapshot = {
    calls: 6,
    writes: 2,
    attempts: 9,
    byAction: [
      { service: "iam", action: "GetRole", calls: 1, attempts: 1, write: false },
      { service: "ec2", action: "DescribeSecurityGroups", calls: 3, attempts: 5, write: false },
      { service: "ec2", action: "CreateSecurityGroup", calls: 1, attempts: 2, write: true },
      { service: "cloudwatch-logs", action: "PutRetentionPolicy", calls: 1, attempts: 1, write: true },
    ],
  };

  it("is aligned, sorted by service then action, numbers to the right, with a total line", () => {
    expect(renderStats(stats, plain).split("\n")).toEqual([
      "service          action                  calls  attempts",
      "cloudwatch-logs  PutRetentionPolicy          1         1",
      "ec2              CreateSecurityGroup         1         2",
      "ec2              DescribeSecurityGroups      3         5",
      "iam              GetRole                     1         1",
      "6 calls (2 writes, 3 retries)",
    ]);
  });

  it("dims the header only", () => {
    const lines = renderStats(stats, MARKED).split("\n");
    expect(lines[0]).toMatch(/^<dim>service .*attempts<\/dim>$/);
    expect(lines.slice(1).join("\n")).not.toMatch(/<\/?(red|green|yellow|bold|dim)>/);
  });

  it.each<[string, CallStatsSnapshot, string]>([
    ["no calls at all: the total alone, no empty table", emptyStats, "0 calls (0 writes, 0 retries)"],
    [
      "singular words for one",
      { calls: 1, writes: 1, attempts: 2, byAction: [{ service: "iam", action: "CreateRole", calls: 1, attempts: 2, write: true }] },
      "1 call (1 write, 1 retry)",
    ],
  ])("total: %s", (_reason, s, total) => {
    expect(renderStats(s, plain).split("\n").at(-1)).toBe(total);
    if (s.byAction.length === 0) expect(renderStats(s, plain)).toBe(total);
  });
});

describe("the outputs after a run", () => {
  it("lists each shown output as address.name = value, and nothing when there is none", () => {
    const dns = "albCurso107-1234567890.us-east-1.elb.amazonaws.com";
    const results = [result("roles.exec", "create", "done"), result("loadBalancers.web", "create", "done", { outputs: { dnsName: dns } })];
    expect(renderOutputs(results, plain)).toBe(`Outputs:\n  loadBalancers.web.dnsName = ${dns}`);
    expect(renderOutputs([result("roles.exec", "create", "done")], plain)).toBe("");
  });
});
