import { afterAll, beforeAll, inject } from "vitest";
import { startMoto } from "../../scripts/moto.mjs";
import { createClients, type AwsClients } from "../../src/aws/index.js";
import { MOTO_RUNNING_TASKS } from "./global-setup.js";

/** SDK client options for the moto server started by the global setup. */
export function motoClientConfig() {
  return {
    region: "us-east-1",
    endpoint: inject("motoEndpoint"),
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
}

/** Wipes every moto backend. Its state is global: reset between tests that must not see each other. */
export async function resetMoto(): Promise<void> {
  const res = await fetch(`${inject("motoEndpoint")}/moto-api/reset`, { method: "POST" });
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status} ${await res.text()}`);
}

/**
 * A moto server of the test file's own, started before its tests and stopped after them, and clients for it: for
 * tests that need an empty account or fixed names, which the suite's shared server cannot give.
 */
export function ownMoto(): { readonly endpoint: string; readonly aws: AwsClients } {
  let server: { endpoint: string; stop(): Promise<void> } | undefined;
  let clients: AwsClients | undefined;
  beforeAll(async () => {
    server = await startMoto({ ecsServiceRunning: MOTO_RUNNING_TASKS });
    clients = createClients({
      region: "us-east-1",
      endpoint: server.endpoint,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
  }, 60_000);
  afterAll(async () => {
    clients?.destroy();
    await server?.stop();
  });
  return {
    get endpoint() {
      return server!.endpoint;
    },
    get aws() {
      return clients!;
    },
  };
}
