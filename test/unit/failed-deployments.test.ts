import { readFileSync } from "node:fs";
import { TagResourceCommand, UntagResourceCommand, UpdateServiceCommand, type Service } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { AwsClients } from "../../src/aws/index.js";
import { applyPlan, planStack } from "../../src/engine/index.js";
import { hasBlockedRows, summarise, type Plan, type ResourceChange } from "../../src/plan/model.js";
import { planToJson } from "../../src/plan/render-json.js";
import { renderProgress, renderRunSummary } from "../../src/plan/render-run.js";
import { renderPlanText } from "../../src/plan/render-text.js";
import { diffField, diffTags } from "../../src/reconcilers/diff-helpers.js";
import type { Catalogue } from "../../src/reconcilers/index.js";
import { servicesReconciler } from "../../src/reconcilers/ecs/services/index.js";
import { canonicalJson } from "../../src/reconcilers/fingerprint.js";
import {
  contentFingerprint,
  FAILED_DEPLOYMENT_TAG,
  failedDeploymentOf,
  failedDeploymentTagValue,
} from "../../src/reconcilers/ecs/services/failed-deployment.js";
import { diffService, heldService, observedFromAws, serviceNode, type ServiceDesired } from "../../src/reconcilers/ecs/services/model.js";
import { ServiceNotStableError } from "../../src/reconcilers/ecs/stability.js";
import {
  ID_TAG,
  STACK_TAG,
  type Context,
  type Kind,
  type Observed,
  type Outputs,
  type Reconciler,
  type Tags,
} from "../../src/reconcilers/contract.js";
import { specSchema, type Spec, type SpecInput } from "../../src/schema/index.js";
import { REFERENCE_INPUT } from "../support/specs.js";
import { MARKED } from "../support/styles.js";

const REVISION_1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/taskFargateCurso107:1";
const REVISION_2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/taskFargateCurso107:2";
const FAILED = "ecs-svc/2222222222222222222";

/** Dates as the SDK hands them over: the fixtures hold AWS's epoch seconds. */
function withDates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withDates);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      (key === "createdAt" || key === "updatedAt") && typeof v === "number" ? new Date(v * 1000) : withDates(v),
    ]),
  );
}

const fixture = (name: string): Service =>
  (
    withDates(JSON.parse(readFileSync(new URL(`../fixtures/aws/describe-services-${name}.json`, import.meta.url), "utf8"))) as {
      services: Service[];
    }
  ).services[0]!;

/**
 * The reference service (svcFargateCurso107) after the circuit breaker rolled back its deployment of revision 2: it
 * runs revision 1 again (see the fixture's _source). Steady: the same service with one COMPLETED deployment.
 */
const rolledBack = fixture("reference-rolled-back");
const steady = fixture("reference");

/** The tags as DescribeServices (include TAGS) lists them: `{key, value}`, the failure record among them. */
function withRecord(service: Service, record: string): Service {
  return { ...service, tags: [...(service.tags ?? []), { key: FAILED_DEPLOYMENT_TAG, value: record }] };
}

type ServiceInput = NonNullable<SpecInput["services"]>[string];
type TaskInput = NonNullable<SpecInput["taskDefinitions"]>[string];

/** The reference spec with the web service's and task definition's entries changed. */
function specWith(service: Partial<ServiceInput> = {}, task: Partial<TaskInput> = {}): Spec {
  return specSchema.parse({
    ...REFERENCE_INPUT,
    services: { web: { ...REFERENCE_INPUT.services!.web!, ...service } },
    taskDefinitions: { ...REFERENCE_INPUT.taskDefinitions, web: { ...REFERENCE_INPUT.taskDefinitions!.web!, ...task } },
  });
}

const fingerprintOf = (spec: Spec) => contentFingerprint(spec, spec.services.web!);
const REFERENCE = specWith();
const referenceContainer = () => Object.values(REFERENCE_INPUT.taskDefinitions!.web!.containers!)[0]!;
const containerName = Object.keys(REFERENCE_INPUT.taskDefinitions!.web!.containers!)[0]!;

/** The outputs of the reference system once revision 2 is registered: the spec's content the service should run. */
const OUTPUTS: Outputs = {
  string: (address, output) => {
    const values: Record<string, string> = {
      "taskDefinitions.web arn": REVISION_2,
      "securityGroups.default id": "sg-0123456789EXAMPLE",
      "targetGroups.web arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tgCurso107/0123456789abcdef",
      "discoveryServices.web arn": "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-e4anhexample0004",
    };
    const value = values[`${address} ${output}`];
    if (value === undefined) throw new Error(`no stand-in for ${address} ${output}`);
    return value;
  },
  list: () => ["subnet-0aa0b6c2f1EXAMPLE", "subnet-0bb1c79de3EXAMPLE"],
};

