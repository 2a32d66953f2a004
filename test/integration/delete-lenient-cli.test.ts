import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import { reconcile } from "../support/cli.js";
import { CREDENTIALS, specFile, uniqueStack } from "../support/engine.js";

// A stack whose task definition's image comes from the environment, as a deploy pipeline writes it.
const spec = (stack: string) => `
stack: ${stack}
region: us-east-1
network: { vpc: default, subnets: { availabilityZones: [us-east-1a] } }
roles:
  exec:
    trustedServices: [ecs-tasks.amazonaws.com]
    managedPolicies: [AmazonECSTaskExecutionRolePolicy]
logGroups:
  app:
    retentionDays: \${RETENTION}
taskDefinitions:
  web:
    cpu: 256
    memory: 512
    executionRole: exec
    containers:
      app:
        image: "\${IMAGE}"
        logging: { awslogs: { logGroup: app } }
`;

const run = (env: Record<string, string>, ...args: string[]) =>
  reconcile([...args, "--endpoint", inject("motoEndpoint")], { ...CREDENTIALS, ...env });

describe("delete on the command line needs only the stack, region and network", () => {
  it("tears down a stack whose spec has variables that are no longer set, and says what it ignored", () => {
    const stack = uniqueStack("lenient");
    const file = specFile(spec(stack));
    const vars = { IMAGE: "public.ecr.aws/nginx/nginx:1.27", RETENTION: "7" };
    const applied = run(vars, "apply", file, "--yes");
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Apply complete: 3 added/);

    // From here on the variables are not set at all.
    const env = { ...process.env };
    delete env.IMAGE;
    delete env.RETENTION;
    const without = (...args: string[]) => reconcile([...args, "--endpoint", inject("motoEndpoint")], { ...env, ...CREDENTIALS });

    // plan and apply still refuse the spec without them.
    const refused = without("plan", file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("error: logGroups.app.retentionDays: environment variable RETENTION is not set");

    const deleted = without("delete", file, "--yes");
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stderr).toMatch(
      /warning: logGroups\.app\.retentionDays: environment variable RETENTION is not set and has no default .* \(ignored by delete, which finds `logGroups\.app` by the stack's tags alone\) \[unset-variable\]/,
    );
    expect(deleted.stderr).toMatch(/warning: taskDefinitions\.web\.containers\.app\.image: environment variable IMAGE is not set/);
    // Left out of what it reads by name, the log group and the task definition are still found by the stack's tags.
    expect(deleted.stdout).toContain(`- logGroups.app (/reconcile/${stack}/app)`);
    expect(deleted.stdout).toMatch(/- taskDefinitions\.web/);
    expect(deleted.stdout).toMatch(/Delete complete: 3 destroyed/);

    const again = without("delete", file, "--yes");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Nothing to delete: stack ${stack} owns no resources in us-east-1.`);
  }, 120_000);

  it("still refuses a spec whose region it cannot read: it would not know where the stack is", () => {
    const file = specFile(
      `stack: ${uniqueStack("lenient")}\nregion: \${NO_SUCH_REGION_VAR}\nnetwork: { vpc: default, subnets: { availabilityZones: [us-east-1a] } }\n`,
    );
    const refused = run({}, "delete", file, "--yes");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error: region: environment variable NO_SUCH_REGION_VAR is not set/);
  });
});
