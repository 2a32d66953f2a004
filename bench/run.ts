/**
 * `npm run bench`: apply from empty, no-op plan and delete of examples/microblog.yaml and of generated specs of 1, 10
 * and 50 services, against a moto server of its own behind the test suite's fault proxy (a latency per call); the
 * critical path of each apply, the CLI's cold start and the peak memory of the 50-service plan. Prints the tables
 * and writes them to bench/results.md. Exits 1 when a run failed (a missed target only shows in the table).
 *
 * The runs use the library in-process, as `reconcile apply --yes` / `plan` / `delete --yes` do (planStack, then
 * applyPlan waiting for ECS services), without the stack's lease: its DynamoDB calls (and the lock table created on
 * an empty account) are the same few for every stack size. Cold start and memory run the built CLI (dist/).
 */
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from "@aws-sdk/client-application-auto-scaling";
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeSubnetsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { ECSClient, ListClustersCommand } from "@aws-sdk/client-ecs";
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetPolicyCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { ListNamespacesCommand, ServiceDiscoveryClient } from "@aws-sdk/client-servicediscovery";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureVenv, startMoto, type MotoServer } from "../scripts/moto.mjs";
import { applyPlan, openStack, planStack, type EnginePlan } from "../src/engine/index.js";
import { hasChanges, type CallStatsSnapshot, type ResourceResult } from "../src/plan/model.js";
import { loadSpec, type Spec } from "../src/schema/index.js";
import { sequentialRoundTrips, startFaultProxy, type FaultProxy } from "../test/support/fault-proxy.js";
import { generateSpec } from "./generate-spec.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values: flags } = parseArgs({ options: { "latency-ms": { type: "string", default: "50" } } });
/** Other work on the machine skews the cold start most: the 1-minute load average is printed beside the figures. */
const loadAtStart = loadavg()[0]!;
const latencyMs = Number(flags["latency-ms"]);
if (!Number.isInteger(latencyMs) || latencyMs < 0)
  throw new Error(`--latency-ms wants a whole number of milliseconds, not ${flags["latency-ms"]}`);

/** Every service of the specs wants this many tasks, and moto reports this running count for every service. */
const RUNNING_TASKS = 2;
const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };
/** As the CLI's default `--wait-timeout`. */
const WAIT = { timeoutMs: 600_000 };

type Phase = "apply" | "plan" | "delete";
const PHASES: readonly Phase[] = ["apply", "plan", "delete"];

interface Measured {
  wallMs: number;
  stats: CallStatsSnapshot;
  roundTrips: number;
}

interface CriticalPath {
  planMs: number;
  chainMs: number;
  chain: string[];
  /** Plan and changes, without the client's setup. */
  wallMs: number;
}

interface SpecRun {
  name: string;
  file: string;
  services?: number;
  resources?: number;
  phases: Partial<Record<Phase, Measured>>;
  critical?: CriticalPath;
  error?: string;
}

const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout.trim();
};

/**
 * Empties moto, then reads once from each service the specs use, straight to moto and unmeasured: moto builds a
 * backend's defaults on its first call after a reset (IAM loads its ~1,000 AWS managed policies, EC2 makes the
 * default VPC), seconds that AWS never takes and that would fall into the first plan.
 */
