import { describe, expect, it } from "vitest";
import { styleFor, type Style } from "../../src/cli/style.js";
import { MARKED } from "../support/styles.js";
import { summarise, UNKNOWN, type FieldDiff, type Plan, type ResourceChange } from "../../src/plan/model.js";
import { planToJson, renderPlanJson } from "../../src/plan/render-json.js";
import { renderPlanText } from "../../src/plan/render-text.js";

const plain = styleFor({ isTTY: false } as NodeJS.WriteStream);

function change(address: string, action: ResourceChange["action"], more: Partial<ResourceChange> = {}): ResourceChange {
  const [kind, logical] = address.includes(".") ? address.split(".") : [address, address];
  return { address, kind: kind!, logical: logical!, name: `demo-${logical}`, action, diffs: [], ...more };
}

function plan(resources: ResourceChange[], mode: Plan["mode"] = "apply"): Plan {
  return { stack: "demo", region: "eu-west-1", mode, resources, summary: summarise(resources) };
}

/** The lines of the plan between the header and the summary. */
function body(p: Plan, style: Style = plain, options?: { showUnchanged?: boolean }): string[] {
  return renderPlanText(p, style, options).split("\n").slice(2, -2);
}

const fieldLines = (diff: FieldDiff, action: ResourceChange["action"] = "update") =>
  body(plan([change("logGroups.app", action, { diffs: [diff] })])).slice(1);

describe("a plan as text: one line per resource", () => {
  it.each<[string, ResourceChange, string]>([
    ["a new resource is created", change("securityGroups.alb", "create"), "  + securityGroups.alb (demo-alb) will be created"],
    [
      "a drifted resource is updated in place; its id is shown once known",
      change("securityGroups.alb", "update", { name: "demo-alb", id: "sg-0abc" }),
      "  ~ securityGroups.alb (demo-alb, sg-0abc) will be updated in place",
    ],
    [
      "an ARN that holds the name is not repeated",
      change("logGroups.app", "update", { name: "/reconcile/demo/app", id: "arn:aws:logs:eu-west-1:1:log-group:/reconcile/demo/app" }),
      "  ~ logGroups.app (/reconcile/demo/app) will be updated in place",
    ],
    [
      "an id equal to the name is not repeated",
      change("logGroups.app", "update", { name: "/reconcile/demo/app", id: "/reconcile/demo/app" }),
      "  ~ logGroups.app (/reconcile/demo/app) will be updated in place",
    ],
    [
      "an ARN is not shown, even one that does not hold the name",
      change("listeners.web.http", "update", {
        name: "alb HTTP:80",
        id: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/50dc6c495c0c9188/f2f7dc8efc522ab2",
      }),
      "  ~ listeners.web.http (alb HTTP:80) will be updated in place",
    ],
    [
      "an update that makes a new version says so",
      change("taskDefinitions.web", "update", { name: "taskFargateCurso107", newVersion: true }),
      "  ~ taskDefinitions.web (taskFargateCurso107) will get a new revision",
    ],
    [
      "a replacement names the fields that force it",
      change("roles.exec", "replace", { replaceFields: ["path"] }),
      "-/+ roles.exec (demo-exec) will be replaced, forced by path",
    ],
    [
      "a replacement that creates the new resource first is marked +/- and says so",
      change("targetGroups.web", "replace", { name: "tgCurso107", replaceFields: ["port"], createBeforeDelete: true }),
      "+/- targetGroups.web (tgCurso107) will be replaced (create before delete), forced by port",
    ],
    [
      "without replaceFields, the diffs flagged as forcing it are named",
      change("roles.exec", "replace", {
        diffs: [
          { path: "path", before: "/", after: "/app/", forcesReplacement: true },
          { path: "description", before: "a", after: "b" },
        ],
      }),
      "-/+ roles.exec (demo-exec) will be replaced, forced by path",
    ],
    [
      "a pruned resource is destroyed, with the reason",
      change("securityGroups.old", "delete", { reason: "no longer in the spec" }),
      "  - securityGroups.old (demo-old) will be destroyed: no longer in the spec",
    ],
    [
      "a conflict is reported with its reason",
      change("roles.legacy", "conflict", { name: "legacy-role", reason: "exists without this stack's tag" }),
      "  ! roles.legacy (legacy-role) conflict: exists without this stack's tag",
    ],
  ])("%s", (_reason, resource, line) => {
    expect(body(plan([resource]))[0]).toBe(line);
  });

  it.each<[string, boolean, string[]]>([
    ["unchanged and read resources are left out by default", false, ["  + securityGroups.alb (demo-alb) will be created"]],
    [
      "showUnchanged lists them, up to date or read",
      true,
      ["    securityGroups.web (demo-web) up to date", " <= network (vpc-0abc) read", "  + securityGroups.alb (demo-alb) will be created"],
    ],
  ])("%s", (_reason, showUnchanged, lines) => {
    const resources = [
      change("securityGroups.web", "noop"),
      change("network", "read", { name: "vpc-0abc", id: "vpc-0abc" }),
      change("securityGroups.alb", "create"),
    ];
    expect(body(plan(resources), plain, { showUnchanged })).toEqual(lines);
  });

  it("starts with a header naming the stack, region and mode", () => {
    expect(renderPlanText(plan([]), plain).split("\n")[0]).toBe("Plan to apply stack demo in eu-west-1:");
    expect(renderPlanText(plan([], "delete"), plain).split("\n")[0]).toBe("Plan to delete stack demo in eu-west-1:");
  });
});