const desiredOf = (spec: Spec): ServiceDesired => serviceNode(spec, "web", spec.services.web!).build(OUTPUTS);

describe("the content fingerprint", () => {
  const reference = fingerprintOf(REFERENCE);

  it("is 16 hex digits of a SHA-256, the same for the same spec, whatever the order its keys were written in", () => {
    expect(reference).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintOf(specWith())).toBe(reference);
    const reversed = Object.fromEntries(Object.entries(REFERENCE_INPUT.taskDefinitions!.web!).reverse()) as TaskInput;
    expect(fingerprintOf(specWith({}, reversed))).toBe(reference);
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });

  it("is carried in the desired value, and never shown as a field of a new service", () => {
    expect(desiredOf(REFERENCE).fingerprint).toBe(reference);
    expect(servicesReconciler.preview!(desiredOf(REFERENCE)).map((d) => d.path)).not.toContain("fingerprint");
  });

  it.each<[string, Partial<ServiceInput>, Partial<TaskInput>]>([
    ["a container's image", {}, { containers: { [containerName]: { ...referenceContainer(), image: "nginx:1.28" } } }],
    ["a container's environment", {}, { containers: { [containerName]: { ...referenceContainer(), environment: { MODE: "b" } } } }],
    ["the task's memory", {}, { memory: 2048 }],
    ["the port the load balancer checks", { loadBalancers: [{ targetGroup: "web", container: containerName, port: 8081 }] }, {}],
    ["the public IP the image pull needs", { network: { securityGroups: ["default"], assignPublicIp: "DISABLED" } }, {}],
    ["the deployment settings", { deployment: { circuitBreaker: { enable: true, rollback: true } } }, {}],
  ])("changes with %s: another content, which deploys", (_what, service, task) => {
    expect(fingerprintOf(specWith(service, task))).not.toBe(reference);
  });

  it.each<[string, Partial<ServiceInput>, Partial<TaskInput>]>([
    ["the count", { desiredCount: 4 }, {}],
    ["auto scaling", { autoScaling: { minCapacity: 1, maxCapacity: 3 } }, {}],
    ["the service's tags", { tags: { team: "web" } }, {}],
    ["adopt", { adopt: true }, {}],
    ["the task definition's tags", {}, { tags: { team: "web" } }],
    ["how many revisions are kept", {}, { keepRevisions: 9 }],
  ])("does not change with %s: no deployment carries it", (_what, service, task) => {
    expect(fingerprintOf(specWith(service, task))).toBe(reference);
  });
});

describe("the failure record", () => {
  const at = new Date("2025-03-04T05:06:07.891Z");

  it("holds the fingerprint, the time to the second and AWS's reason, with what ECS tag values cannot hold replaced", () => {
    const value = failedDeploymentTagValue(
      "0123456789abcdef",
      at,
      "service web: deployment ecs-svc/2 failed: rolled back to web:1: (service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.",
    );
    expect(value).toBe(
      "0123456789abcdef 2025-03-04T05:06:07Z service web: deployment ecs-svc/2 failed: rolled back to web:1: service web deployment ecs-svc/2 deployment failed: tasks failed to start.",
    );
    expect(value).toMatch(/^[A-Za-z0-9 _.:/=+\-@]+$/);
    expect(failedDeploymentOf({ [FAILED_DEPLOYMENT_TAG]: value })).toEqual({
      fingerprint: "0123456789abcdef",
      at: "2025-03-04T05:06:07Z",
      reason:
        "service web: deployment ecs-svc/2 failed: rolled back to web:1: service web deployment ecs-svc/2 deployment failed: tasks failed to start.",
    });
  });

  it("is cut to ECS's 256 characters, commas, quotes and ellipses dropped", () => {
    const value = failedDeploymentTagValue("0123456789abcdef", at, `not stable after 600 s: 'a', "b" … ${"x".repeat(400)}`);
    expect(value).toHaveLength(256);
    expect(value.startsWith("0123456789abcdef 2025-03-04T05:06:07Z not stable after 600 s: a b x")).toBe(true);
  });

  it("is read from the service's tags, and a record edited by hand into another shape still names its fingerprint", () => {
    expect(failedDeploymentOf({})).toBeUndefined();
    expect(failedDeploymentOf({ [FAILED_DEPLOYMENT_TAG]: "abc" })).toEqual({ fingerprint: "abc", reason: "" });
    expect(failedDeploymentOf({ [FAILED_DEPLOYMENT_TAG]: "abc broke it" })).toEqual({ fingerprint: "abc", reason: "broke it" });
  });
});