async function resetMoto(moto: MotoServer): Promise<void> {
  const res = await fetch(`${moto.endpoint}/moto-api/reset`, { method: "POST" });
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status} ${await res.text()}`);
  const config = { region: "us-east-1", endpoint: moto.endpoint, credentials: CREDENTIALS };
  const policy = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
  const c = {
    iam: new IAMClient(config),
    ec2: new EC2Client(config),
    ecs: new ECSClient(config),
    elb: new ElasticLoadBalancingV2Client(config),
    cloudMap: new ServiceDiscoveryClient(config),
    autoScaling: new ApplicationAutoScalingClient(config),
    logs: new CloudWatchLogsClient(config),
    cloudWatch: new CloudWatchClient(config),
    tagging: new ResourceGroupsTaggingAPIClient(config),
  };
  try {
    await Promise.all([
      c.iam.send(new GetPolicyCommand({ PolicyArn: policy })),
      c.ec2.send(new DescribeSubnetsCommand({})),
      c.ecs.send(new ListClustersCommand({})),
      c.elb.send(new DescribeLoadBalancersCommand({})),
      c.cloudMap.send(new ListNamespacesCommand({})),
      c.autoScaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: "ecs" })),
      c.logs.send(new DescribeLogGroupsCommand({})),
      c.cloudWatch.send(new DescribeAlarmsCommand({})),
      c.tagging.send(new GetResourcesCommand({})),
    ]);
  } finally {
    for (const client of Object.values(c)) client.destroy();
  }
}

async function specOf(file: string): Promise<Spec> {
  const result = await loadSpec([file]);
  if (!result.spec)
    throw new Error(`${file} is not valid:\n${result.diagnostics.map((d) => `${d.path.join(".")}: ${d.message}`).join("\n")}`);
  return result.spec;
}

function failedResults(what: string, results: readonly ResourceResult[]): void {
  const bad = results.filter((r) => r.outcome !== "done");
  if (bad.length > 0) throw new Error(`${what}: ${bad.map((r) => `${r.address} ${r.outcome}${r.error ? `: ${r.error}` : ""}`).join("; ")}`);
}

/** The longest chain of jobs through `after`, each weighted by its resource's own elapsed time in the run. */
function longestChain(planned: EnginePlan, results: readonly ResourceResult[]): { ms: number; chain: string[] } {
  const elapsed = new Map(results.map((r) => [r.address, r.elapsedMs]));
  const byJob = new Map(planned.entries.map((e) => [e.job, e]));
  const memo = new Map<string, { ms: number; chain: string[] }>();
  const finish = (job: string): { ms: number; chain: string[] } => {
    const known = memo.get(job);
    if (known) return known;
    const entry = byJob.get(job);
    if (!entry) throw new Error(`plan job ${job} is named in a dependsOn but is not planned`);
    let before = { ms: 0, chain: [] as string[] };
    for (const dep of entry.after) {
      const f = finish(dep);
      if (f.ms > before.ms) before = f;
    }
    const own = elapsed.get(entry.change.address) ?? 0;
    const result = { ms: before.ms + own, chain: [...before.chain, `${entry.change.address} ${Math.round(own)} ms`] };
    memo.set(job, result);
    return result;
  };
  let longest = { ms: 0, chain: [] as string[] };
  for (const e of planned.entries) {
    const f = finish(e.job);
    if (f.ms > longest.ms) longest = f;
  }
  return longest;
}

async function runSpec(run: SpecRun, moto: MotoServer, proxy: FaultProxy, beforeDelete: (run: SpecRun) => Promise<void>): Promise<void> {
  await resetMoto(moto);
  const spec = await specOf(run.file);
  const connection = { endpoint: proxy.endpoint, credentials: CREDENTIALS };
  const measure = async (phase: Phase, work: (s: ReturnType<typeof openStack>) => Promise<void>) => {
    const session = openStack(spec, connection);
    proxy.reset();
    const started = performance.now();
    try {
      await work(session);
    } finally {
      session.close();
    }
    run.phases[phase] = {
      wallMs: performance.now() - started,
      stats: session.stats.snapshot(),
      roundTrips: sequentialRoundTrips(proxy.seen),
    };
  };

  await measure("apply", async ({ ctx }) => {
    const t0 = performance.now();
    const planned = await planStack(spec, ctx, "apply");
    const t1 = performance.now();
    const results = await applyPlan(planned, { ...ctx, wait: WAIT });
    const t2 = performance.now();
    failedResults(`${run.name}: apply from empty`, results);
    run.resources = planned.plan.resources.length;
    const chain = longestChain(planned, results);
    run.critical = { planMs: t1 - t0, chainMs: chain.ms, chain: chain.chain, wallMs: t2 - t0 };
  });
  await measure("plan", async ({ ctx }) => {
    const { plan } = await planStack(spec, ctx, "apply");
    if (hasChanges(plan))
      throw new Error(
        `${run.name}: the plan after apply is not a no-op: ${plan.resources
          .filter((r) => r.action !== "noop" && r.action !== "read")
          .map((r) => `${r.address} ${r.action}`)
          .join(", ")}`,
      );
  });
  await beforeDelete(run);
  await measure("delete", async ({ ctx }) => {
    const planned = await planStack(spec, ctx, "delete");
    failedResults(`${run.name}: delete`, await applyPlan(planned, { ...ctx, wait: WAIT }));
  });
  // Unmeasured, straight to moto: nothing of the stack is left.
  const check = openStack(spec, { endpoint: moto.endpoint, credentials: CREDENTIALS });
  try {
    const { plan } = await planStack(spec, check.ctx, "delete");
    const left = plan.resources.filter((r) => r.action === "delete").map((r) => r.address);
    if (left.length > 0) throw new Error(`${run.name}: after delete, the stack still owns ${left.join(", ")}`);
  } finally {
    check.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface ColdStart {
  label: string;
  medianMs: number;
  ratio: number;
}

/** Median of 5 of each command, the commands taken in turn so that a slow moment of the machine falls on all of them. */
function coldStart(): ColdStart[] {
  const cli = join(root, "dist/cli/main.js");
  const commands = [
    { label: "node -e 0", args: ["-e", "0"] },
    { label: "reconcile --version", args: [cli, "--version"] },
    { label: "reconcile validate -f examples/microblog.yaml", args: [cli, "validate", "-f", join(root, "examples/microblog.yaml")] },
  ];
  const times = commands.map(() => [] as number[]);
  for (let round = 0; round < 5; round++)
    commands.forEach((c, i) => {
      const started = performance.now();
      const r = spawnSync(process.execPath, c.args, { cwd: root, encoding: "utf8" });
      times[i]!.push(performance.now() - started);
      if (r.status !== 0) throw new Error(`${c.label} exited with ${r.status}: ${r.stderr || r.stdout}`);
    });
  const bare = median(times[0]!);
  return commands.map((c, i) => ({ label: c.label, medianMs: median(times[i]!), ratio: median(times[i]!) / bare }));
}

/**
 * `reconcile plan` of the stack as it is, in a child whose peak RSS is read on its exit (bench/max-rss.mjs). Spawned
 * asynchronously: the fault proxy it calls through runs in this process.
 */
async function planMaxRss(file: string, endpoint: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "bench-rss-"));
  const out = join(dir, "max-rss");
  const args = ["--import", new URL("./max-rss.mjs", import.meta.url).href, join(root, "dist/cli/main.js"), "plan", "-f", file];
  const child = spawn(process.execPath, [...args, "--endpoint", endpoint, "--detailed-exitcode"], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_EC2_METADATA_DISABLED: "true",
      BENCH_MAX_RSS_FILE: out,
    },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
  const [status] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  try {
    if (status !== 0)
      throw new Error(
        `reconcile plan -f ${file} (memory) exited with ${status ?? "a signal (killed after 3 minutes?)"} (0: no changes): ${stderr}`,
      );
    return Number(readFileSync(out, "utf8")) / 1024;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- rendering

const s = (ms: number) => (ms / 1000).toFixed(2);
const table = (head: string[], rows: Array<Array<string | number>>) =>
  [
    `| ${head.join(" | ")} |`,
    `| ${head.map((h, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");

/** The figure of each target in bench/results-before.md's Targets table, when that file exists. */
function beforeFigures(): Map<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(join(root, "bench/results-before.md"), "utf8");
  } catch {
    return undefined;
  }
  const section = text.split("## Targets")[1]?.split("\n## ")[0] ?? "";
  const figures = new Map<string, string>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    // | target | figure | result |, or with a before column: | target | before | figure | result |
    if (cells.length >= 5 && cells[1] && !/^(target|---)$/.test(cells[1])) figures.set(cells[1], cells[cells.length - 3]!);
  }
  return figures;
}

