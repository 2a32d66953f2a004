import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ListServicesCommand, ListTaskDefinitionsCommand } from "@aws-sdk/client-ecs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describeLease } from "../../src/aws/lease.js";
import { reconcile, startReconcile } from "../support/cli.js";
import { ownMoto } from "../support/moto-env.js";
import { CREDENTIALS } from "../support/engine.js";
import { startFaultProxy } from "../support/fault-proxy.js";

/**
 * Runs that overlap, as cron and loops make them, on a moto server of this file's own: the example's names are
 * fixed (albCurso107), and each round starts from an empty account (moto's reset), which the shared server cannot.
 * moto runs no containers: MOTO_ECS_SERVICE_RUNNING makes the example's service report its 2 tasks running.
 */
const EXAMPLE = fileURLToPath(new URL("../../examples/microblog.yaml", import.meta.url));

describe("runs that overlap", () => {
  const moto = ownMoto();
  const cli = (...args: string[]) => startReconcile([...args, "--endpoint", moto.endpoint], CREDENTIALS);

  it("two applies of examples/microblog.yaml started at once, 5 times on an empty account: one applies, the other exits 3 naming the holder; one of everything, and the re-plan is empty", async () => {
    for (let round = 1; round <= 5; round++) {
      await fetch(`${moto.endpoint}/moto-api/reset`, { method: "POST" });
      const [a, b] = await Promise.all([cli("apply", "-f", EXAMPLE, "--yes").exited, cli("apply", "-f", EXAMPLE, "--yes").exited]);
      const codes = [a.code, b.code].sort();
      expect(codes, `round ${round}: ${a.stderr}\n${b.stderr}`).toEqual([0, 3]);
      const loser = a.code === 3 ? a : b;
      expect(loser.stderr).toMatch(
        /stack microblog is locked by "apply" on .+ \(pid \d+, started .+\) until .+\. Nothing was read or changed\./,
      );

      const { LoadBalancers } = await moto.aws.elbv2.send(new DescribeLoadBalancersCommand({}));
      expect(LoadBalancers?.map((lb) => lb.LoadBalancerName)).toEqual(["albCurso107"]);
      const { TargetGroups } = await moto.aws.elbv2.send(new DescribeTargetGroupsCommand({}));
      expect(TargetGroups).toHaveLength(1);
      const { taskDefinitionArns } = await moto.aws.ecs.send(new ListTaskDefinitionsCommand({}));
      expect(taskDefinitionArns).toHaveLength(1);
      const { serviceArns } = await moto.aws.ecs.send(new ListServicesCommand({ cluster: "clusterFargateCurso107" }));
      expect(serviceArns).toHaveLength(1);
      const replan = reconcile(["plan", "-f", EXAMPLE, "--detailed-exitcode", "--endpoint", moto.endpoint], CREDENTIALS);
      expect(replan.code, replan.stdout + replan.stderr).toBe(0);
      expect(await describeLease(moto.aws, "microblog")).toBeUndefined();
    }
  }, 300_000);

  it("status and graph on both examples (after the rounds above, examples/microblog.yaml is applied)", async () => {
    // moto does not implement DescribeScalingActivities (HTTP 500, which the SDK retries for minutes): the proxy
    // answers it as AWS does for a service that has not scaled yet.
    const proxy = await startFaultProxy(moto.endpoint, { standIns: { DescribeScalingActivities: () => ({ ScalingActivities: [] }) } });
    // The proxy runs in this process: the CLI runs beside it (startReconcile), never blocking it as spawnSync would.
    const run = (...args: string[]) => startReconcile([...args, "--endpoint", proxy.endpoint], CREDENTIALS).exited;
    try {
      const text = await run("status", "-f", EXAMPLE);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain("lock: free");
      expect(text.stdout).toContain("in sync: the live resources match the spec");
      expect(text.stdout).toContain("services.web (svcFargateCurso107) in clusterFargateCurso107: ACTIVE, 2 desired, 2 running, 0 pending");
      expect(text.stdout).toMatch(/loadBalancers\.web \(albCurso107\): active, internet-facing, albCurso107-\S+\.elb\.amazonaws\.com/);
      expect(text.stdout).toContain("autoScaling.web (service/clusterFargateCurso107/svcFargateCurso107): between 2 and 6 tasks");
      const json = JSON.parse((await run("status", "-f", EXAMPLE, "--json")).stdout);
      expect(json).toMatchObject({ formatVersion: 1, stack: "microblog", drift: { inSync: true }, unavailable: [] });
      expect(json.resources.map((r: { address: string }) => r.address)).toEqual([
        "targetGroups.web",
        "loadBalancers.web",
        "services.web",
        "autoScaling.web",
      ]);

      // One private DNS namespace per VPC on moto: the shared-db example goes up once the first is gone.
      expect((await run("delete", "-f", EXAMPLE, "--yes")).code).toBe(0);
      const sharedDb = EXAMPLE.replace("microblog.yaml", "microblog-shared-db.yaml");
      // Its database service wants one task, which moto (2 running) never reports stable: --no-wait.
      expect((await run("apply", "-f", sharedDb, "--yes", "--no-wait")).code).toBe(0);
      const shared = await run("status", "-f", sharedDb);
      expect(shared.code, shared.stderr).toBe(0);
      expect(shared.stdout).toMatch(/services\.db \(\S+\) in \S+: ACTIVE, 1 desired, 2 running/);
      expect(shared.stdout).toMatch(/services\.web \(\S+\) in \S+: ACTIVE, 2 desired, 2 running/);
      expect((await run("delete", "-f", sharedDb, "--yes")).code).toBe(0);

      for (const example of [EXAMPLE, sharedDb]) {
        const graph = reconcile(["graph", "-f", example]);
        expect(graph.code).toBe(0);
        expect(graph.stdout.split("\n")[0]).toBe("flowchart LR");
        expect(graph.stdout).toContain("services_web --> taskDefinitions_web");
        const dot = reconcile(["graph", "-f", example, "--format", "dot"]);
        expect(dot.stdout).toMatch(/^digraph /);
      }
    } finally {
      await proxy.close();
    }
  }, 120_000);
});
