import { CreateLogGroupCommand, DeleteLogGroupCommand, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { ListClustersCommand } from "@aws-sdk/client-ecs";
import { CreateRoleCommand, DeleteRoleCommand, GetRoleCommand, NoSuchEntityException } from "@aws-sdk/client-iam";
import { CreateHttpNamespaceCommand, DeleteNamespaceCommand, GetOperationCommand } from "@aws-sdk/client-servicediscovery";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import {
  awsErrorIs,
  CallStats,
  createClients,
  describeAwsError,
  formatAwsError,
  type AwsClients,
  type RetryPolicy,
} from "../../src/aws/index.js";
import { uniqueName } from "../support/reconciler-tests.js";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { motoClientConfig } from "../support/moto-env.js";

// moto never throttles, answers 503 or drops a connection: those faults come from a proxy between the SDK and
// moto (test/support/fault-proxy.ts), which answers in each protocol's own error format.

/** Millisecond pauses: the same policy shape as the default, fast enough for a test. */
const FAST: RetryPolicy = { retries: 4, minTimeoutMs: 1, maxTimeoutMs: 5, factor: 2, maxRetryTimeMs: 10_000 };

const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

let proxy: FaultProxy;
let stats: CallStats;
let clients: AwsClients;

beforeAll(async () => {
  proxy = await startFaultProxy(inject("motoEndpoint"));
});
afterAll(() => proxy.close());

function connect(options: { retry?: RetryPolicy | false; maxAttempts?: number } = {}): AwsClients {
  stats = new CallStats();
  clients = createClients({ ...motoClientConfig(), endpoint: proxy.endpoint, stats, retry: FAST, ...options });
  return clients;
}

afterEach(() => {
  clients?.destroy();
  proxy.reset();
});

const countOf = (service: string, action: string) => stats.snapshot().byAction.find((c) => c.service === service && c.action === action);
const sentOf = (action: string) => proxy.seen.filter((r) => r.action === action);

describe("retryable faults are retried under our policy, each attempt counted", () => {
  it("IAM (query protocol): succeeds after two Throttling errors", async () => {
    const c = connect();
    const name = uniqueName();
    await c.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
    try {
      proxy.inject({ action: "GetRole", fault: "throttle", times: 2 });
      const role = await c.iam.send(new GetRoleCommand({ RoleName: name }));
      expect(role.Role?.RoleName).toBe(name);
      expect(role.$metadata.attempts).toBe(3);
      expect(countOf("iam", "GetRole")).toEqual({ service: "iam", action: "GetRole", calls: 1, attempts: 3, write: false });
      expect(sentOf("GetRole").map((r) => r.fault)).toEqual(["throttle", "throttle", undefined]);
    } finally {
      await c.iam.send(new DeleteRoleCommand({ RoleName: name }));
    }
  });

  it("EC2 (its own query dialect): succeeds after two RequestLimitExceeded errors", async () => {
    const c = connect();
    proxy.inject({ action: "DescribeVpcs", fault: "throttle", times: 2 });
    expect((await c.ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length).toBeGreaterThan(0);
    expect(countOf("ec2", "DescribeVpcs")).toMatchObject({ calls: 1, attempts: 3 });
  });

  it("ECS (JSON protocol): succeeds after two ThrottlingException errors", async () => {
    const c = connect();
    proxy.inject({ action: "ListClusters", fault: "throttle", times: 2 });
    expect((await c.ecs.send(new ListClustersCommand({}))).clusterArns).toBeInstanceOf(Array);
    expect(countOf("ecs", "ListClusters")).toMatchObject({ calls: 1, attempts: 3 });
  });

  it("CloudWatch Logs: succeeds after an HTTP 503", async () => {
    const c = connect();
    proxy.inject({ action: "DescribeLogGroups", fault: "unavailable" });
    expect((await c.logs.send(new DescribeLogGroupsCommand({}))).logGroups).toBeInstanceOf(Array);
    expect(countOf("logs", "DescribeLogGroups")).toMatchObject({ calls: 1, attempts: 2 });
  });

  it("succeeds after a dropped connection", async () => {
    const c = connect();
    proxy.inject({ action: "ListClusters", fault: "drop" });
    expect((await c.ecs.send(new ListClustersCommand({}))).clusterArns).toBeInstanceOf(Array);
    expect(countOf("ecs", "ListClusters")).toMatchObject({ calls: 1, attempts: 2 });
  });

  it("a retried create sends the same idempotency token (Cloud Map's CreatorRequestId) on every attempt", async () => {
    const c = connect();
    proxy.inject({ action: "CreateHttpNamespace", fault: "drop" });
    const created = await c.serviceDiscovery.send(new CreateHttpNamespaceCommand({ Name: uniqueName() }));
    const tokens = sentOf("CreateHttpNamespace").map((r) => (JSON.parse(r.body) as { CreatorRequestId?: string }).CreatorRequestId);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBeTruthy();
    expect(tokens[1]).toBe(tokens[0]);
    expect(countOf("servicediscovery", "CreateHttpNamespace")).toMatchObject({ calls: 1, attempts: 2, write: true });
    // moto completes namespace operations at once; the operation names the namespace it created.
    const operation = await c.serviceDiscovery.send(new GetOperationCommand({ OperationId: created.OperationId }));
    const namespaceId = operation.Operation?.Targets?.NAMESPACE;
    expect(namespaceId).toBeTruthy();
    await c.serviceDiscovery.send(new DeleteNamespaceCommand({ Id: namespaceId }));
  });
});

describe("lost answers: the write reaches moto, its answer never reaches the caller", () => {
  it("a lost CreateRole took effect in moto, and the caller saw a dropped connection", async () => {
    const c = connect({ retry: false, maxAttempts: 1 });
    const name = uniqueName();
    proxy.inject({ action: "CreateRole", fault: "lost" });
    const error = await c.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust })).catch((e: unknown) => e);
    expect(error).toMatchObject({ errorClass: "retryable" });
    expect(String((error as Error).message)).toMatch(/socket hang up|ECONNRESET/);
    expect(sentOf("CreateRole").map((r) => r.fault)).toEqual(["lost"]);
    const direct = createClients({ ...motoClientConfig(), maxAttempts: 1 });
    try {
      expect((await direct.iam.send(new GetRoleCommand({ RoleName: name }))).Role?.RoleName).toBe(name);
      await direct.iam.send(new DeleteRoleCommand({ RoleName: name }));
    } finally {
      direct.destroy();
    }
  });

  it("lostWrites loses the same share of writes for the same seed, and never a read", async () => {
    const losing = async (seed: number) => {
      const lossy = await startFaultProxy(inject("motoEndpoint"), { lostWrites: { rate: 0.5, seed } });
      const aws = createClients({ ...motoClientConfig(), endpoint: lossy.endpoint, retry: false, maxAttempts: 1 });
      const prefix = `/lost/${uniqueName()}/`;
      try {
        const outcomes: string[] = [];
        for (let i = 0; i < 12; i++) {
          const sent = await aws.logs.send(new CreateLogGroupCommand({ logGroupName: `${prefix}${i}` })).then(
            () => "answered",
            () => "lost",
          );
          outcomes.push(sent);
          await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix }));
        }
        const { logGroups = [] } = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix }));
        expect(logGroups).toHaveLength(12); // every write took effect, answered or not
        // A DeleteLogGroup whose answer is lost has deleted the group all the same.
        for (const group of logGroups)
          await aws.logs.send(new DeleteLogGroupCommand({ logGroupName: group.logGroupName })).catch(() => undefined);
        expect(lossy.seen.filter((r) => r.fault === "lost" && r.action.startsWith("Describe"))).toEqual([]);
        return outcomes.join(" ");
      } finally {
        aws.destroy();
        await lossy.close();
      }
    };
    const first = await losing(3);
    expect(first).toContain("lost");
    expect(first).toContain("answered");
    expect(await losing(3)).toBe(first);
    expect(await losing(4)).not.toBe(first);
  });
});

