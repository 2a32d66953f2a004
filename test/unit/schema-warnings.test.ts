import { describe, expect, it } from "vitest";
import { formatPath } from "../../src/schema/index.js";
import { validateOverlay } from "../support/specs.js";

interface Case {
  why: string;
  /** Merged over test/fixtures/base.yaml as the file `case.yaml`. */
  overlay: string;
  code: string;
  path: string;
  /** In case.yaml when within the overlay's lines, else in base.yaml. */
  line: number;
  message: RegExp;
}

// test/fixtures/base.yaml's service `web` runs task definition `web` in cluster `main`, in security group `tasks`,
// attached to target group `web`; the base leaves discovery service `web` unused and the service without a public IP.
const NO_SERVICE = "services:\n  web: null\n";
const KEEP_BASE_QUIET = "services:\n  web:\n    network: { assignPublicIp: ENABLED }\n    serviceDiscovery: { service: web }\n";

// One row a case, kept on one line each so the table reads as a table.
// prettier-ignore
const warnings: Case[] = [
  // Resources nothing refers to any more: what a removed service leaves behind.
  { why: "a task definition no service runs", overlay: NO_SERVICE, code: "unused-resource", path: "taskDefinitions.web", line: 31, message: /^nothing uses task definition `web`: no service runs it$/ },
  { why: "a security group no load balancer or service is in", overlay: NO_SERVICE, code: "unused-resource", path: "securityGroups.tasks", line: 9, message: /^nothing uses security group `tasks`: no load balancer or service is in it$/ },
  { why: "a cluster no service runs in", overlay: NO_SERVICE, code: "unused-resource", path: "clusters.main", line: 25, message: /^nothing uses cluster `main`: no service runs in it$/ },
  { why: "a target group a listener forwards to but no service fills", overlay: NO_SERVICE, code: "unused-resource", path: "targetGroups.web", line: 18, message: /^no service is attached to target group `web`: what listeners\.web\.http forwards to it finds no target \(HTTP 503\)$/ },
  { why: "the role of a task definition no service runs", overlay: NO_SERVICE, code: "unused-resource", path: "roles.exec", line: 12, message: /^nothing uses role `exec`: no task definition that a service runs names it \(executionRole, taskRole\)$/ },
  { why: "the log group of a task definition no service runs", overlay: NO_SERVICE, code: "unused-resource", path: "logGroups.app", line: 16, message: /^nothing uses log group `app`: no container of a task definition that a service runs logs to it$/ },
  { why: "a discovery service no service registers in", overlay: "", code: "unused-resource", path: "discoveryServices.web", line: 29, message: /^nothing uses discovery service `web`: no service registers in it$/ },
  { why: "the namespace of discovery services nothing registers in", overlay: NO_SERVICE, code: "unused-resource", path: "namespaces.internal", line: 27, message: /^nothing uses namespace `internal`: no discovery service that a service registers in is in it$/ },
  { why: "a target group nothing refers to", overlay: `${KEEP_BASE_QUIET}targetGroups:\n  old: { port: 80 }\n`, code: "unused-resource", path: "targetGroups.old", line: 6, message: /^nothing uses target group `old`: no service is attached to it and no listener forwards to it$/ },
  { why: "a load balancer without listeners", overlay: `${KEEP_BASE_QUIET}loadBalancers:\n  spare: { securityGroups: [alb] }\n`, code: "unused-resource", path: "loadBalancers.spare", line: 6, message: /^nothing uses load balancer `spare`: it has no listeners$/ },
  { why: "a role no task definition names", overlay: `${KEEP_BASE_QUIET}roles:\n  spare: { trustedServices: [ecs-tasks.amazonaws.com] }\n`, code: "unused-resource", path: "roles.spare", line: 6, message: /^nothing uses role `spare`/ },
  { why: "a log group no container logs to", overlay: `${KEEP_BASE_QUIET}logGroups:\n  spare: { retentionDays: 7 }\n`, code: "unused-resource", path: "logGroups.spare", line: 6, message: /^nothing uses log group `spare`/ },
  // Tasks without a public IP in subnets whose only way out is an internet gateway.
  { why: "a service without a public IP in the default VPC's default subnets", overlay: "", code: "no-public-ip", path: "services.web.network.assignPublicIp", line: 44, message: /^the tasks get no public IP \(assignPublicIp DISABLED, the default\) in the default VPC's default subnets, whose only way out is an internet gateway: they cannot pull their images \(no route to Docker Hub or ECR without a public IP or a NAT gateway\); set `assignPublicIp: ENABLED`$/ },
  { why: "assignPublicIp written as false", overlay: "services:\n  web:\n    network: { assignPublicIp: false }\n", code: "no-public-ip", path: "services.web.network.assignPublicIp", line: 3, message: /cannot pull their images/ },
  { why: "a service's own subnets, by availability zone", overlay: "network:\n  subnets: { availabilityZones: null, ids: [subnet-0a] }\nservices:\n  web:\n    network: { subnets: { availabilityZones: [us-east-1a] } }\n", code: "no-public-ip", path: "services.web.network.assignPublicIp", line: 5, message: /cannot pull their images/ },
];

// Where the warning would be wrong, it is not given.
// prettier-ignore
const quiet: Array<Omit<Case, "path" | "line" | "message"> & { path: string }> = [
  { why: "the base's service uses its task definition, group, cluster and target group", overlay: KEEP_BASE_QUIET, code: "unused-resource", path: "" },
  { why: "an existing security group is someone else's: unused, it is not the stack's to question", overlay: `${KEEP_BASE_QUIET}securityGroups:\n  default:\n    existing: { name: default }\n    ingress: [{ port: 22, cidr: 10.0.0.0/8 }]\n`, code: "unused-resource", path: "securityGroups.default" },
  { why: "a target group of instances is filled from outside the spec", overlay: `${KEEP_BASE_QUIET}targetGroups:\n  legacy: { port: 80, targetType: instance }\n`, code: "unused-resource", path: "targetGroups.legacy" },
  { why: "tasks with a public IP", overlay: KEEP_BASE_QUIET, code: "no-public-ip", path: "services.web.network.assignPublicIp" },
  { why: "subnets given by ids: offline, their route tables are unknown", overlay: "network:\n  subnets: { availabilityZones: null, ids: [subnet-0a, subnet-0b] }\n", code: "no-public-ip", path: "services.web.network.assignPublicIp" },
  { why: "subnets given by tags: offline, their route tables are unknown", overlay: "network:\n  subnets: { availabilityZones: null, tags: { tier: private } }\n", code: "no-public-ip", path: "services.web.network.assignPublicIp" },
];

describe("warnings about resources nothing uses and tasks that cannot pull their images", () => {
  it.each(warnings)("$why", async ({ overlay, code, path, line, message }) => {
    const result = await validateOverlay(overlay);
    expect(result.spec, result.diagnostics.map((d) => d.message).join("\n")).toBeDefined();
    const found = result.diagnostics.filter((d) => d.code === code);
    const match = found.find((d) => formatPath(d.path) === path && message.test(d.message));
    expect(
      match,
      `expected a ${code} warning at ${path}; got:\n${found.map((d) => `${formatPath(d.path)}: ${d.message}`).join("\n")}`,
    ).toBeDefined();
    expect(match!.severity).toBe("warning");
    const inBase = line > overlay.split("\n").length;
    expect(match!.location).toMatchObject({ file: inBase ? "base.yaml" : "case.yaml", line });
  });

  it.each(quiet)("none where $why", async ({ overlay, code, path }) => {
    const result = await validateOverlay(overlay);
    expect(result.spec, result.diagnostics.map((d) => d.message).join("\n")).toBeDefined();
    const found = result.diagnostics.filter((d) => d.code === code && formatPath(d.path).startsWith(path));
    expect(found.map((d) => `${formatPath(d.path)}: ${d.message}`)).toEqual([]);
  });
});

// prettier-ignore
const overlayKeys: Case[] = [
  { why: "a misspelt service in an overlay", overlay: "services:\n  webb:\n    desiredCount: 3\n", code: "not-in-base", path: "services.webb", line: 2, message: /^`webb` is not in the base files \(base\.yaml\), and as a new entry of `services` it is incomplete \(missing required key `taskDefinition`\): did you mean `web`\?$/ },
  { why: "a misspelt container of a base task definition", overlay: "taskDefinitions:\n  web:\n    containers:\n      ap: { memory: 256 }\n", code: "not-in-base", path: "taskDefinitions.web.containers.ap", line: 4, message: /^`ap` is not in the base files \(base\.yaml\), and as a new entry of `taskDefinitions\.web\.containers` it is incomplete \(missing required key `image`\): did you mean `app`\?$/ },
  { why: "a fragment with no base key close to it", overlay: "targetGroups:\n  zzz: { protocol: HTTP }\n", code: "not-in-base", path: "targetGroups.zzz", line: 2, message: /^`zzz` is not in the base files \(base\.yaml\), and as a new entry of `targetGroups` it is incomplete \(missing required key `port`\)$/ },
];

describe("an overlay key that matches nothing in the base files", () => {
  it.each(overlayKeys)("$why", async ({ overlay, code, path, line, message }) => {
    const result = await validateOverlay(overlay);
    expect(result.spec).toBeUndefined();
    const match = result.diagnostics.find((d) => d.code === code && formatPath(d.path) === path);
    expect(match?.message, result.diagnostics.map((d) => `${formatPath(d.path)}: ${d.message}`).join("\n")).toMatch(message);
    expect(match).toMatchObject({ severity: "error", location: { file: "case.yaml", line } });
  });

  it("with a suggestion, the entry's own errors (it is not a new resource) are not reported beside it", async () => {
    const result = await validateOverlay("services:\n  webb:\n    desiredCount: 3\n");
    expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.code)).toEqual(["not-in-base"]);
  });

  it("without one, they are: the entry may be a new resource begun in the overlay", async () => {
    const result = await validateOverlay("targetGroups:\n  zzz: { protocol: HTTP }\n");
    expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.code)).toEqual(["not-in-base", "missing-key"]);
  });

  it("a complete new resource in an overlay is valid, even named like a base one", async () => {
    const result = await validateOverlay(
      "logGroups:\n  ap: { retentionDays: 7 }\ntaskDefinitions:\n  web:\n    containers:\n      app:\n        logging: { awslogs: { logGroup: ap } }\n",
    );
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.spec?.logGroups.ap).toEqual({ retentionDays: 7 });
  });

  it("a whole new entry with a wrong value gets its own error, not a did-you-mean", async () => {
    const result = await validateOverlay(
      "loadBalancers:\n  web:\n    listeners:\n      https: { protocol: HTTPS, port: 443, defaultAction: { forward: web } }\n",
    );
    expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${formatPath(d.path)}`)).toEqual([
      "invalid-value loadBalancers.web.listeners.https.certificates",
    ]);
  });

  it("a key of the first file is never an overlay's", async () => {
    const result = await validateOverlay("");
    const alone = await import("../support/specs.js").then((m) =>
      m.validateTexts({
        "only.yaml":
          "stack: demo\nregion: us-east-1\nnetwork: { vpc: default, subnets: { ids: [subnet-0a] } }\nservices:\n  webb: { desiredCount: 1 }\n",
      }),
    );
    expect(result.diagnostics.some((d) => d.code === "not-in-base")).toBe(false);
    expect(alone.diagnostics.map((d) => d.code)).not.toContain("not-in-base");
    expect(alone.diagnostics.map((d) => d.code)).toContain("missing-key");
  });
});
