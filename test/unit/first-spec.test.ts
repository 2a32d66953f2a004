import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatPath, loadSpec } from "../../src/schema/index.js";

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

describe("examples/first-spec.yaml, the README's first spec", () => {
  it("validates without an error or a warning", async () => {
    const result = await loadSpec([repo("examples/first-spec.yaml")]);
    expect(result.diagnostics.map((d) => `${d.severity} ${d.code} ${formatPath(d.path)}: ${d.message}`)).toEqual([]);
    expect(result.spec).toBeDefined();
    // what the README says it holds: a service behind the load balancer, one found through Cloud Map, auto scaling
    expect(result.spec!.services.web!.loadBalancers).toEqual([{ targetGroup: "web", container: "web", port: 80 }]);
    expect(result.spec!.services.api!.serviceDiscovery).toEqual({ service: "api" });
    expect(result.spec!.services.web!.autoScaling).toMatchObject({ minCapacity: 2, maxCapacity: 6 });
  });

  it("is the one the README shows, whole", () => {
    const readme = readFileSync(repo("README.md"), "utf8");
    const section = readme.slice(readme.indexOf("\n## Your first spec\n"));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBe(readFileSync(repo("examples/first-spec.yaml"), "utf8"));
  });
});
