import { PutRetentionPolicyCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeSecurityGroupsCommand, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { acquireLease, currentHolder, describeLease } from "../../src/aws/lease.js";
import { reconcile, startReconcile } from "../support/cli.js";
import { ownMoto } from "../support/moto-env.js";
import { CREDENTIALS, specFile, uniqueStack } from "../support/engine.js";
import { ecsStackYaml } from "../support/specs.js";

/**
 * Unattended runs on a moto server of this file's own (each test its own stack): a killed lease holder, unlock, the
 * loop, and the exit codes. moto runs no containers: MOTO_ECS_SERVICE_RUNNING=2 makes a service that wants one task
 * report 2/1 running, never stable, which is how these tests keep a run busy while they signal or kill it.
 */
describe("running unattended", () => {
  const moto = ownMoto();
  const cli = (...args: string[]) => startReconcile([...args, "--endpoint", moto.endpoint], CREDENTIALS);

  it("a lease left by a run killed with SIGKILL blocks the next run until it expires, then the next run proceeds", async () => {
    const stack = uniqueStack("killed");
    // desiredCount 1 against MOTO_ECS_SERVICE_RUNNING=2: moto reports 2/1 running, never stable, so the victim holds
    // its lease while it waits; the runs after it pass --no-wait.
    const file = specFile(ecsStackYaml(stack, { desiredCount: 1 }));
    // A 15 s lease, renewed every 5 s: at least 10 s of it are left after the kill, time enough for the next two runs
    // to start even on a loaded machine; both start at once, so neither waits for the other.
    const victim = cli("apply", "-f", file, "--yes", "--lock-ttl", "15s");
    await waitFor(async () => (await describeLease(moto.aws, stack)) !== undefined);
    victim.child.kill("SIGKILL");
    await victim.exited;
    const left = await describeLease(moto.aws, stack);
    expect(left).toMatchObject({ expired: false, holder: { command: "apply", pid: victim.child.pid } });

    const waiting = cli("apply", "-f", file, "--yes", "--no-wait", "--lock-timeout", "60s");
    const blocked = await cli("apply", "-f", file, "--yes", "--no-wait").exited;
    expect(blocked.code, blocked.stderr).toBe(3);
    expect(blocked.stderr).toMatch(
      new RegExp(`stack ${stack} is locked by "apply" on .+ \\(pid ${victim.child.pid}, started .+\\) until `),
    );

    const waited = await waiting.exited;
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toContain("waiting up to 60 s");
    expect(Date.now()).toBeGreaterThanOrEqual(left!.expiresAt.getTime());
    const replan = reconcile(["plan", "-f", file, "--detailed-exitcode", "--endpoint", moto.endpoint], CREDENTIALS);
    expect(replan.code, replan.stdout).toBe(0);
  }, 120_000);

  it("unlock shows the lease and removes it only once confirmed; a stack without one is not locked", async () => {
    const stack = uniqueStack("unlock");
    const file = specFile(`
stack: ${stack}
region: us-east-1
network: { vpc: default, subnets: { availabilityZones: [us-east-1a] } }
`);
    const held = await acquireLease(moto.aws, stack, currentHolder("apply"));
    const run = (...args: string[]) => reconcile([...args, "--endpoint", moto.endpoint], CREDENTIALS);
    try {
      const refused = run("unlock", "-f", file);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(new RegExp(`stack ${stack} is locked by "apply" on .+ \\(pid ${process.pid}, started .+\\) until `));
      expect(refused.stderr).toContain("unlock changes AWS and needs confirmation");
      expect(await describeLease(moto.aws, stack)).toBeDefined();

      const removed = run("unlock", "-f", file, "--yes");
      expect(removed.code, removed.stderr).toBe(0);
      expect(removed.stdout).toContain(`Lease on stack ${stack} removed.`);
      expect(await describeLease(moto.aws, stack)).toBeUndefined();
      expect(run("unlock", "-f", file, "--yes").stdout).toContain(`Stack ${stack} in us-east-1 is not locked.`);
    } finally {
      await held.release();
    }
  });

  it("the loop corrects drift made between two ticks (a retention changed, a rule revoked), writes JSON lines that parse, and ends a tick cleanly on SIGTERM with exit 0", async () => {
    const stack = uniqueStack("loop");
    const file = specFile(`
stack: ${stack}
region: us-east-1
network: { vpc: default, subnets: { availabilityZones: [us-east-1a] } }
securityGroups:
  web: { ingress: [{ protocol: tcp, port: 8080, cidr: 10.0.0.0/8 }] }
logGroups:
  app: { retentionDays: 7 }
  audit: { retentionDays: 30 }
`);
    const loop = cli("run", "-f", file, "--interval", "2s", "--log-format", "json", "--metrics-port", "0");
    const parsed = (line: string) => JSON.parse(line) as Record<string, unknown>;
    const finished = () => loop.nextLine((line) => parsed(line).event === "tick-finished");
    // Both waiters before any output: the two lines can come in one chunk.
    const firstTick = finished();
    const firstSleep = loop.nextLine((line) => parsed(line).event === "sleeping");
    expect(parsed(await firstTick)).toMatchObject({ tick: 1, result: "changed", failures: 0 });

    // Between two ticks, someone changes a retention and revokes a rule by hand.
    await firstSleep;
    await moto.aws.logs.send(new PutRetentionPolicyCommand({ logGroupName: `/reconcile/${stack}/app`, retentionInDays: 1 }));
    const { SecurityGroups } = await moto.aws.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: "tag:reconcile:stack", Values: [stack] }] }),
    );
    await moto.aws.ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: SecurityGroups![0]!.GroupId!,
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }],
      }),
    );
    expect(parsed(await finished())).toMatchObject({ tick: 2, result: "changed", driftCorrected: 2, failures: 0 });
    const metricsUrl = /metrics on (http:\/\/\S+)\/metrics/.exec(loop.output().stderr)![1]!;
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/^reconcile_ticks_total\{result="changed"\} 2$/m);
    expect(metrics).toMatch(/^reconcile_drift_corrected_total 2$/m);
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);

    // SIGTERM as a tick begins: it ends with nothing half-done, the lease released, exit 0.
    await loop.nextLine((line) => parsed(line).event === "tick-started");
    loop.child.kill("SIGTERM");
    const ended = await loop.exited;
    expect(ended.code, ended.stderr).toBe(0);
    const events = ended.stdout.trim().split("\n").map(parsed);
    const drift = events.filter((e) => e.event === "drift-corrected").map((e) => e.address);
    expect(drift).toEqual(expect.arrayContaining(["logGroups.app", expect.stringMatching(/^securityGroup/)]));
    expect(drift).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ event: "stopping", reason: "SIGTERM" });
    for (const event of events) expect(Number.isNaN(Date.parse(String(event.time)))).toBe(false);
    expect(await describeLease(moto.aws, stack)).toBeUndefined();
    const replan = reconcile(["plan", "-f", file, "--detailed-exitcode", "--endpoint", moto.endpoint], CREDENTIALS);
    expect(replan.code, replan.stdout).toBe(0);
  }, 90_000);

  it("exit codes a wrapper can act on: 2 changes made, 0 nothing to do, 64 usage, 130 and 143 stopped by SIGINT and SIGTERM with a report of what was done", async () => {
    const stack = uniqueStack("codes");
    const logs = specFile(`
stack: ${stack}
region: us-east-1
network: { vpc: default, subnets: { availabilityZones: [us-east-1a] } }
logGroups:
  app: { retentionDays: 7 }
`);
    const run = (...args: string[]) => reconcile([...args, "--endpoint", moto.endpoint], CREDENTIALS);
    expect(run("apply", "-f", logs, "--yes", "--detailed-exitcode").code).toBe(2);
    expect(run("apply", "-f", logs, "--yes", "--detailed-exitcode").code).toBe(0);
    expect(run("run", "-f", logs, "--once", "--detailed-exitcode").code).toBe(0);
    expect(run("run", "-f", logs, "--log-format", "xml").code).toBe(64);
    expect(run("apply", "-f", logs, "--yes", "--lock-timeout", "soon").code).toBe(64);

    // A service moto never reports stable (desiredCount 1, MOTO_ECS_SERVICE_RUNNING=2): the signal comes while apply waits for it.
    for (const [signal, code] of [
      ["SIGINT", 130],
      ["SIGTERM", 143],
    ] as const) {
      const file = specFile(ecsStackYaml(uniqueStack(signal.toLowerCase()), { desiredCount: 1 }));
      const apply = cli("apply", "-f", file, "--yes");
      await apply.nextLine((line) => /… .*running/.test(line));
      apply.child.kill(signal);
      const ended = await apply.exited;
      expect(ended.code, ended.stderr).toBe(code);
      expect(ended.stdout).toContain(`${signal}: calls in flight finish, nothing new starts`);
      expect(ended.stdout).toMatch(/stopped waiting for service \S+: its change was made; the next run follows it up/);
      expect(ended.stdout).toMatch(/Apply (stopped|failed):/);
    }
  }, 120_000);
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
