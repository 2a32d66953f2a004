import { describe, expect, it } from "vitest";
import { interpolate } from "../../src/schema/interpolate.js";
import { deepMerge } from "../../src/schema/merge.js";
import { formatPath } from "../../src/schema/index.js";
import { BASE_SPEC, validateOverlay, validateTexts } from "../support/specs.js";

describe("interpolation", () => {
  const env = { REGION: "eu-west-1", EMPTY: "", COUNT: "3" };
  it.each([
    { text: "${REGION}", value: "eu-west-1", why: "a set variable" },
    { text: "at ${REGION}/x", value: "at eu-west-1/x", why: "inside a string" },
    { text: "${MISSING:-us-east-1}", value: "us-east-1", why: "default of an unset variable" },
    { text: "${EMPTY:-fallback}", value: "fallback", why: "`:-` also covers a set but empty variable" },
    { text: "${EMPTY}", value: "", why: "an empty variable without default stays empty" },
    { text: "$${REGION}", value: "${REGION}", why: "$$ escapes a literal ${" },
    { text: "${A:-}", value: "", why: "an empty default" },
  ])("$text -> $value ($why)", ({ text, value }) => {
    expect(interpolate(text, env)).toEqual({ value, problems: [] });
  });

  it("names an unset variable and where it is", () => {
    const { problems } = interpolate("x ${NOPE} y", env);
    expect(problems).toEqual([{ offset: 2, message: expect.stringContaining("NOPE is not set") }]);
  });

  it("rejects a malformed expression", () => {
    expect(interpolate("${not valid}", env).problems[0]?.message).toMatch(/cannot read/);
  });

  it("reads an unquoted value again as YAML, a quoted one stays a string", async () => {
    const result = await validateOverlay('services:\n  web:\n    desiredCount: ${N:-2}\n    name: "${N:-2}"\n', {});
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.spec?.services.web?.desiredCount).toBe(2);
    expect(result.spec?.services.web?.name).toBe("2");
  });

  it("takes values from the environment it is given", async () => {
    const result = await validateOverlay("region: ${AWS_REGION}\n", { AWS_REGION: "sa-east-1" });
    expect(result.spec?.region).toBe("sa-east-1");
  });
});

describe("merging several files", () => {
  it.each([
    { base: { a: { b: 1, c: 2 } }, overlay: { a: { c: 3 } }, merged: { a: { b: 1, c: 3 } }, why: "maps merge key by key" },
    { base: { l: [1, 2, 3] }, overlay: { l: [4] }, merged: { l: [4] }, why: "lists are replaced whole" },
    { base: { a: 1, b: 2 }, overlay: { b: null }, merged: { a: 1 }, why: "null removes a key" },
    { base: { a: { b: 1 } }, overlay: { a: 5 }, merged: { a: 5 }, why: "a scalar replaces a map" },
    { base: { a: 1 }, overlay: { n: { x: 1 } }, merged: { a: 1, n: { x: 1 } }, why: "new keys are added" },
  ])("$why", ({ base, overlay, merged }) => expect(deepMerge(base, overlay)).toEqual(merged));

  it("keeps the location of each value in the file that set it", async () => {
    const overlay = "services:\n  web:\n    desiredCount: x\n";
    const result = await validateTexts({ "base.yaml": BASE_SPEC, "prod.yaml": overlay });
    const error = result.diagnostics.find((d) => formatPath(d.path) === "services.web.desiredCount");
    expect(error?.location).toEqual({ file: "prod.yaml", line: 3, column: 19 });
  });

  it("points at the base file for what the overlay did not touch", async () => {
    const result = await validateTexts({ "base.yaml": BASE_SPEC, "prod.yaml": "roles:\n  exec: null\n" });
    const error = result.diagnostics.find((d) => formatPath(d.path) === "taskDefinitions.web.executionRole");
    expect(error?.message).toMatch(/role `exec` is not defined/);
    expect(error?.location).toMatchObject({ file: "base.yaml", line: BASE_SPEC.split("\n").indexOf("    executionRole: exec") + 1 });
  });

  it("an overlay can change the environment's settings", async () => {
    const result = await validateTexts({
      "base.yaml": BASE_SPEC,
      "prod.yaml": "stack: demo-prod\nservices:\n  web:\n    desiredCount: 4\n",
    });
    expect(result.spec).toMatchObject({ stack: "demo-prod", services: { web: { desiredCount: 4, taskDefinition: "web" } } });
  });
});
