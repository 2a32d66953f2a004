import { describe, expect, it } from "vitest";
import { styleFor } from "../../src/cli/style.js";
import {
  KnownAfterApply,
  summarise,
  UNKNOWN,
  type FieldDiff,
  type Plan,
  type PlanTarget,
  type ResourceChange,
} from "../../src/plan/model.js";
import { planToJson } from "../../src/plan/render-json.js";
import { renderPlanText, type PlanTextOptions } from "../../src/plan/render-text.js";

/** Issue 17: a plan that says where (account, region, endpoint) and what, in few lines. */

const plain = styleFor({ isTTY: false } as NodeJS.WriteStream);

function change(address: string, action: ResourceChange["action"], more: Partial<ResourceChange> = {}): ResourceChange {
  const [kind, logical] = address.includes(".") ? address.split(".") : [address, address];
  return { address, kind: kind!, logical: logical!, name: `shop-${logical}`, action, diffs: [], ...more };
}

function plan(resources: ResourceChange[], target?: PlanTarget): Plan {
  return { stack: "shop", region: "us-east-1", ...(target && { target }), mode: "apply", resources, summary: summarise(resources) };
}

const text = (p: Plan, options?: PlanTextOptions) => renderPlanText(p, plain, options).split("\n");
/** The lines between the header's blank line and the summary's. */
const body = (p: Plan, options?: PlanTextOptions) => {
  const lines = text(p, options);
  return lines.slice(lines.indexOf("") + 1, -2);
};

const tag = (key: string, after: string, before?: string): FieldDiff => ({
  path: `tags.${key}`,
  after,
  ...(before !== undefined && { before }),
});
const created = (address: string, diffs: FieldDiff[]) => change(address, "create", { diffs });

describe("the header names the account, the region and, when it is not AWS's, the endpoint", () => {
  it.each<[string, PlanTarget | undefined, string[]]>([
    [
      "an emulator",
      { account: "123456789012", endpoint: "http://127.0.0.1:5000", awsEndpoint: false },
      ["Plan to apply stack shop in account 123456789012, us-east-1, at http://127.0.0.1:5000 (not AWS):"],
    ],
    [
      "AWS itself: no endpoint",
      { account: "210987654321", endpoint: "https://sts.us-east-1.amazonaws.com", awsEndpoint: true },
      ["Plan to apply stack shop in account 210987654321, us-east-1:"],
    ],
    [
      "STS did not answer: the account is unknown, and why",
      {
        accountError: "sts GetCallerIdentity: ExpiredToken: the token has expired",
        endpoint: "https://sts.us-east-1.amazonaws.com",
        awsEndpoint: true,
      },
      [
        "Plan to apply stack shop in account unknown, us-east-1:",
        "(account unknown: sts GetCallerIdentity: ExpiredToken: the token has expired)",
      ],
    ],
    ["not asked (the library's default): the region alone", undefined, ["Plan to apply stack shop in us-east-1:"]],
  ])("%s", (_, target, header) => {
    const lines = text(plan([], target));
    expect(lines.slice(0, header.length)).toEqual(header);
    expect(lines[header.length]).toBe("");
  });

  it("the JSON has the account and the endpoint, or why the account is unknown", () => {
    const known = planToJson(plan([], { account: "123456789012", endpoint: "http://127.0.0.1:5000", awsEndpoint: false }));
    expect(known).toMatchObject({ account: "123456789012", endpoint: "http://127.0.0.1:5000", awsEndpoint: false });
    expect(known).not.toHaveProperty("accountError");
    const unknown = planToJson(plan([], { accountError: "sts GetCallerIdentity: boom" }));
    expect(unknown).toMatchObject({ accountError: "sts GetCallerIdentity: boom" });
    expect(unknown).not.toHaveProperty("account");
    expect(planToJson(plan([]))).not.toHaveProperty("endpoint");
  });
});

