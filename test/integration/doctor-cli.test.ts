import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import { reconcile } from "../support/cli.js";

// The CLI runs as its own process against the moto server of the global setup, as the demo does.
const credentials = { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" };

describe("reconcile doctor against moto", () => {
  it("reports every service answering and finds the reference system's network", () => {
    const { code, stdout } = reconcile(["doctor", "-f", "examples/microblog.yaml", "--endpoint", inject("motoEndpoint")], credentials);
    expect(code).toBe(0);
    for (const call of [
      "sts GetCallerIdentity",
      "ec2 DescribeVpcs",
      "iam ListRoles",
      "logs DescribeLogGroups",
      "elasticloadbalancing DescribeLoadBalancers",
      "ecs ListClusters",
      "application-autoscaling DescribeScalableTargets",
      "monitoring DescribeAlarms",
      "servicediscovery ListNamespaces",
    ]) {
      expect(stdout).toMatch(new RegExp(`ok +${call} `));
    }
    expect(stdout).toMatch(/ok +vpc vpc-[0-9a-f]+ 172\.31\.0\.0\/16/);
    expect(stdout).toMatch(/ok +subnet subnet-[0-9a-f]+ in us-east-1a .*\n.*ok +subnet subnet-[0-9a-f]+ in us-east-1b/);
  });

  it("honours the SDK's own AWS_ENDPOINT_URL when --endpoint is not given", () => {
    const { code, stdout } = reconcile(["doctor", "--region", "us-east-1"], { ...credentials, AWS_ENDPOINT_URL: inject("motoEndpoint") });
    expect(code).toBe(0);
    expect(stdout).toContain("account 123456789012");
  });

  it("fails, naming the zone, when the spec's network is not there", () => {
    const dir = "test/fixtures";
    const { code, stdout } = reconcile(
      ["doctor", "-f", `${dir}/base.yaml`, "-f", `${dir}/missing-zone.yaml`, "--endpoint", inject("motoEndpoint")],
      credentials,
    );
    expect(code).toBe(1);
    expect(stdout).toMatch(/FAIL no default subnet of vpc-[0-9a-f]+ in availability zone us-east-1g/);
  });
});
