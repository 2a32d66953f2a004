import type { TestProject } from "vitest/node";
import { startMoto } from "../../scripts/moto.mjs";

/** One moto server for the whole test run; tests reach it through inject("motoEndpoint"). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMoto();
  project.provide("motoEndpoint", moto.endpoint);
  return () => moto.stop();
}