function render(runs: SpecRun[], cold: ColdStart[] | undefined, rssMb: number | undefined, failures: string[]): string {
  let commit: string;
  try {
    commit = sh("git", ["rev-parse", "--short", "HEAD"]) + (sh("git", ["status", "--porcelain"]) ? " + uncommitted changes" : "");
  } catch {
    // An exported tree (git archive) has no repository: BENCH_COMMIT names what it is.
    commit = process.env.BENCH_COMMIT ?? "unknown (not a git checkout)";
  }
  const cpu = cpus();
  const out: string[] = [
    "# Bench results",
    "",
    `${new Date().toISOString()} · ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores · Node ${process.version} · commit ${commit} · ` +
      `load average ${loadAtStart.toFixed(1)} at the start · ${latencyMs} ms added to each AWS call (fault proxy in front of moto)`,
    "",
    "Runs in-process through the library (`planStack`, then `applyPlan` waiting for ECS services, as `reconcile apply --yes` " +
      "and `delete --yes`; `planStack` alone as `reconcile plan`), without the stack's lease (a few DynamoDB calls, the same " +
      "for every stack). Each spec runs alone on an empty moto account, after an unmeasured first read of each service " +
      "(moto builds IAM's managed policies and the default VPC on it). Sequential round trips: the longest chain of calls " +
      "each starting after the previous one was answered. Cold start and memory run the built CLI (`node dist/cli/main.js`).",
    "",
    "## Runs",
    "",
  ];
  const rows: Array<Array<string | number>> = [];
  for (const run of runs)
    for (const phase of PHASES) {
      const m = run.phases[phase];
      if (!m) continue;
      const perService = run.services ? (m.stats.calls / run.services).toFixed(1) : "";
      rows.push([
        run.name,
        { apply: "apply from empty", plan: "no-op plan", delete: "delete" }[phase],
        s(m.wallMs),
        m.stats.calls,
        perService,
        m.stats.writes,
        m.roundTrips,
      ]);
    }
  out.push(table(["spec", "run", "wall s", "AWS calls", "calls / service", "writes", "sequential round trips"], rows), "");

  out.push("## Critical path of the apply from empty", "");
  out.push(
    "The plan's own duration plus the longest chain of the resource graph (each planned job's `after`), each resource weighted by " +
      "its own `elapsedMs` in the run; against the wall time of plan and changes.",
    "",
  );
  out.push(
    table(
      ["spec", "plan s", "longest chain s", "critical path s", "apply wall s", "wall / critical path"],
      runs
        .filter((r) => r.critical)
        .map((r) => {
          const c = r.critical!;
          return [r.name, s(c.planMs), s(c.chainMs), s(c.planMs + c.chainMs), s(c.wallMs), (c.wallMs / (c.planMs + c.chainMs)).toFixed(2)];
        }),
    ),
    "",
  );
  for (const r of runs.filter((r) => r.critical)) out.push(`- ${r.name}: ${r.critical!.chain.join(" → ")}`);
  out.push("");

  if (cold) {
    out.push("## Cold start (median of 5)", "");
    out.push(
      table(
        ["command", "ms", "× node -e 0"],
        cold.map((c) => [`\`${c.label}\``, c.medianMs.toFixed(0), c.ratio.toFixed(2)]),
      ),
      "",
    );
  }
  if (rssMb !== undefined)
    out.push("## Peak memory", "", `\`reconcile plan\` of the 50-service stack, no changes: max RSS ${rssMb.toFixed(0)} MB.`, "");

  const byName = (name: string) => runs.find((r) => r.name === name);
  const m = (name: string, phase: Phase) => byName(name)?.phases[phase];
  const targets: Array<[string, string | undefined, boolean]> = [];
  const version = cold?.find((c) => c.label === "reconcile --version");
  const validate = cold?.find((c) => c.label.startsWith("reconcile validate"));
  targets.push(["`reconcile --version` ≤ 2× `node -e 0`", version && `${version.ratio.toFixed(2)}×`, !!version && version.ratio <= 2]);
  targets.push([
    "`validate -f examples/microblog.yaml` < 300 ms",
    validate && `${validate.medianMs.toFixed(0)} ms`,
    !!validate && validate.medianMs < 300,
  ]);
  const mbPlan = m("microblog", "plan");
  targets.push(["no-op plan of microblog ≤ 20 calls", mbPlan && `${mbPlan.stats.calls}`, !!mbPlan && mbPlan.stats.calls <= 20]);
  targets.push(["no-op plan of microblog: 0 writes", mbPlan && `${mbPlan.stats.writes}`, !!mbPlan && mbPlan.stats.writes === 0]);
  const p50 = m("50 services", "plan");
  targets.push(["no-op plan of 50 services ≤ 200 calls", p50 && `${p50.stats.calls}`, !!p50 && p50.stats.calls <= 200]);
  targets.push(["no-op plan of 50 services ≤ 8 sequential round trips", p50 && `${p50.roundTrips}`, !!p50 && p50.roundTrips <= 8]);
  const mb = byName("microblog")?.critical;
  const ratio = mb && mb.wallMs / (mb.planMs + mb.chainMs);
  targets.push([
    `apply from empty of microblog ≤ 1.3× critical path (${latencyMs} ms per call)`,
    ratio?.toFixed(2),
    ratio !== undefined && ratio <= 1.3,
  ]);
  const d50 = m("50 services", "delete");
  targets.push([
    "delete of 50 services ≤ 15 calls per service",
    d50 && `${(d50.stats.calls / 50).toFixed(1)}`,
    !!d50 && d50.stats.calls / 50 <= 15,
  ]);
  const before = beforeFigures();
  out.push("## Targets", "");
  if (before) out.push("Before: the figures of bench/results-before.md (the commit before issue 16's work).", "");
  out.push(
    table(
      ["target", ...(before ? ["before"] : []), "figure", "result"],
      targets.map(([t, fig, ok]) => [
        t,
        ...(before ? [before.get(t) ?? "–"] : []),
        fig ?? "not measured",
        fig === undefined ? "—" : ok ? "pass" : "FAIL",
      ]),
    ),
    "",
  );

  out.push("## AWS calls by service and action", "");
  out.push("Each cell: apply from empty / no-op plan / delete; (w) marks a write.", "");
  const actions = new Map<string, boolean>();
  for (const run of runs)
    for (const p of PHASES) for (const a of run.phases[p]?.stats.byAction ?? []) actions.set(`${a.service} ${a.action}`, a.write);
  const count = (run: SpecRun, p: Phase, key: string) =>
    run.phases[p] ? (run.phases[p]!.stats.byAction.find((a) => `${a.service} ${a.action}` === key)?.calls ?? 0) : "–";
  out.push(
    table(
      ["service action", ...runs.map((r) => r.name)],
      [...actions.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, write]) => [`${key}${write ? " (w)" : ""}`, ...runs.map((r) => PHASES.map((p) => count(r, p, key)).join(" / "))]),
    ),
    "",
  );
  if (failures.length > 0) out.push("## Failures", "", ...failures.map((f) => `- ${f.replaceAll("\n", " ")}`), "");
  return out.join("\n");
}