describe("a plan as text: field lines", () => {
  it.each<[string, FieldDiff, string[]]>([
    ["an added string is JSON-quoted", { path: "description", after: 'the "app" logs' }, ['      + description = "the \\"app\\" logs"']],
    ["a removed number is bare", { path: "retentionDays", before: 14 }, ["      - retentionDays = 14"]],
    ["a changed number shows both sides", { path: "retentionDays", before: 7, after: 14 }, ["      ~ retentionDays: 7 -> 14"]],
    ["booleans are bare", { path: "deletionProtection", before: false, after: true }, ["      ~ deletionProtection: false -> true"]],
    ["null is printed as null", { path: "kmsKeyId", before: null, after: "alias/logs" }, ['      ~ kmsKeyId: null -> "alias/logs"']],
    [
      "an unknown value is known after apply",
      { path: "vpcId", before: "vpc-1", after: UNKNOWN },
      ['      ~ vpcId: "vpc-1" -> (known after apply)'],
    ],
    ["an unknown value being added", { path: "roleArn", after: UNKNOWN }, ["      + roleArn = (known after apply)"]],
    [
      "a whole object added prints a line per member, unknowns included",
      { path: "rules.api", after: { priority: 5, action: { type: "forward", arn: UNKNOWN } } },
      ["      + rules.api.priority = 5", '      + rules.api.action.type = "forward"', "      + rules.api.action.arn = (known after apply)"],
    ],
    ["an empty object added stays on one line", { path: "tags", after: {} }, ["      + tags = {}"]],
    ["a whole array removed prints as compact JSON", { path: "subnets", before: ["a", "b"] }, ['      - subnets = ["a", "b"]']],
    [
      "an object becoming an array is one change, not an expansion",
      { path: "value", before: { a: 1 }, after: [1] },
      ['      ~ value: {"a": 1} -> [1]'],
    ],
    [
      "a diff whose sides look equal is still printed, never hidden",
      { path: "policy", before: { a: 1 }, after: { a: 1 } },
      ['      ~ policy: {"a": 1} -> {"a": 1}'],
    ],
  ])("%s", (_reason, diff, lines) => {
    expect(fieldLines(diff)).toEqual(lines);
  });

  it.each<[string, FieldDiff, string[]]>([
    [
      "a trust policy gaining a service lists only the new leaf",
      {
        path: "trustPolicy",
        before: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: ["ecs-tasks.amazonaws.com"] }, Action: "sts:AssumeRole" }],
        },
        after: {
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com"] }, Action: "sts:AssumeRole" },
          ],
        },
      },
      ['      + trustPolicy.Statement[0].Principal.Service[1] = "lambda.amazonaws.com"'],
    ],
    [
      "changed, added and removed leaves each get their own line",
      {
        path: "policy",
        before: { Statement: [{ Effect: "Allow", Resource: "arn:a" }], Id: "old" },
        after: { Statement: [{ Effect: "Deny", Resource: "arn:a" }, { Effect: "Allow" }] },
      },
      [
        '      ~ policy.Statement[0].Effect: "Allow" -> "Deny"',
        '      + policy.Statement[1] = {"Effect": "Allow"}',
        '      - policy.Id = "old"',
      ],
    ],
    [
      "a key that is not an identifier is bracketed and quoted",
      { path: "tags", before: { "aws:x": "1", "team name": "a" }, after: { "aws:x": "1", "team name": "b" } },
      ['      ~ tags["team name"]: "a" -> "b"'],
    ],
    [
      "an unknown leaf differs even where the old value is shown",
      { path: "env", before: [{ name: "A", value: "x" }], after: [{ name: "A", value: UNKNOWN }] },
      ['      ~ env[0].value: "x" -> (known after apply)'],
    ],
    [
      "a shorter array lists the elements that go",
      { path: "subnets", before: ["a", "b", "c"], after: ["a"] },
      ['      - subnets[1] = "b"', '      - subnets[2] = "c"'],
    ],
  ])("nested values: %s", (_reason, diff, lines) => {
    expect(fieldLines(diff)).toEqual(lines);
  });

  it.each<[string, FieldDiff, string[]]>([
    [
      "a field flagged as forcing replacement says so",
      { path: "path", before: "/", after: "/app/", forcesReplacement: true },
      ['      ~ path: "/" -> "/app/" # forces replacement'],
    ],
    [
      "every leaf of an expanded forcing field says so",
      { path: "config", before: { a: 1, b: 2 }, after: { a: 3, b: 4 }, forcesReplacement: true },
      ["      ~ config.a: 1 -> 3 # forces replacement", "      ~ config.b: 2 -> 4 # forces replacement"],
    ],
  ])("%s", (_reason, diff, lines) => {
    expect(fieldLines(diff, "replace")).toEqual(lines);
  });

  it("marks a field named in replaceFields as forcing replacement even without the flag", () => {
    const p = plan([change("roles.exec", "replace", { replaceFields: ["path"], diffs: [{ path: "path", before: "/", after: "/x/" }] })]);
    expect(body(p)[1]).toBe('      ~ path: "/" -> "/x/" # forces replacement');
  });
});

