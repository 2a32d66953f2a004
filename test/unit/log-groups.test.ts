import { describe, expect, it } from "vitest";
import type { FieldDiff } from "../../src/plan/model.js";
import { logGroupsReconciler } from "../../src/reconcilers/logs/log-groups/index.js";
import {
  diffLogGroup,
  type LogGroupChange,
  type LogGroupDesired,
  type ObservedLogGroup,
} from "../../src/reconcilers/logs/log-groups/model.js";
import { resourcesOfType } from "../../src/reconcilers/tagged-resources.js";
import { parseArn } from "../../src/reconcilers/arns.js";
import { NO_OUTPUTS } from "../support/reconciler-tests.js";
import { specSchema, type SpecInput } from "../../src/schema/index.js";

const KEY_A = "arn:aws:kms:us-east-1:123456789012:key/1111aaaa-1111-aaaa-1111-aaaa1111aaaa";
const KEY_B = "arn:aws:kms:us-east-1:123456789012:key/2222bbbb-2222-bbbb-2222-bbbb2222bbbb";
const OWNERSHIP = { "reconcile:stack": "demo", "reconcile:id": "logGroups/app" };

const desired: LogGroupDesired = { name: "/reconcile/demo/app", retentionDays: 7, kmsKeyId: null, tags: { ...OWNERSHIP, team: "web" } };
const observed: ObservedLogGroup = {
  name: "/reconcile/demo/app",
  id: "arn:aws:logs:us-east-1:123456789012:log-group:/reconcile/demo/app",
  retentionDays: 7,
  kmsKeyId: null,
  tags: { ...OWNERSHIP, team: "web" },
};

describe("log group diff", () => {
  it.each<{ why: string; desired?: Partial<LogGroupDesired>; observed?: Partial<ObservedLogGroup>; diffs: FieldDiff[] }>([
    { why: "the same retention, key and tags are no change", diffs: [] },
    {
      why: "a retention changed out of band is set back",
      observed: { retentionDays: 30 },
      diffs: [{ path: "retentionDays", before: 30, after: 7 }],
    },
    {
      why: "a retention left out of the spec means never expire, so a live one is removed",
      desired: { retentionDays: null },
      diffs: [{ path: "retentionDays", before: 7, after: null }],
    },
    {
      why: "a group that never expires gets the spec's retention",
      observed: { retentionDays: null },
      diffs: [{ path: "retentionDays", before: null, after: 7 }],
    },
    { why: "never expire on both sides is no change", desired: { retentionDays: null }, observed: { retentionDays: null }, diffs: [] },
    {
      why: "a key in the spec is associated with a group that has none",
      desired: { kmsKeyId: KEY_A },
      diffs: [{ path: "kmsKeyId", before: null, after: KEY_A }],
    },
    {
      why: "a key the spec leaves out is disassociated",
      observed: { kmsKeyId: KEY_A },
      diffs: [{ path: "kmsKeyId", before: KEY_A, after: null }],
    },
    {
      why: "another key is changed in place, not by replacing the group",
      desired: { kmsKeyId: KEY_B },
      observed: { kmsKeyId: KEY_A },
      diffs: [{ path: "kmsKeyId", before: KEY_A, after: KEY_B }],
    },
    {
      why: "a tag added out of band is removed",
      observed: { tags: { ...OWNERSHIP, team: "web", owner: "someone" } },
      diffs: [{ path: "tags.owner", before: "someone" }],
    },
    {
      why: "a tag value changed out of band is set back",
      observed: { tags: { ...OWNERSHIP, team: "data" } },
      diffs: [{ path: "tags.team", before: "data", after: "web" }],
    },
    {
      why: "an adopted group without the ownership tags gets them",
      observed: { tags: { team: "web" } },
      diffs: [
        { path: "tags.reconcile:id", after: "logGroups/app" },
        { path: "tags.reconcile:stack", after: "demo" },
      ],
    },
    {
      why: "AWS's own aws: tags are never touched",
      observed: { tags: { ...OWNERSHIP, team: "web", "aws:cloudformation:stack-name": "legacy" } },
      diffs: [],
    },
    {
      why: "several drifts come out in a stable order: retention, key, then tags by key",
      desired: { kmsKeyId: KEY_A },
      observed: { retentionDays: 1, tags: { ...OWNERSHIP, zeta: "z", alpha: "a" } },
      diffs: [
        { path: "retentionDays", before: 1, after: 7 },
        { path: "kmsKeyId", before: null, after: KEY_A },
        { path: "tags.alpha", before: "a" },
        { path: "tags.team", after: "web" },
        { path: "tags.zeta", before: "z" },
      ],
    },
  ])("$why", (row) => {
    const diffs = diffLogGroup({ ...desired, ...row.desired }, { ...observed, ...row.observed }).lines;
    expect(diffs).toEqual(row.diffs);
    expect(logGroupsReconciler.diff({ ...desired, ...row.desired }, { ...observed, ...row.observed }).lines).toEqual(row.diffs);
  });
});

