import { DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { formatAwsError } from "../../src/aws/errors.js";
import { reconcile } from "../support/cli.js";
import { CREDENTIALS, specFile, uniqueStack } from "../support/engine.js";

// moto speaks plain HTTP; an endpoint written https:// makes the SDK start a TLS handshake with it, and OpenSSL reads
// moto's "HTTP/1.1 400" as a TLS record: EPROTO, "wrong version number".
const httpsMoto = () => inject("motoEndpoint").replace(/^http:/, "https:");
const HINT =
  "TLS handshake failed (wrong version number): the endpoint answers plain HTTP, not TLS: write it with http:// (--endpoint or AWS_ENDPOINT_URL)";

describe("an https:// endpoint that answers plain HTTP", () => {
  it("fails at once with a hint, wherever the error is described", async () => {
    const clients = createClients({
      region: "us-east-1",
      endpoint: httpsMoto(),
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    try {
      const error = await clients.ec2.send(new DescribeVpcsCommand({})).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: "EPROTO" });
      expect(formatAwsError(error)).toBe(`ec2 DescribeVpcs: EPROTO: ${HINT} (not retryable)`);
      expect((error as Error).message).toBe(HINT);
    } finally {
      clients.destroy();
    }
  });

  it.each([
    ["plan", []],
    ["apply", ["--yes"]],
  ])("reconcile %s says so", (command, extra) => {
    const file = specFile(
      `stack: ${uniqueStack("tls")}\nregion: us-east-1\nnetwork: { vpc: default, subnets: { availabilityZones: [us-east-1a] } }\n`,
    );
    const run = reconcile([command, file, ...extra, "--endpoint", httpsMoto()], CREDENTIALS);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(HINT);
  });
});