describe("tags every resource shares are shown once", () => {
  const shopTags = [tag("app", "shop"), tag("reconcile:stack", "shop")];
  const first = plan([
    created("roles.exec", [{ path: "path", after: "/" }, ...shopTags, tag("reconcile:id", "roles/exec")]),
    created("logGroups.app", [...shopTags, tag("reconcile:id", "logGroups/app")]),
    created("clusters.main", [...shopTags, tag("reconcile:id", "clusters/main")]),
  ]);

  it("on top, and per resource only the tags of its own", () => {
    expect(body(first)).toEqual([
      '  every resource: + tags.app = "shop"',
      '                  + tags.reconcile:stack = "shop"',
      "",
      "  + roles.exec (shop-exec) will be created",
      '      + path = "/"',
      '      + tags.reconcile:id = "roles/exec"',
      "  + logGroups.app (shop-app) will be created",
      '      + tags.reconcile:id = "logGroups/app"',
      "  + clusters.main (shop-main) will be created",
      '      + tags.reconcile:id = "clusters/main"',
    ]);
  });

  it("a resource whose tag differs, or that has none, says so and shows all of its own", () => {
    const p = plan([
      ...first.resources,
      created("services.web", [tag("app", "web"), tag("reconcile:stack", "shop")]),
      created("securityGroupRules.default", [{ path: "ingress[tcp/80 from 0.0.0.0/0]", after: "allowed" }]),
    ]);
    expect(body(p).slice(10)).toEqual([
      "  + services.web (shop-web) will be created",
      "      # not every resource's tags",
      '      + tags.app = "web"',
      '      + tags.reconcile:stack = "shop"',
      "  + securityGroupRules.default (shop-default) will be created",
      "      # not every resource's tags",
      '      + ingress[tcp/80 from 0.0.0.0/0] = "allowed"',
    ]);
  });

  it("a stack-wide tag change is a few lines, not one per resource", () => {
    const retag = [tag("app", "shop2", "shop")];
    const addresses = ["roles.exec", "logGroups.app", "clusters.main", "targetGroups.web", "loadBalancers.web", "listeners.web.http"];
    const p = plan([
      ...addresses.map((address) => change(address, "update", { diffs: retag })),
      change("taskDefinitions.web", "update", { diffs: [...retag, { path: "cpu", before: "256", after: "512" }], newVersion: true }),
    ]);
    expect(body(p)).toEqual([
      '  every resource: ~ tags.app: "shop" -> "shop2"',
      "",
      "  ~ 6 resources will be updated in place for these tags alone:",
      // Wrapped within 100 columns.
      "      roles.exec, logGroups.app, clusters.main, targetGroups.web, loadBalancers.web,",
      "      listeners.web.http",
      "  ~ taskDefinitions.web (shop-web) will get a new revision",
      '      ~ cpu: "256" -> "512"',
    ]);
  });

  it("a tag only some resources have is theirs; deletions share nothing", () => {
    const p = plan([
      created("roles.exec", [tag("team", "a")]),
      created("logGroups.app", [tag("team", "a")]),
      created("clusters.main", [tag("team", "b")]),
      created("services.web", [tag("team", "c")]),
      change("logGroups.old", "delete"),
    ]);
    expect(body(p)[0]).toBe("  + roles.exec (shop-exec) will be created");
    expect(body(p)).not.toContain('  every resource: + tags.team = "a"');
  });

  it("the JSON keeps every resource's lines", () => {
    const json = planToJson(first);
    expect(json.resources.map((r) => r.diffs.filter((d) => d.path === "tags.app").length)).toEqual([1, 1, 1]);
  });
});

describe("--compact: one line per resource", () => {
  it("with how many field lines each has, and none of them", () => {
    const p = plan([
      created("roles.exec", [
        { path: "path", after: "/" },
        { path: "trust", after: { Version: "2012-10-17", Statement: [] } },
      ]),
      change("services.web", "update", {
        id: "arn:aws:ecs:us-east-1:1:service/main/web",
        diffs: [{ path: "desiredCount", before: 1, after: 2 }],
      }),
      change("logGroups.old", "delete", { reason: "no longer in the spec" }),
    ]);
    // The object's two members are two lines in the full plan: the role has three, the service one.
    expect(body(p).filter((l) => l.startsWith("      "))).toHaveLength(4);
    expect(body(p, { compact: true })).toEqual([
      "  + roles.exec (shop-exec) will be created, 3 fields",
      "  ~ services.web (shop-web) will be updated in place, 1 field",
      "  - logGroups.old (shop-old) will be destroyed: no longer in the spec",
    ]);
  });
});