describe("sensitive values never appear", () => {
  const secret = "hunter2-s3cr3t";
  it.each<[string, FieldDiff, string[]]>([
    ["added", { path: "environment.DB_PASSWORD", after: secret, sensitive: true }, ["      + environment.DB_PASSWORD = (sensitive)"]],
    ["removed", { path: "environment.DB_PASSWORD", before: secret, sensitive: true }, ["      - environment.DB_PASSWORD = (sensitive)"]],
    [
      "changed: masked on both sides, even the old value",
      { path: "environment.DB_PASSWORD", before: `old-${secret}`, after: secret, sensitive: true },
      ["      ~ environment.DB_PASSWORD: (sensitive) -> (sensitive)"],
    ],
    [
      "an object is masked whole, not expanded into leaves",
      { path: "secrets", before: { db: `old-${secret}`, api: "k" }, after: { db: secret, api: "k" }, sensitive: true },
      ["      ~ secrets: (sensitive) -> (sensitive)"],
    ],
  ])("%s", (_reason, diff, lines) => {
    expect(fieldLines(diff)).toEqual(lines);
    const p = plan([change("taskDefinitions.web", "update", { diffs: [diff] })]);
    for (const output of [renderPlanText(p, plain), renderPlanText(p, MARKED), renderPlanJson(p)]) expect(output).not.toContain(secret);
    const jsonDiff = planToJson(p).resources[0]!.diffs[0]!;
    expect(jsonDiff.sensitive).toBe(true);
    expect(Object.keys(jsonDiff)).not.toContain("before");
    expect(Object.keys(jsonDiff)).not.toContain("after");
  });
});

