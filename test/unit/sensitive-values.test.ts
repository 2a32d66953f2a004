import { describe, expect, it } from "vitest";
import { styleFor } from "../../src/cli/style.js";
import { summarise, type FieldDiff, type Plan, type ResourceChange } from "../../src/plan/model.js";
import { redact, sensitiveValuesOf } from "../../src/plan/redact.js";
import { planToJson, renderPlanJson } from "../../src/plan/render-json.js";
import { renderPlanText } from "../../src/plan/render-text.js";
import type { Outputs } from "../../src/reconcilers/contract.js";
import { taskDefinitionsReconciler as reconciler } from "../../src/reconcilers/ecs/task-definitions/index.js";
import { desiredTaskDefinition, toObservedTaskDefinition } from "../../src/reconcilers/ecs/task-definitions/model.js";
import { specJsonSchema, specSchema, type SpecInput } from "../../src/schema/index.js";
import { looksSecret } from "../../src/schema/sensitive.js";
import { MARKED } from "../support/styles.js";

const CANARY = "canary-7f3a9c";
const MARKED_CANARY = "marked-canary-51d2e0";

const plain = styleFor({ isTTY: false } as NodeJS.WriteStream);

type Environment = NonNullable<NonNullable<SpecInput["taskDefinitions"]>[string]["containers"][string]["environment"]>;

function specWith(environment: Environment) {
  return specSchema.parse({
    stack: "canary",
    region: "us-east-1",
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    taskDefinitions: { web: { cpu: 256, memory: 512, containers: { app: { image: "nginx", environment } } } },
  });
}

const OUTPUTS: Outputs = { string: () => "unused", list: () => [] };

const desiredWith = (environment: Environment) => {
  const spec = specWith(environment);
  return desiredTaskDefinition(spec, "web", spec.taskDefinitions.web!, OUTPUTS);
};

/** The live revision as AWS would describe what `environment` registered. */
function liveWith(environment: Environment) {
  const desired = desiredWith(environment);
  return toObservedTaskDefinition({ ...structuredClone(desired.definition), family: desired.family, revision: 1 } as never, desired.tags);
}

function planOf(diffs: FieldDiff[], action: ResourceChange["action"] = "update"): Plan {
  const resources: ResourceChange[] = [
    { address: "taskDefinitions.web", kind: "taskDefinitions", logical: "web", name: "canary-web", action, diffs },
  ];
  return { stack: "canary", region: "us-east-1", mode: "apply", resources, summary: summarise(resources) };
}

const everyRendering = (plan: Plan) => [renderPlanText(plan, plain), renderPlanText(plan, MARKED), renderPlanJson(plan)];

describe("the spec's way to mark a value sensitive", () => {
  it.each<[string, Environment[string], { value: string; sensitive: boolean }]>([
    ["a plain string", "x", { value: "x", sensitive: false }],
    ["a number, written as text", 5432, { value: "5432", sensitive: false }],
    ["a marked value", { value: MARKED_CANARY, sensitive: true }, { value: MARKED_CANARY, sensitive: true }],
    ["an object without the mark", { value: "y" }, { value: "y", sensitive: false }],
    ["a marked boolean", { value: true, sensitive: true }, { value: "true", sensitive: true }],
  ])("%s validates into one form", (_what, given, validated) => {
    expect(specWith({ V: given }).taskDefinitions.web!.containers.app!.environment.V).toEqual(validated);
  });

  it("refuses an unknown member of the object form", () => {
    expect(() => specWith({ V: { value: "x", secret: true } as never })).toThrow();
  });

  it("is in the JSON Schema for editors, with its description", () => {
    const schema = JSON.stringify(specJsonSchema());
    expect(schema).toContain("the value is shown as `(sensitive)`");
  });

  it.each([
    ["DB_PASSWORD", true],
    ["GITHUB_TOKEN", true],
    ["API_KEY", true],
    ["KEY", true],
    ["DB_HOST", false],
    ["MONKEY", false],
  ])("the name rule the validator warns with: %s looks secret: %s", (name, secret) => {
    expect(looksSecret(name)).toBe(secret);
  });
});