describe("a rolled-back deployment recorded on the reference service (DescribeServices fixture)", () => {
  const desired = desiredOf(REFERENCE);
  const record = failedDeploymentTagValue(desired.fingerprint, new Date("2024-06-10T07:00:00Z"), "rolled back to taskFargateCurso107:1");
  const observed = observedFromAws(withRecord(rolledBack, record));

  it("reads the record as the service's failed deployment", () => {
    expect(observed.failedDeployment).toEqual({
      fingerprint: desired.fingerprint,
      at: "2024-06-10T07:00:00Z",
      reason: "rolled back to taskFargateCurso107:1",
    });
    expect(observedFromAws(rolledBack).failedDeployment).toBeUndefined();
  });

  it("diffs only the task definition: the record is the tool's bookkeeping, not drift, and never removed by the tags' change", () => {
    const { lines, change } = diffService(desired, observed);
    expect(observed.taskDefinition).toBe(REVISION_1);
    expect(lines).toEqual([{ path: "taskDefinition", before: REVISION_1, after: REVISION_2 }]);
    expect(change.tags).toEqual({ set: {}, remove: [] });
    expect(change.update).toEqual({ cluster: observed.cluster, service: observed.name, taskDefinition: REVISION_2 });
  });

  it("holds the deployment of the same content, saying which content failed, when, and AWS's reason", () => {
    const { change } = diffService(desired, observed);
    expect(heldService(desired, observed, change)).toBe(
      `the deployment of this content (fingerprint ${desired.fingerprint}) failed at 2024-06-10T07:00:00Z: rolled back to taskFargateCurso107:1. ` +
        "It is not deployed again until the service's or its task definition's entry in the spec changes, or a run retries it (--retry-failed)",
    );
  });

  it("deploys other content: the spec's image changed, so its fingerprint did", () => {
    const fixed = desiredOf(specWith({}, { containers: { [containerName]: { ...referenceContainer(), image: "nginx:1.28" } } }));
    expect(heldService(fixed, observed, diffService(fixed, observed).change)).toBeUndefined();
  });

  it("does not hold a change that starts no deployment: tags alone", () => {
    const tagged = desiredOf(specWith({ tags: { team: "web" } }));
    const deployed = observedFromAws(withRecord(steady, record));
    const { lines, change } = diffService(tagged, { ...deployed, taskDefinition: REVISION_2 });
    expect(lines.map((l) => l.path)).toEqual(["tags.team"]);
    expect(heldService(tagged, deployed, change)).toBeUndefined();
  });
});

/** A stand-in ECS client answering UpdateService and DescribeServices from fixtures, recording the writes. */
function scriptedEcs(updated: Service, described: Service) {
  const writes: Array<{ action: string; input: Record<string, unknown> }> = [];
  const send = async (command: { input: Record<string, unknown> }) => {
    if (command instanceof UpdateServiceCommand) {
      writes.push({ action: "UpdateService", input: command.input });
      return { service: updated };
    }
    if (command instanceof TagResourceCommand || command instanceof UntagResourceCommand) {
      writes.push({ action: command.constructor.name.replace(/Command$/, ""), input: command.input });
      return {};
    }
    return { services: [described], failures: [] };
  };
  const ctx: Context = {
    stack: "microblog",
    region: "us-east-1",
    clients: { ecs: { send } } as unknown as AwsClients,
    wait: { timeoutMs: 10_000 },
  };
  return { ctx, writes };
}

