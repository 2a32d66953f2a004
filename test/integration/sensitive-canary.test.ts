import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { inject } from "vitest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReconcile } from "../support/cli.js";
import { CREDENTIALS, specFile, uniqueStack } from "../support/engine.js";

/**
 * A canary fed through every command and output: a task definition whose DB_PASSWORD (a name the validator flags as
 * secret) and SESSION_KEY_MATERIAL (a value marked `sensitive: true`) are canaries, taken through validate, plan,
 * apply, a changed value, a failing apply, one tick of the loop and delete, text and JSON. No canary may appear in
 * any stdout or stderr. Every canary of the file starts with BASE, so a search for BASE finds any of them, whole or cut.
 */

const BASE = `cnry${Math.random().toString(36).slice(2, 10)}`;
const canary = (n: number) => `${BASE}-pw-${n}`;
const markedCanary = (n: number) => `${BASE}-marked-${n}`;

function specYaml(stack: string, n: number, dbHost = "db.internal"): string {
  return `
stack: ${stack}
region: us-east-1
network: { vpc: default, subnets: { availabilityZones: [us-east-1a, us-east-1b] } }
taskDefinitions:
  web:
    cpu: 256
    memory: 512
    containers:
      app:
        image: public.ecr.aws/nginx/nginx:1.27
        environment:
          DB_HOST: ${dbHost}
          DB_PASSWORD: ${canary(n)}
          SESSION_MATERIAL: { value: ${markedCanary(n)}, sensitive: true }
`;
}

/**
 * In front of moto, answers RegisterTaskDefinition as AWS's validation may: a ClientException whose message quotes
 * what was sent (moto never refuses a definition, and never quotes one). Everything else goes to moto unchanged.
 */
async function startEchoingRefusal(target: string): Promise<{ endpoint: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (String(req.headers["x-amz-target"] ?? "").endsWith(".RegisterTaskDefinition")) {
        const sent = JSON.parse(body.toString("utf8")) as { containerDefinitions: Array<{ environment?: unknown }> };
        const message = `Invalid container definition: environment ${JSON.stringify(sent.containerDefinitions[0]?.environment)} is not valid`;
        res.writeHead(400, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": "ClientException" });
        return void res.end(JSON.stringify({ __type: "ClientException", message }));
      }
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on("error", () => req.socket.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: 511 }, resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("sensitive values are never printed", () => {
  let refusing: { endpoint: string; server: Server };
  beforeAll(async () => (refusing = await startEchoingRefusal(inject("motoEndpoint"))));
  afterAll(() => new Promise<void>((resolve) => refusing.server.close(() => resolve())));

  it("by any command, in text or JSON, through a change, a failure echoing the request, the loop and delete", async () => {
    const stack = uniqueStack("canary");
    const file = specFile(specYaml(stack, 1));
    const outputs: Array<{ command: string; stdout: string; stderr: string }> = [];
    // Not spawnSync: the refusing proxy answers from this process, whose event loop must keep running.
    const cli = async (args: string[]) => {
      const ran = await startReconcile([...args, "-f", file], CREDENTIALS).exited;
      outputs.push({ command: args.join(" "), stdout: ran.stdout, stderr: ran.stderr });
      return ran;
    };
    const run = (args: string[], endpoint = inject("motoEndpoint")) => cli([...args, "--endpoint", endpoint]);

    try {
      const validated = await cli(["validate"]);
      expect(validated.code).toBe(0);
      expect(validated.stdout + validated.stderr).toMatch(/DB_PASSWORD looks secret/);
      expect((await cli(["validate", "--json"])).code).toBe(0);

      expect((await run(["plan"])).stdout).toContain("taskDefinitions.web");
      expect((await run(["plan", "--json"])).code).toBe(0);
      expect((await run(["apply", "--yes"])).code).toBe(0);

      // Changed values: the plan says they change, and shows the ordinary one that changes beside them.
      writeFileSync(file, specYaml(stack, 2, "db2.internal"));
      const changed = await run(["plan"]);
      expect(changed.stdout).toContain("~ containers.app.environment.DB_PASSWORD: (sensitive) -> (sensitive)");
      expect(changed.stdout).toContain("~ containers.app.environment.SESSION_MATERIAL: (sensitive) -> (sensitive)");
      expect(changed.stdout).toContain('~ containers.app.environment.DB_HOST: "db.internal" -> "db2.internal"');
      const changedJson = JSON.parse((await run(["plan", "--json"])).stdout) as { resources: Array<{ address: string; diffs: object[] }> };
      const diffs = changedJson.resources.find((r) => r.address === "taskDefinitions.web")!.diffs;
      expect(diffs).toContainEqual({ path: "containers.app.environment.DB_PASSWORD", sensitive: true, change: "changed" });
      expect(diffs).toContainEqual({ path: "containers.app.environment.SESSION_MATERIAL", sensitive: true, change: "changed" });
      const appliedJson = await run(["apply", "--yes", "--json", "--stats"]);
      expect(appliedJson.code).toBe(0);
      expect(JSON.parse(appliedJson.stdout).stats.byAction).toContainEqual(expect.objectContaining({ action: "RegisterTaskDefinition" }));

      // AWS refuses the next revision and quotes the request: the message keeps its words, not the values.
      writeFileSync(file, specYaml(stack, 3));
      const failed = await run(["apply", "--yes"], refusing.endpoint);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/ClientException.*"name":"DB_PASSWORD","value":"\(sensitive\)"/);
      expect(failed.stdout).toContain('"name":"DB_HOST","value":"db.internal"');
      const failedJson = await run(["apply", "--yes", "--json"], refusing.endpoint);
      expect(failedJson.code).toBe(1);
      expect(JSON.parse(failedJson.stdout).results).toContainEqual(
        expect.objectContaining({ address: "taskDefinitions.web", outcome: "failed" }),
      );
      const failedTick = await run(["run", "--once", "--log-format", "json", "--no-wait"], refusing.endpoint);
      expect(failedTick.code).toBe(1);
      expect(failedTick.stdout).toMatch(/"event":"failure".*\(sensitive\)/);

      // One tick of the loop that succeeds, then delete.
      expect((await run(["run", "--once", "--log-format", "json", "--no-wait"])).code).toBe(0);
      expect((await run(["plan", "--detailed-exitcode"])).code).toBe(0);
    } finally {
      expect((await run(["delete", "--yes", "--json"])).code).toBe(0);
      const hits = outputs.flatMap(({ command, stdout, stderr }) =>
        Object.entries({ stdout, stderr }).flatMap(([stream, text]) => (text.includes(BASE) ? [`${command} (${stream})`] : [])),
      );
      expect(hits).toEqual([]);
    }
    expect(outputs).toHaveLength(14);
  }, 180_000);
});
