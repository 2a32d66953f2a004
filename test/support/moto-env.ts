import { inject } from "vitest";

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