// The services kind's update with a stand-in ECS client: what it records on the service when the wait fails (the
// circuit breaker's rollback, which moto never does) and what it clears when the wait succeeds.
describe("recording a failed deployment on the service (servicesReconciler.update, a stand-in ECS client)", () => {
  const desired = desiredOf(REFERENCE);
  /** UpdateService's answer: the new deployment of revision 2 is PRIMARY, the one the wait follows. */
  const started: Service = {
    ...rolledBack,
    taskDefinition: REVISION_2,
    deployments: [{ ...rolledBack.deployments![1]!, status: "PRIMARY", rolloutState: "IN_PROGRESS", desiredCount: 2 }],
  };

  it("tags the service with this content's failure, AWS's reason included, then reports the deployment failed", async () => {
    const { ctx, writes } = scriptedEcs(started, rolledBack);
    const observed = observedFromAws(steady);
    const { change } = diffService(desired, observed);

    const error = await servicesReconciler.update(change, observed, ctx).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ServiceNotStableError);
    expect((error as Error).message).toBe(
      `service svcFargateCurso107: deployment ${FAILED} failed: rolled back to taskFargateCurso107:1: ECS deployment circuit breaker: tasks failed to start.`,
    );
    expect(writes.map((w) => w.action)).toEqual(["UpdateService", "TagResource"]);
    const tags = writes[1]!.input.tags as Array<{ key: string; value: string }>;
    expect(writes[1]!.input.resourceArn).toBe(observed.id);
    expect(tags).toHaveLength(1);
    expect(tags[0]!.key).toBe(FAILED_DEPLOYMENT_TAG);
    expect(tags[0]!.value).toMatch(
      new RegExp(
        `^${desired.fingerprint} \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ service svcFargateCurso107: deployment ${FAILED} failed: ` +
          "rolled back to taskFargateCurso107:1: ECS deployment circuit breaker: tasks failed to start.$",
      ),
    );
  });

  it("clears an earlier record once a deployment (here, of the same content, retried) is stable", async () => {
    const record = failedDeploymentTagValue(desired.fingerprint, new Date(), "rolled back");
    const { ctx, writes } = scriptedEcs(steady, steady);
    const observed = observedFromAws(withRecord(rolledBack, record));
    const { change } = diffService(desired, observed);

    const result = await servicesReconciler.update(change, observed, ctx);

    expect(writes.map((w) => [w.action, w.input.tagKeys])).toEqual([
      ["UpdateService", undefined],
      ["UntagResource", [FAILED_DEPLOYMENT_TAG]],
    ]);
    expect(result.tags).not.toHaveProperty(FAILED_DEPLOYMENT_TAG);
    expect(result.failedDeployment).toBeUndefined();
  });

  it("without a wait (--no-wait) learns nothing, and writes no record", async () => {
    const { ctx, writes } = scriptedEcs(started, rolledBack);
    const { wait: _none, ...noWait } = ctx;
    const observed = observedFromAws(steady);
    await servicesReconciler.update(diffService(desired, observed).change, observed, noWait);
    expect(writes.map((w) => w.action)).toEqual(["UpdateService"]);
  });
});

// The engine over two in-memory kinds: a service-like kind that holds a change its live resource records as failed,
// and a kind that refers to it (auto scaling).
interface Thing {
  name: string;
  version: number;
  ref?: string;
  tags: Tags;
}
interface LiveThing extends Observed {
  version: number;
  failedVersion?: number;
}

function thingKind(kind: Kind, desired: Thing, live: LiveThing | undefined, refersTo: Kind[] = []) {
  const calls: string[] = [];
  const reconciler: Reconciler<Thing, LiveThing, Thing> = {
    kind,
    refersTo,
    looksUp: [],
    nodes: () => [
      {
        kind,
        logical: "web",
        address: `${kind}.web`,
        name: desired.name,
        dependsOn: refersTo.map((k) => `${k}.web`),
        adopt: false,
        readOnly: false,
        build: (outputs) => ({ ...desired, ...(refersTo.length > 0 && { ref: outputs.string(`${refersTo[0]}.web`, "id") as string }) }),
      },
    ],
    observe: async () => new Map(live ? [[`${kind}.web`, live]] : []),
    discover: async () => [],
    diff: (d, o) => ({ lines: [...diffField("version", o.version, d.version), ...diffTags(d.tags, o.tags)], change: d }),
    held: (d, o) => (o.failedVersion === d.version ? `version ${d.version} failed before` : undefined),
    create: async (d) => {
      calls.push(`create ${d.name} ref=${d.ref}`);
      return { name: d.name, id: `${kind}-1`, tags: d.tags, version: d.version };
    },
    update: async (c, o) => {
      calls.push(`update ${c.name} to ${c.version}`);
      return { ...o, version: c.version };
    },
    delete: async () => {},
    outputs: (o) => ({ id: o.id }),
  };
  return { reconciler, calls };
}