describe("the summary line", () => {
  it.each<[string, Plan, string]>([
    [
      "counts every kind of change",
      plan([
        change("securityGroups.a", "create"),
        change("securityGroups.b", "create"),
        change("logGroups.app", "update"),
        change("roles.exec", "replace"),
        change("securityGroups.old", "delete"),
        change("securityGroups.web", "noop"),
      ]),
      "Plan: 2 to add, 1 to change, 1 to replace, 1 to destroy.",
    ],
    [
      "names one conflict",
      plan([change("roles.legacy", "conflict")]),
      "Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy, 1 conflict.",
    ],
    [
      "names several conflicts",
      plan([change("roles.a", "conflict"), change("roles.b", "conflict"), change("logGroups.x", "create")]),
      "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy, 2 conflicts.",
    ],
    [
      "says so when nothing changes",
      plan([change("securityGroups.web", "noop"), change("network", "read")]),
      "No changes. The live resources match the spec.",
    ],
    ["an empty apply plan has no changes", plan([]), "No changes. The live resources match the spec."],
    ["a delete of a stack that owns nothing", plan([], "delete"), "Nothing to delete: stack demo owns no resources in eu-west-1."],
    [
      "a delete plan counts what it destroys",
      plan([change("securityGroups.a", "delete"), change("logGroups.b", "delete")], "delete"),
      "Plan: 0 to add, 0 to change, 0 to replace, 2 to destroy.",
    ],
  ])("%s", (_reason, p, line) => {
    const lines = renderPlanText(p, plain).split("\n");
    expect(lines.at(-1)).toBe(line);
    expect(lines.at(-2)).toBe("");
  });
});

describe("colour comes only from the style", () => {
  const colourful = plan([
    change("securityGroups.alb", "create", { diffs: [{ path: "description", after: "alb" }] }),
    change("logGroups.app", "update", { diffs: [{ path: "retentionDays", before: 7, after: 14 }] }),
    change("roles.exec", "replace", { diffs: [{ path: "path", before: "/", after: "/x/", forcesReplacement: true }] }),
    change("securityGroups.old", "delete", { diffs: [{ path: "description", before: "old" }] }),
    change("roles.legacy", "conflict", { reason: "not ours" }),
  ]);

  it.each<[string, string]>([
    ["a create is green", "  <green>+</green> <bold>securityGroups.alb</bold> (demo-alb) will be created"],
    ["an update is yellow", "  <yellow>~</yellow> <bold>logGroups.app</bold> (demo-app) will be updated in place"],
    ["a replace is red and green", "<red>-</red>/<green>+</green> <bold>roles.exec</bold> (demo-exec) will be replaced, forced by path"],
    ["a delete is red", "  <red>-</red> <bold>securityGroups.old</bold> (demo-old) will be destroyed"],
    ["a conflict is red", "  <red>!</red> <bold>roles.legacy</bold> (demo-legacy) <red>conflict</red>: not ours"],
    ["an added field is green, its path dim", '      <green>+</green> <dim>description</dim> = "alb"'],
    ["a changed field is yellow", "      <yellow>~</yellow> <dim>retentionDays</dim>: 7 -> 14"],
    ["a removed field is red", '      <red>-</red> <dim>description</dim> = "old"'],
    ["forcing replacement is red", '      <yellow>~</yellow> <dim>path</dim>: "/" -> "/x/" <red># forces replacement</red>'],
    ["the header's stack is bold", "Plan to apply stack <bold>demo</bold> in eu-west-1:"],
    ["the summary is labelled in bold", "<bold>Plan:</bold> 1 to add, 1 to change, 1 to replace, 1 to destroy, 1 conflict."],
  ])("%s", (_reason, line) => {
    expect(renderPlanText(colourful, MARKED).split("\n")).toContain(line);
  });

  it("the plain style adds nothing: no escape codes, no markers", () => {
    const text = renderPlanText(colourful, plain, { showUnchanged: true });
    expect(text).not.toMatch(/\u001b|<\/?(red|green|yellow|bold|dim)>/);
    expect(text.replace(/<\/?(red|green|yellow|bold|dim)>/g, "")).toBe(
      renderPlanText(colourful, MARKED, { showUnchanged: true }).replace(/<\/?(red|green|yellow|bold|dim)>/g, ""),
    );
  });
});