describe("a new revision is named", () => {
  const arn1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:1";
  const p = plan([
    change("taskDefinitions.web", "update", {
      id: arn1,
      newVersion: true,
      newVersionName: "shop-web:2",
      diffs: [{ path: "containers.app.image", before: "nginx:1.26", after: "nginx:1.27" }],
    }),
    change("services.web", "update", {
      diffs: [{ path: "taskDefinition", before: arn1, after: KnownAfterApply.named("shop-web:2") }],
    }),
  ]);

  it("on its own line and where what refers to it is known after apply", () => {
    expect(body(p)).toEqual([
      "  ~ taskDefinitions.web (shop-web) will get new revision shop-web:2",
      '      ~ containers.app.image: "nginx:1.26" -> "nginx:1.27"',
      "  ~ services.web (shop-web) will be updated in place",
      "      ~ taskDefinition: taskDefinitions.web -> (known after apply: shop-web:2)",
    ]);
  });

  it("the JSON names it on the row and keeps the ARN and the marker in the lines", () => {
    const json = planToJson(p);
    expect(json.resources[0]).toMatchObject({ newVersion: true, newVersionName: "shop-web:2" });
    expect(json.resources[1]!.diffs).toEqual([{ path: "taskDefinition", before: arn1, after: "(known after apply)" }]);
  });

  it("an unknown without a name stays as it was", () => {
    expect(String(UNKNOWN)).toBe("(known after apply)");
    expect(KnownAfterApply.named("shop-web:2")).toBeInstanceOf(KnownAfterApply);
  });
});

describe("the spec's own resources are named by address, not by id", () => {
  const api = change("securityGroups.api", "noop", { id: "sg-88c3aa01" });
  const tgArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-web/50dc6c495c0c9188";

  it.each<[string, FieldDiff, string]>([
    [
      "an id in a path",
      { path: "ingress[tcp/6379 from sg-88c3aa01]", before: "allowed" },
      '      - ingress[tcp/6379 from securityGroups.api] = "allowed"',
    ],
    [
      "an id as a value",
      { path: "securityGroups", before: ["sg-0foreign1"], after: ["sg-88c3aa01"] },
      '      ~ securityGroups[0]: "sg-0foreign1" -> securityGroups.api',
    ],
    [
      "an id that only starts like one of them is left as it is",
      { path: "ingress[tcp/80 from sg-88c3aa0199]", after: "allowed" },
      '      + ingress[tcp/80 from sg-88c3aa0199] = "allowed"',
    ],
  ])("%s", (_, diff, line) => {
    const p = plan([
      api,
      change("targetGroups.web", "noop", { id: tgArn }),
      change("securityGroupRules.cache", "update", { diffs: [diff] }),
    ]);
    expect(body(p)[1]).toBe(line);
  });

  it("an ARN in a list of objects", () => {
    const p = plan([
      change("targetGroups.web", "noop", { id: tgArn }),
      created("listeners.web.http", [{ path: "defaultAction.targetGroups", after: [{ arn: tgArn, weight: 1 }] }]),
    ]);
    expect(body(p)[1]).toBe('      + defaultAction.targetGroups = [{"arn": targetGroups.web, "weight": 1}]');
  });

  it("a revision's ARN is not a part of a later one's", () => {
    const arn = (n: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:${n}`;
    const p = plan([
      change("taskDefinitions.web", "noop", { id: arn(1) }),
      change("services.web", "update", { diffs: [{ path: "taskDefinition", before: arn(10), after: arn(1) }] }),
    ]);
    expect(body(p)[1]).toBe(`      ~ taskDefinition: "${arn(10)}" -> taskDefinitions.web`);
  });

  it("a name used as the id is left readable, and the JSON keeps ids", () => {
    const p = plan([
      change("logGroups.app", "noop", { name: "/ecs/shop", id: "/ecs/shop" }),
      api,
      change("services.web", "update", {
        diffs: [
          { path: "logGroup", before: "/ecs/old", after: "/ecs/shop" },
          { path: "securityGroups", after: ["sg-88c3aa01"] },
        ],
      }),
    ]);
    expect(body(p).slice(1)).toEqual(['      ~ logGroup: "/ecs/old" -> "/ecs/shop"', "      + securityGroups = [securityGroups.api]"]);
    expect(planToJson(p).resources[2]!.diffs[1]).toEqual({ path: "securityGroups", after: ["sg-88c3aa01"] });
  });
});