describe("the engine with a held row", () => {
  const spec = { stack: "unit", region: "us-east-1", tags: {} } as unknown as Spec;
  const ctx = { stack: "unit", region: "us-east-1", clients: {} } as unknown as Context;
  const tags = (kind: Kind): Tags => ({ [STACK_TAG]: "unit", [ID_TAG]: `${kind}/web` });

  function world(failedVersion: number | undefined) {
    const live: LiveThing = { name: "svc", id: "svc-live", tags: tags("services"), version: 1, ...(failedVersion && { failedVersion }) };
    const services = thingKind("services", { name: "svc", version: 2, tags: tags("services") }, live);
    const scaling = thingKind("autoScaling", { name: "scaling", version: 1, tags: tags("autoScaling") }, undefined, ["services"]);
    const catalogue = { reconcilers: [services.reconciler, scaling.reconciler] } as unknown as Catalogue;
    return { services, scaling, catalogue };
  }

  it("plans the row held, with what it would change and why not, counted apart; what refers to it still plans on its id", async () => {
    const { catalogue } = world(2);
    const { plan } = await planStack(spec, ctx, "apply", catalogue);
    expect(plan.resources.map((r) => [r.address, r.action, r.reason])).toEqual([
      ["services.web", "held", "version 2 failed before"],
      ["autoScaling.web", "create", undefined],
    ]);
    expect(plan.resources[0]!.diffs).toEqual([{ path: "version", before: 1, after: 2 }]);
    expect(plan.summary).toEqual({ add: 1, change: 0, replace: 0, destroy: 0, conflict: 0, held: 1 });
    expect(hasBlockedRows(plan)).toBe(true);
  });

  it("applies it with no call, reported failed with the reason, while what depends on it goes ahead", async () => {
    const { services, scaling, catalogue } = world(2);
    const results = await applyPlan(await planStack(spec, ctx, "apply", catalogue), ctx);
    expect(services.calls).toEqual([]);
    expect(scaling.calls).toEqual(["create scaling ref=svc-live"]);
    expect(results.map((r) => [r.address, r.action, r.outcome, r.error])).toEqual([
      ["services.web", "held", "failed", "version 2 failed before"],
      ["autoScaling.web", "create", "done", undefined],
    ]);
  });

  it("with retryFailed, plans and makes the change again", async () => {
    const { services, catalogue } = world(2);
    const planned = await planStack(spec, ctx, "apply", catalogue, { retryFailed: true });
    expect(planned.plan.resources[0]!.action).toBe("update");
    expect(hasBlockedRows(planned.plan)).toBe(false);
    await applyPlan(planned, ctx);
    expect(services.calls).toEqual(["update svc to 2"]);
  });

  it("makes the change when what failed was something else", async () => {
    const { services, catalogue } = world(3);
    const planned = await planStack(spec, ctx, "apply", catalogue);
    expect(planned.plan.resources[0]!.action).toBe("update");
    await applyPlan(planned, ctx);
    expect(services.calls).toEqual(["update svc to 2"]);
  });
});

describe("showing a held row", () => {
  const held: ResourceChange = {
    address: "services.web",
    kind: "services",
    logical: "web",
    name: "svcFargateCurso107",
    id: "arn:aws:ecs:us-east-1:123456789012:service/clusterFargateCurso107/svcFargateCurso107",
    action: "held",
    diffs: [{ path: "taskDefinition", before: REVISION_1, after: REVISION_2 }],
    reason: "the deployment of this content (fingerprint 0123456789abcdef) failed at 2024-06-10T07:00:00Z: rolled back",
  };
  const plan: Plan = { stack: "microblog", region: "us-east-1", mode: "apply", resources: [held], summary: summarise([held]) };

  it("in text: its own symbol and words, the reason, the fields it would change, and the count", () => {
    expect(renderPlanText(plan, MARKED).split("\n")).toEqual([
      "Plan to apply stack <bold>microblog</bold> in us-east-1:",
      "",
      `  <red>✗</red> <bold>services.web</bold> (svcFargateCurso107) <red>not deployed again</red>: ${held.reason}`,
      `      <yellow>~</yellow> <dim>taskDefinition</dim>: "${REVISION_1}" -> "${REVISION_2}"`,
      "",
      "<bold>Plan:</bold> 0 to add, 0 to change, 0 to replace, 0 to destroy, 1 held after a failed deployment.",
    ]);
  });

  it("in JSON: action held, the reason, the summary's count, and changes", () => {
    const json = planToJson(plan);
    expect(json.resources[0]).toMatchObject({ action: "held", reason: held.reason });
    expect(json.summary.held).toBe(1);
    expect(json.changes).toBe(true);
  });

  it("after a run: failed without a duration, and named in the closing line", () => {
    const result = { address: "services.web", action: "held" as const, outcome: "failed" as const, elapsedMs: 0, error: held.reason! };
    expect(renderProgress(result, held, MARKED)).toBe(
      `  <red>✗</red> <bold>services.web</bold> (svcFargateCurso107): <red>not deployed again</red>: ${held.reason}`,
    );
    const stats = { calls: 0, writes: 0, attempts: 0, byAction: [] };
    expect(renderRunSummary({ plan, results: [result], elapsedMs: 1200, stats }, MARKED)).toBe(
      "<bold><red>Apply failed:</red></bold> 1 failed, 0 done in 1.2s. Not deployed again, as the same content failed before: services.web.",
    );
  });
});