describe("the task definition's diff lines", () => {
  const before = { DB_PASSWORD: `old-${CANARY}`, SESSION: { value: `old-${MARKED_CANARY}`, sensitive: true }, DB_HOST: "a", GONE: "g" };
  const after = { DB_PASSWORD: CANARY, SESSION: { value: MARKED_CANARY, sensitive: true }, DB_HOST: "b" };
  const { lines } = reconciler.diff(desiredWith(after), liveWith(before));
  const line = (variable: string) => lines.find((l) => l.path === `containers.app.environment.${variable}`);

  it.each([
    ["a name that looks secret", "DB_PASSWORD", true],
    ["a value the spec marks", "SESSION", true],
    ["a variable the spec no longer has (it cannot say whether it was sensitive)", "GONE", true],
    ["an ordinary value", "DB_HOST", undefined],
  ])("%s: sensitive %s", (_what, variable, sensitive) => {
    expect(line(variable)).toBeDefined();
    expect(line(variable)!.sensitive).toBe(sensitive);
  });

  it("still shows that each value changed, and never prints one", () => {
    const plan = planOf(lines);
    expect(renderPlanText(plan, plain).split("\n")).toEqual(
      expect.arrayContaining([
        '      ~ containers.app.environment.DB_HOST: "a" -> "b"',
        "      ~ containers.app.environment.DB_PASSWORD: (sensitive) -> (sensitive)",
        "      - containers.app.environment.GONE = (sensitive)",
        "      ~ containers.app.environment.SESSION: (sensitive) -> (sensitive)",
      ]),
    );
    for (const output of everyRendering(plan)) {
      expect(output).not.toContain(CANARY);
      expect(output).not.toContain(MARKED_CANARY);
    }
  });

  it("a change of the mark alone is not a change of the content: no new revision", () => {
    const { lines: none } = reconciler.diff(desiredWith({ V: { value: "x", sensitive: true } }), liveWith({ V: "x" }));
    expect(none).toEqual([]);
  });

  it("the preview of a new family shows no value, and the values a failure must not echo are the sensitive ones", () => {
    const desired = desiredWith(after);
    for (const output of everyRendering(planOf(reconciler.preview!(desired), "create"))) {
      expect(output).not.toContain(CANARY);
      expect(output).not.toContain(MARKED_CANARY);
    }
    expect(reconciler.sensitiveValues!(desired).sort()).toEqual([CANARY, MARKED_CANARY]);
  });
});

describe("a sensitive field line in JSON", () => {
  it.each<[string, FieldDiff, object]>([
    ["added", { path: "p", after: CANARY, sensitive: true }, { path: "p", sensitive: true, change: "added" }],
    ["removed", { path: "p", before: CANARY, sensitive: true }, { path: "p", sensitive: true, change: "removed" }],
    ["changed", { path: "p", before: `old-${CANARY}`, after: CANARY, sensitive: true }, { path: "p", sensitive: true, change: "changed" }],
    [
      "forcing a replacement",
      { path: "p", before: { a: `old-${CANARY}` }, after: { a: CANARY }, sensitive: true, forcesReplacement: true },
      { path: "p", forcesReplacement: true, sensitive: true, change: "changed" },
    ],
  ])("%s: `sensitive` and `change`, no before or after", (_what, diff, json) => {
    expect(planToJson(planOf([diff])).resources[0]!.diffs[0]).toStrictEqual(json);
  });

  it("an ordinary line keeps its values and has no `change`", () => {
    expect(planToJson(planOf([{ path: "p", before: "a", after: "b" }])).resources[0]!.diffs[0]).toStrictEqual({
      path: "p",
      before: "a",
      after: "b",
    });
  });
});

describe("cutting sensitive values out of a message", () => {
  it.each<[string, string, string[], string]>([
    ["as it is", `bad value ${CANARY} for DB_PASSWORD`, [CANARY], "bad value (sensitive) for DB_PASSWORD"],
    ["quoted as JSON inside a message", 'got {"value":"a\\"b"}', ['a"b'], 'got {"value":"(sensitive)"}'],
    ["every occurrence", `${CANARY}/${CANARY}`, [CANARY], "(sensitive)/(sensitive)"],
    ["a longer value first, so that one containing another goes whole", `x ${CANARY}-2 y`, [CANARY, `${CANARY}-2`], "x (sensitive) y"],
    ["nothing for an empty value", "ClientException: invalid", [""], "ClientException: invalid"],
  ])("%s", (_what, message, values, cleaned) => {
    expect(redact(message, values)).toBe(cleaned);
  });

  it("takes the values from both sides of the sensitive lines only, at any depth", () => {
    const diffs: FieldDiff[] = [
      { path: "a", before: "old", after: { nested: ["new", 7] }, sensitive: true },
      { path: "b", before: "shown", after: "too" },
    ];
    expect(sensitiveValuesOf(diffs)).toEqual(["old", "new", "7"]);
  });
});
