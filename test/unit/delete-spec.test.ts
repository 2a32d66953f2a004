import { describe, expect, it } from "vitest";
import { formatPath, loadSpecForDelete, type ValidationResult } from "../../src/schema/index.js";
import { BASE_SPEC } from "../support/specs.js";

/** test/fixtures/base.yaml with `case.yaml` merged over it, loaded as `reconcile delete` loads them. */
function forDelete(overlay: string, env: Record<string, string> = {}): Promise<ValidationResult> {
  const files: Record<string, string> = { "base.yaml": BASE_SPEC, "case.yaml": overlay };
  return loadSpecForDelete(Object.keys(files), { env, readText: async (file) => files[file]! });
}

const render = (r: ValidationResult) => r.diagnostics.map((d) => `${d.severity} ${formatPath(d.path)}: ${d.message}`).join("\n");

interface Case {
  why: string;
  overlay: string;
  /** The errors delete ignores: `code path` of each, as warnings. */
  ignored: string[];
  /** Resources no longer read by name: `kind.logical`. */
  leftOut: string[];
  message?: RegExp;
}

// prettier-ignore
const cases: Case[] = [
  { why: "an unset variable in a service", overlay: "services:\n  web:\n    desiredCount: ${REPLICAS}\n", ignored: ["unset-variable services.web.desiredCount"], leftOut: ["services.web"], message: /^environment variable REPLICAS is not set and has no default \(write \$\{REPLICAS:-default\} to give one\) \(ignored by delete, which finds `services\.web` by the stack's tags alone\)$/ },
  { why: "an invalid field of a target group", overlay: "targetGroups:\n  web: { port: 99999 }\n", ignored: ["invalid-value targetGroups.web.port", "invalid-reference loadBalancers.web.listeners.http.defaultAction.forward", "invalid-reference services.web.loadBalancers[0].targetGroup"], leftOut: ["targetGroups.web", "loadBalancers.web", "services.web"] },
  { why: "an unknown key in a cluster", overlay: "clusters:\n  main: { bogus: 1 }\n", ignored: ["unknown-key clusters.main.bogus", "missing-key services.web"], leftOut: ["clusters.main", "services.web"], message: /ignored by delete, which finds `clusters\.main` by the stack's tags alone/ },
  { why: "an unset image: the task definition, then the service that runs it", overlay: "taskDefinitions:\n  web:\n    containers:\n      app: { image: \"${IMAGE}\" }\n", ignored: ["invalid-reference services.web.taskDefinition", "unset-variable taskDefinitions.web.containers.app.image"], leftOut: ["taskDefinitions.web", "services.web"] },
  { why: "a stack-wide tag in the tool's prefix", overlay: "tags: { reconcile:owner: me }\n", ignored: ["invalid-value tags[\"reconcile:owner\"]"], leftOut: [] },
  { why: "an unknown top-level key", overlay: "stak: demo\n", ignored: ["unknown-key stak"], leftOut: [] },
];

describe("delete needs a valid stack, region and network only", () => {
  it.each(cases)("$why is ignored, with a warning", async ({ overlay, ignored, leftOut, message }) => {
    const result = await forDelete(overlay);
    expect(result.spec, render(result)).toBeDefined();
    expect(result.ignored!.map((d) => `${d.code} ${formatPath(d.path)}`).sort()).toEqual([...ignored].sort());
    expect(result.ignored!.every((d) => d.severity === "warning" && result.diagnostics.includes(d))).toBe(true);
    if (message) expect(result.ignored!.map((d) => d.message)).toContainEqual(expect.stringMatching(message));
    for (const address of leftOut) {
      const [kind, logical] = address.split(".") as [keyof typeof result.spec & string, string];
      expect(Object.keys(result.spec![kind] as object)).not.toContain(logical);
    }
    // What holds stays, to be looked up by name as well as by its tags.
    expect(Object.keys(result.spec!.namespaces)).toEqual(["internal"]);
    expect(result.spec!.stack).toBe("demo");
  });

  it.each([
    { why: "an unset variable in the region", overlay: "region: ${REGION}\n", path: "region" },
    { why: "an invalid stack name", overlay: "stack: Demo\n", path: "stack" },
    { why: "a network selector misspelt", overlay: "network:\n  vpc: defualt\n", path: "network.vpc" },
  ])("$why is still an error", async ({ overlay, path }) => {
    const result = await forDelete(overlay);
    expect(result.spec).toBeUndefined();
    expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => formatPath(d.path))).toEqual([path]);
  });

  it("a valid spec is loaded whole, nothing ignored", async () => {
    const result = await forDelete("");
    expect(result.ignored).toEqual([]);
    expect(Object.keys(result.spec!.services)).toEqual(["web"]);
  });

  it("a file that cannot be parsed is still an error", async () => {
    const result = await forDelete("services: [\n");
    expect(result.spec).toBeUndefined();
    expect(result.diagnostics.map((d) => d.code)).toContain("yaml-syntax");
  });
});