describe("errors that a retry cannot fix, and the bounds of the policy", () => {
  it("NoSuchEntity is not retried and reaches the caller as the SDK's own error, annotated", async () => {
    const c = connect();
    const error = await c.iam.send(new GetRoleCommand({ RoleName: uniqueName() })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoSuchEntityException);
    expect(error).toMatchObject({ name: "NoSuchEntityException", Code: "NoSuchEntity" }); // the SDK names query-protocol errors after their shape
    expect(awsErrorIs(error, "NoSuchEntity")).toBe(true);
    expect(error).toMatchObject({ service: "iam", action: "GetRole", errorClass: "notFound" });
    expect(Object.keys(error as object)).not.toContain("errorClass");
    expect(countOf("iam", "GetRole")).toMatchObject({ calls: 1, attempts: 1 });
    expect(sentOf("GetRole")).toHaveLength(1);
    expect(formatAwsError(error)).toMatch(/^iam GetRole: NoSuchEntity: .+ \(not retryable\)$/);
  });

  it("faults beyond the bound fail the call with the last error", async () => {
    const c = connect({ retry: { ...FAST, retries: 2 } });
    proxy.inject({ action: "ListClusters", fault: "throttle", times: 2 });
    proxy.inject({ action: "ListClusters", fault: "unavailable", times: 3 });
    const error = await c.ecs.send(new ListClustersCommand({})).catch((e: unknown) => e);
    // The third and last attempt got the 503, not a throttling error.
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 503, attempts: 3 }, errorClass: "retryable", action: "ListClusters" });
    expect(countOf("ecs", "ListClusters")).toMatchObject({ calls: 1, attempts: 3 });
    expect(sentOf("ListClusters").map((r) => r.fault)).toEqual(["throttle", "throttle", "unavailable"]);
    expect(describeAwsError(error)).toMatchObject({ service: "ecs", errorClass: "retryable", attempts: 3 });
    expect(formatAwsError(error)).toMatch(/^ecs ListClusters: .+ \(retryable; gave up after 3 attempts\)$/);
  });

  it("without a policy given, the default one governs, capped by maxAttempts as the moto tests use it", async () => {
    // One pause of the default policy (0.5 to 1 s) between the two attempts.
    const c = connect({ retry: undefined, maxAttempts: 2 });
    proxy.inject({ action: "DescribeVpcs", fault: "throttle", times: 5 });
    const error = await c.ec2.send(new DescribeVpcsCommand({})).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "RequestLimitExceeded", errorClass: "retryable", $metadata: { attempts: 2 } });
    expect(countOf("ec2", "DescribeVpcs")).toMatchObject({ calls: 1, attempts: 2 });
    expect(sentOf("DescribeVpcs")).toHaveLength(2);
  });

  it("with retry: false the SDK's own retry governs, and its attempts are still counted", async () => {
    const c = connect({ retry: false, maxAttempts: 3 });
    proxy.inject({ action: "DescribeLogGroups", fault: "unavailable", times: 2 });
    const groups = await c.logs.send(new DescribeLogGroupsCommand({}));
    expect(groups.$metadata.attempts).toBe(3);
    expect(countOf("logs", "DescribeLogGroups")).toMatchObject({ calls: 1, attempts: 3 });
    expect(sentOf("DescribeLogGroups")).toHaveLength(3);
  });
});

describe("call statistics of a run", () => {
  it("count calls and writes per service and action, in a stable order", async () => {
    const c = connect();
    const name = uniqueName();
    await c.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
    await c.iam.send(new GetRoleCommand({ RoleName: name }));
    await c.iam.send(new DeleteRoleCommand({ RoleName: name }));
    await c.ecs.send(new ListClustersCommand({}));
    const snapshot = stats.snapshot();
    expect(snapshot.byAction.map((a) => `${a.service} ${a.action}`)).toEqual([
      "ecs ListClusters",
      "iam CreateRole",
      "iam DeleteRole",
      "iam GetRole",
    ]);
    expect(snapshot).toMatchObject({ calls: 4, writes: 2, attempts: 4 });
    expect(stats.writes()).toBe(2);
  });
});