describe("log group change", () => {
  const NO_TAGS = { set: {}, remove: [] };

  it.each<{ why: string; desired?: Partial<LogGroupDesired>; observed?: Partial<ObservedLogGroup>; change: LogGroupChange }>([
    { why: "nothing differs: no setting, no tag to write", change: { tags: NO_TAGS } },
    {
      why: "another retention is put (PutRetentionPolicy)",
      observed: { retentionDays: 30 },
      change: { retentionDays: 7, tags: NO_TAGS },
    },
    {
      why: "a retention the spec leaves out is deleted (DeleteRetentionPolicy): null, not absent",
      desired: { retentionDays: null },
      change: { retentionDays: null, tags: NO_TAGS },
    },
    {
      why: "a key the group lacks is associated (AssociateKmsKey)",
      desired: { kmsKeyId: KEY_A },
      change: { kmsKeyId: KEY_A, tags: NO_TAGS },
    },
    {
      why: "another key is associated in its place",
      desired: { kmsKeyId: KEY_B },
      observed: { kmsKeyId: KEY_A },
      change: { kmsKeyId: KEY_B, tags: NO_TAGS },
    },
    {
      why: "a key the spec leaves out is disassociated (DisassociateKmsKey): null, not absent",
      observed: { kmsKeyId: KEY_A },
      change: { kmsKeyId: null, tags: NO_TAGS },
    },
    {
      why: "tags: changed and missing keys are set, extra keys removed, aws: keys left alone",
      observed: { tags: { ...OWNERSHIP, team: "data", owner: "someone", "aws:cloudformation:stack-name": "legacy" } },
      change: { tags: { set: { team: "web" }, remove: ["owner"] } },
    },
    {
      why: "every part at once, each from its own field",
      desired: { retentionDays: null, kmsKeyId: KEY_A },
      observed: { retentionDays: 7, tags: { "reconcile:stack": "demo", team: "web" } },
      change: { retentionDays: null, kmsKeyId: KEY_A, tags: { set: { "reconcile:id": "logGroups/app" }, remove: [] } },
    },
  ])("$why", (row) => {
    expect(diffLogGroup({ ...desired, ...row.desired }, { ...observed, ...row.observed }).change).toStrictEqual(row.change);
  });
});

describe("log group nodes", () => {
  const spec = (logGroups: SpecInput["logGroups"]) =>
    specSchema.parse({
      stack: "demo",
      region: "us-east-1",
      tags: { env: "prod", team: "platform" },
      network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
      logGroups,
    });

  it("makes one node per entry, with the default name, no dependencies and the enforced defaults", () => {
    const [node, ...rest] = logGroupsReconciler.nodes(spec({ app: {} }));
    expect(rest).toEqual([]);
    expect(node).toMatchObject({
      kind: "logGroups",
      logical: "app",
      address: "logGroups.app",
      name: "/reconcile/demo/app",
      dependsOn: [],
      adopt: false,
      readOnly: false,
    });
    expect(node!.build(NO_OUTPUTS)).toEqual({
      name: "/reconcile/demo/app",
      retentionDays: null,
      kmsKeyId: null,
      tags: { env: "prod", team: "platform", ...OWNERSHIP },
    });
  });

  it("takes the explicit name, retention, key, adopt flag, and entry tags over the stack's", () => {
    const nodes = logGroupsReconciler.nodes(
      spec({
        app: {},
        audit: { name: "/legacy/audit", retentionDays: 365, kmsKeyId: KEY_A, tags: { team: "security" }, adopt: true },
      }),
    );
    expect(nodes.map((n) => n.address)).toEqual(["logGroups.app", "logGroups.audit"]);
    const audit = nodes[1]!;
    expect(audit).toMatchObject({ name: "/legacy/audit", adopt: true });
    expect(audit.build(NO_OUTPUTS)).toEqual({
      name: "/legacy/audit",
      retentionDays: 365,
      kmsKeyId: KEY_A,
      tags: { env: "prod", team: "security", "reconcile:stack": "demo", "reconcile:id": "logGroups/audit" },
    });
  });

  it("outputs the name and the ARN", () => {
    expect(logGroupsReconciler.outputs(observed)).toEqual({ name: observed.name, arn: observed.id });
  });
});

describe("picking resources of one type from the Tagging API's answer", () => {
  it.each([
    {
      why: "a log group: type and name after a colon, the name keeping its slashes",
      arn: "arn:aws:logs:us-east-1:123456789012:log-group:/reconcile/demo/app",
      parsed: { service: "logs", resourceType: "log-group", resource: "/reconcile/demo/app" },
    },
    {
      why: "a load balancer: type before the first slash",
      arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
      parsed: { service: "elasticloadbalancing", resourceType: "loadbalancer", resource: "app/web/50dc6c495c0c9188" },
    },
    {
      why: "an ECS service in another partition",
      arn: "arn:aws-cn:ecs:cn-north-1:123456789012:service/main/web",
      parsed: { partition: "aws-cn", region: "cn-north-1", service: "ecs", resourceType: "service", resource: "main/web" },
    },
    {
      why: "an ARN without a resource type",
      arn: "arn:aws:sns:us-east-1:123456789012:alerts",
      parsed: { service: "sns", resourceType: "", resource: "alerts" },
    },
  ])("$why", ({ arn, parsed }) => {
    expect(parseArn(arn)).toMatchObject({ partition: "aws", account: "123456789012", region: "us-east-1", ...parsed });
  });

  it("rejects what is not an ARN", () => {
    expect(parseArn("/reconcile/demo/app")).toBeUndefined();
    expect(parseArn("arn:aws:logs")).toBeUndefined();
  });

  it("keeps only the asked service and type, whatever the API calls the type", () => {
    const tags = { "reconcile:stack": "demo" };
    const tagged = [
      { arn: "arn:aws:logs:us-east-1:123456789012:log-group:/reconcile/demo/app", tags },
      { arn: "arn:aws:logs:us-east-1:123456789012:destination:audit", tags },
      { arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067", tags },
      { arn: "not-an-arn", tags },
    ];
    expect(resourcesOfType(tagged, "logs", "log-group").map((r) => [r.arn, r.parsed.resource])).toEqual([
      [tagged[0]!.arn, "/reconcile/demo/app"],
    ]);
    expect(resourcesOfType(tagged, "elasticloadbalancing", "targetgroup").map((r) => r.arn)).toEqual([tagged[2]!.arn]);
  });
});
