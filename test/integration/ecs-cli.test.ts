import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import { reconcile } from "../support/cli.js";
import { CREDENTIALS, specFile, uniqueStack } from "../support/engine.js";
import { MOTO_RUNNING_TASKS } from "../support/global-setup.js";
import { ecsStackYaml } from "../support/specs.js";

/**
 * Waiting for services on the command line. moto runs no containers: it reports MOTO_RUNNING_TASKS (2)
 * running tasks for every new service, so a service created with 3 wanted stays "deployment IN_PROGRESS,
 * 2/3 running" for as long as one waits: the way to see a wait run out without a real cluster.
 */

const run = (...args: string[]) => reconcile([...args, "--endpoint", inject("motoEndpoint")], CREDENTIALS);

describe("apply waits for the services it changed", () => {
  it("reports the deployment as it waits, and fails the service, with what it saw, when --wait-timeout runs out", () => {
    const stack = uniqueStack("wait");
    const file = specFile(ecsStackYaml(stack, { desiredCount: MOTO_RUNNING_TASKS + 1 }));
    try {
      const applied = run("apply", "-f", file, "--yes", "--wait-timeout", "2s");
      expect(applied.code).toBe(1);
      expect(applied.stdout).toContain(`… ${stack}-web: deployment IN_PROGRESS, 2/3 running, 1 pending`);
      expect(applied.stdout).toMatch(
        new RegExp(
          `✗ services\\.web \\(${stack}-web\\): failed after .*: service ${stack}-web was not stable after 2 s: deployment IN_PROGRESS, 2/3 running`,
        ),
      );
      expect(applied.stdout).toContain("Apply failed: 1 failed, 4 done");
    } finally {
      expect(run("delete", "-f", file, "--yes").code).toBe(0);
    }
  });

  it("--no-wait creates the same service and returns at once, without a word about its deployment", () => {
    const stack = uniqueStack("nowait");
    const file = specFile(ecsStackYaml(stack, { desiredCount: MOTO_RUNNING_TASKS + 1 }));
    try {
      const applied = run("apply", "-f", file, "--yes", "--no-wait");
      expect(applied.code).toBe(0);
      expect(applied.stdout).not.toContain("…");
      expect(applied.stdout).toContain(`+ services.web (${stack}-web): created in`);
      expect(run("plan", "-f", file, "--detailed-exitcode").code).toBe(0);
    } finally {
      const deleted = run("delete", "-f", file, "--yes");
      expect(deleted.code).toBe(0);
      expect(deleted.stdout).toContain("Delete complete: 5 destroyed");
    }
  });
});