describe("a plan as JSON", () => {
  const p = plan([
    change("network", "read", { name: "vpc-0abc", id: "vpc-0abc" }),
    change("roles.exec", "replace", {
      id: "arn:aws:iam::1:role/demo-exec",
      replaceFields: ["path"],
      reason: "the path of a role cannot change",
      diffs: [
        { path: "path", before: "/", after: "/app/", forcesReplacement: true },
        { path: "policy", before: { Statement: [] }, after: { Statement: [{ Resource: UNKNOWN }] } },
        { path: "tags.team", after: "web" },
      ],
    }),
  ]);

  it("has a documented, stable shape", () => {
    expect(planToJson(p)).toEqual({
      formatVersion: 1,
      stack: "demo",
      region: "eu-west-1",
      mode: "apply",
      resources: [
        { address: "network", kind: "network", logical: "network", name: "vpc-0abc", id: "vpc-0abc", action: "read", diffs: [] },
        {
          address: "roles.exec",
          kind: "roles",
          logical: "exec",
          name: "demo-exec",
          id: "arn:aws:iam::1:role/demo-exec",
          action: "replace",
          diffs: [
            { path: "path", before: "/", after: "/app/", forcesReplacement: true },
            { path: "policy", before: { Statement: [] }, after: { Statement: [{ Resource: "(known after apply)" }] } },
            { path: "tags.team", after: "web" },
          ],
          replaceFields: ["path"],
          reason: "the path of a role cannot change",
        },
      ],
      summary: { add: 0, change: 0, replace: 1, destroy: 0, conflict: 0, held: 0 },
      changes: true,
    });
  });

  it("survives a JSON round trip unchanged: every value is plain JSON", () => {
    expect(JSON.parse(renderPlanJson(p))).toEqual(planToJson(p));
    expect(renderPlanJson(p).endsWith("}\n")).toBe(true);
  });

  it.each<[string, unknown, unknown]>([
    ["an unknown at the top", UNKNOWN, "(known after apply)"],
    ["an unknown deep inside", { a: [1, { b: UNKNOWN }] }, { a: [1, { b: "(known after apply)" }] }],
    ["null stays null", null, null],
    ["undefined members are dropped as JSON would", { a: undefined, b: 1 }, { b: 1 }],
    ["a non-finite number becomes null as JSON would", Number.NaN, null],
  ])("values: %s", (_reason, after, expected) => {
    const json = planToJson(plan([change("logGroups.app", "update", { diffs: [{ path: "x", before: 0, after }] })]));
    expect(json.resources[0]!.diffs[0]!.after).toEqual(expected);
  });

  it.each<[string, Plan, boolean]>([
    ["a noop plan has no changes", plan([change("securityGroups.web", "noop"), change("network", "read")]), false],
    ["a conflict is something to act on", plan([change("roles.legacy", "conflict")]), true],
    ["a delete plan with resources has changes", plan([change("logGroups.app", "delete")], "delete"), true],
  ])("changes: %s", (_reason, p, changes) => {
    expect(planToJson(p).changes).toBe(changes);
  });

  it("carries a run's stats and results when given, and not otherwise", () => {
    const stats = {
      calls: 2,
      writes: 1,
      attempts: 3,
      byAction: [{ service: "iam", action: "CreateRole", calls: 1, attempts: 2, write: true }],
    };
    const results = [{ address: "roles.exec", action: "replace" as const, outcome: "done" as const, elapsedMs: 1200 }];
    const json = planToJson(p, { stats, results });
    expect(json.stats).toEqual(stats);
    expect(json.results).toEqual(results);
    expect(json.stats).not.toBe(stats);
    expect(Object.keys(planToJson(p))).not.toContain("stats");
    expect(Object.keys(planToJson(p))).not.toContain("results");
  });
});