// ---- main

async function main(): Promise<number> {
  // The SDK's notice that its releases from 2027 want Node 22, once per process: noise in the bench's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const benchStarted = performance.now();
  process.stderr.write("building dist/ (npm run build)\n");
  const failures: string[] = [];
  try {
    sh("npm", ["run", "build", "--silent"]);
  } catch (error) {
    // tsc still writes dist/ despite type errors: measured, but the run fails.
    failures.push(`build: ${(error as Error).message}`);
  }
  await ensureVenv({ quiet: true });

  const specDir = mkdtempSync(join(tmpdir(), "bench-specs-"));
  const runs: SpecRun[] = [{ name: "microblog", file: join(root, "examples/microblog.yaml"), phases: {} }];
  for (const n of [1, 10, 50]) {
    const file = join(specDir, `bench${n}.yaml`);
    writeFileSync(file, generateSpec(n));
    runs.push({ name: `${n} service${n === 1 ? "" : "s"}`, file, services: n, phases: {} });
  }

  let cold: ColdStart[] | undefined;
  let rssMb: number | undefined;
  try {
    process.stderr.write("cold start\n");
    cold = coldStart();
  } catch (error) {
    failures.push(`cold start: ${(error as Error).message}`);
  }

  const moto = await startMoto({ ecsServiceRunning: RUNNING_TASKS });
  const proxy = await startFaultProxy(moto.endpoint, { latencyMs });
  try {
    for (const run of runs) {
      process.stderr.write(`${run.name}\n`);
      const started = performance.now();
      try {
        await runSpec(run, moto, proxy, async (r) => {
          if (r.services !== 50) return;
          try {
            rssMb = await planMaxRss(r.file, proxy.endpoint);
          } catch (error) {
            failures.push(`peak memory: ${(error as Error).message}`);
          }
        });
      } catch (error) {
        run.error = (error as Error).message;
        failures.push(`${run.name}: ${(error as Error).stack ?? run.error}`);
      }
      process.stderr.write(`  ${s(performance.now() - started)} s${run.error ? ` FAILED: ${run.error}` : ""}\n`);
    }
  } finally {
    await proxy.close();
    await moto.stop();
    rmSync(specDir, { recursive: true, force: true });
  }

  const text = render(runs, cold, rssMb, failures);
  writeFileSync(join(root, "bench/results.md"), text);
  process.stdout.write(`${text}\nbench: ${s(performance.now() - benchStarted)} s; written to bench/results.md\n`);
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main();
