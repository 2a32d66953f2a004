import { spawnSync } from "node:child_process";
import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import { reconcile, REPO_ROOT, TEST_CLI } from "../support/cli.js";
import { CREDENTIALS, specFile, uniqueStack } from "../support/engine.js";

// The CLI as a user runs it, in its own process, against the moto server of the global setup.
const small = (stack: string, retention: number) => `
stack: ${stack}
region: us-east-1
network: { vpc: default, subnets: { availabilityZones: [us-east-1a] } }
logGroups:
  app: { retentionDays: ${retention} }
roles:
  exec: { trustedServices: [ecs-tasks.amazonaws.com] }
`;

const run = (...args: string[]) => reconcile([...args, "--endpoint", inject("motoEndpoint")], CREDENTIALS);

// The confirmation question needs a terminal: util-linux `script` gives the CLI a pseudo-terminal and types `answer`.
const hasScript = spawnSync("script", ["--version"]).status === 0;
function onTerminal(answer: string, ...args: string[]) {
  const command = [process.execPath, `${TEST_CLI}/main.js`, ...args, "--endpoint", inject("motoEndpoint")].join(" ");
  const result = spawnSync("script", ["-qec", command, "/dev/null"], {
    cwd: REPO_ROOT,
    input: `${answer}\n`,
    encoding: "utf8",
    env: { ...process.env, ...CREDENTIALS, NO_COLOR: "1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  return { code: result.status, stdout: result.stdout };
}

describe("plan, apply and delete on the command line", () => {
  it("asks for --yes off a terminal, applies, converges, shows a change with exit code 2, and deletes idempotently", () => {
    const stack = uniqueStack("cli");
    const file = specFile(small(stack, 7));

    const refused = run("apply", "-f", file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("needs confirmation: run it in a terminal to be asked, or pass --yes. Nothing was changed.");
    expect(run("plan", "-f", file, "--detailed-exitcode").code).toBe(2);

    const applied = run("apply", "-f", file, "--yes", "--stats");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain(`+ logGroups.app (/reconcile/${stack}/app) will be created`);
    expect(applied.stdout).toMatch(/\+ roles\.exec \(.*\): created in/);
    expect(applied.stdout).toMatch(/Apply complete: 2 added, 0 changed, 0 replaced, 0 destroyed/);
    expect(applied.stdout).toMatch(/iam +CreateRole +1 +1/);

    const converged = run("plan", "-f", file, "--detailed-exitcode");
    expect(converged.code).toBe(0);
    expect(converged.stdout).toContain("No changes.");

    const changed = specFile(small(stack, 14));
    const drift = run("plan", "-f", changed, "--detailed-exitcode", "--json");
    expect(drift.code).toBe(2);
    const json = JSON.parse(drift.stdout);
    expect(json).toMatchObject({ formatVersion: 1, stack, mode: "apply", changes: true, summary: { change: 1 } });
    expect(json.resources.find((r: { address: string }) => r.address === "logGroups.app").diffs).toEqual([
      { path: "retentionDays", before: 7, after: 14 },
    ]);
    expect(json.stats.writes).toBe(0);

    const deleted = run("delete", "-f", file, "--yes");
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toMatch(/Delete complete: 2 destroyed/);
    const again = run("delete", "-f", file, "--yes");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Nothing to delete: stack ${stack} owns no resources in us-east-1.`);
  }, 90_000);

  it.skipIf(!hasScript)("on a terminal, asks first and goes ahead only on yes", () => {
    const stack = uniqueStack("tty");
    const file = specFile(small(stack, 7));
    const declined = onTerminal("no", "apply", "-f", file);
    expect(declined.stdout).toContain(`Apply these changes to stack ${stack} in us-east-1? Only "yes" goes ahead:`);
    expect(declined.stdout).toContain("Apply cancelled. Nothing was changed.");
    expect(declined.code).toBe(1);
    expect(run("plan", "-f", file, "--detailed-exitcode").code).toBe(2);

    const accepted = onTerminal("yes", "apply", "-f", file);
    expect(accepted.stdout).toMatch(/Apply complete: 2 added/);
    expect(accepted.code).toBe(0);
    expect(run("delete", "-f", file, "--yes").code).toBe(0);
  });

  it("prints a load balancer's DNS name after apply, and puts it in the JSON results", () => {
    const stack = uniqueStack("dns");
    const file = specFile(`
stack: ${stack}
region: us-east-1
network: { vpc: default, subnets: { availabilityZones: [us-east-1a, us-east-1b] } }
securityGroups:
  alb: { ingress: [{ port: 80, cidr: 0.0.0.0/0 }] }
targetGroups:
  web: { port: 8080 }
loadBalancers:
  web:
    securityGroups: [alb]
    listeners:
      http: { protocol: HTTP, port: 80, defaultAction: { forward: web } }
`);
    const applied = run("apply", "-f", file, "--yes");
    expect(applied.code).toBe(0);
    const dnsName = applied.stdout.match(
      new RegExp(`\\n  loadBalancers\\.web\\.dnsName = (${stack}-web-\\S+\\.elb\\.amazonaws\\.com)\\n`),
    )?.[1];
    expect(applied.stdout).toContain("Outputs:");
    expect(dnsName).toBeDefined();

    const again = JSON.parse(run("apply", "-f", file, "--yes", "--json").stdout);
    expect(again.results.find((r: { address: string }) => r.address === "loadBalancers.web")).toMatchObject({
      action: "noop",
      outcome: "done",
      outputs: { dnsName },
    });
    expect(run("delete", "-f", file, "--yes").code).toBe(0);
  });

  it("fails with a clear message and changes nothing when the spec's network is not there", () => {
    const file = specFile(small(uniqueStack("cli"), 7).replace("[us-east-1a]", "[us-east-1g]"));
    const result = run("apply", "-f", file, "--yes");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /cannot plan stack .*: observe network: no default subnet of vpc-\w+ in availability zone us-east-1g\nNothing was changed/,
    );
  });
});
