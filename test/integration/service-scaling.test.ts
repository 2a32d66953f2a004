import {
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  RegisterScalableTargetCommand,
} from "@aws-sdk/client-application-auto-scaling";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { CreateServiceCommand, DeleteServiceCommand, DescribeServicesCommand } from "@aws-sdk/client-ecs";
import { afterAll, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { applyPlan, planStack } from "../../src/engine/index.js";
import type { Spec } from "../../src/schema/index.js";
import { applySpec, changesOf, planSpec, session, specFrom, uniqueStack } from "../support/engine.js";
import { motoClientConfig } from "../support/moto-env.js";
import { recordCalls } from "../support/reconciler-tests.js";
import { ecsStackYaml, SCALED_SERVICE_YAML } from "../support/specs.js";

/**
 * A service's scaling configuration follows the service through a replacement (deleted, then created, because a
 * field UpdateService cannot change differs) and through its deletion: the configuration goes first, so that the
 * scaler cannot raise the count while the service drains, and a replacement gets it back in the same run.
 */
const aws = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => aws.destroy());

const scaledSpec = (stack: string): Promise<Spec> => specFrom(`${ecsStackYaml(stack, { desiredCount: 2 })}${SCALED_SERVICE_YAML}`);

async function scalingOf(resourceId: string) {
  const [{ ScalableTargets }, { ScalingPolicies }] = await Promise.all([
    aws.autoScaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: "ecs", ResourceIds: [resourceId] })),
    aws.autoScaling.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: "ecs", ResourceId: resourceId })),
  ]);
  // moto matches DescribeScalingPolicies' ResourceId as a substring: keep this service's own.
  return { targets: ScalableTargets ?? [], policies: (ScalingPolicies ?? []).filter((p) => p.ResourceId === resourceId) };
}

describe("a service's scaling configuration", () => {
  it("is removed before the service is replaced, and recreated in the same run", async () => {
    const stack = uniqueStack("scalerepl");
    const spec = await scaledSpec(stack);
    expect((await applySpec(spec)).results.filter((r) => r.outcome !== "done")).toEqual([]);
    const cluster = `${stack}-main`;
    const name = `${stack}-web`;
    const resourceId = `service/${cluster}/${name}`;
    expect((await scalingOf(resourceId)).policies).toHaveLength(2);

    // Out of band, the service is deleted and made again under the same name without a launch type (moto gives it
    // EC2), keeping the stack's tags: UpdateService cannot bring it back to FARGATE, so the plan replaces it. The
    // scaling configuration on its resource id outlives the deletion, as it would on AWS.
    const [live] = (await aws.ecs.send(new DescribeServicesCommand({ cluster, services: [name], include: ["TAGS"] }))).services!;
    await aws.ecs.send(new DeleteServiceCommand({ cluster, service: name, force: true }));
    await aws.ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: live!.taskDefinition,
        desiredCount: 2,
        networkConfiguration: live!.networkConfiguration,
        tags: live!.tags,
      }),
    );
    expect(changesOf((await planSpec(spec)).plan)).toEqual({ "services.web": "replace", "autoScaling.web": "replace" });

    const s = session(spec);
    const calls = recordCalls(s.ctx.clients.ecs);
    recordCalls(s.ctx.clients.autoScaling, calls.sent);
    try {
      const results = await applyPlan(await planStack(spec, s.ctx, "apply"), s.ctx);
      expect(results.filter((r) => r.outcome !== "done")).toEqual([]);
    } finally {
      s.close();
    }
    const writes = calls.writes();
    const first = (action: string) => writes.indexOf(action);
    expect(first("DeregisterScalableTarget")).toBeGreaterThanOrEqual(0);
    expect(first("DeregisterScalableTarget")).toBeLessThan(first("DeleteService"));
    expect(first("DeleteService")).toBeLessThan(first("CreateService"));
    expect(first("CreateService")).toBeLessThan(first("RegisterScalableTarget"));

    const after = await scalingOf(resourceId);
    expect(after.targets.map((t) => [t.MinCapacity, t.MaxCapacity])).toEqual([[1, 3]]);
    expect(after.policies.map((p) => p.PolicyName).sort()).toEqual([`${stack}-burst`, `${stack}-cpu`]);
    expect(changesOf((await planSpec(spec)).plan)).toEqual({});
    await applySpec(spec, "delete");
  });

  it("is removed by delete, before the service, even when the spec no longer scales the service", async () => {
    const stack = uniqueStack("scaledel");
    const spec = await scaledSpec(stack);
    await applySpec(spec);
    const resourceId = `service/${stack}-main/${stack}-web`;
    // Registered again by hand after apply, as if by an older run. The scaling kind's discover finds it from the
    // service's tags, and the reversed edge (autoScaling refers to services) removes it before the service goes.
    await aws.autoScaling.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: "ecs",
        ScalableDimension: "ecs:service:DesiredCount",
        ResourceId: resourceId,
        MinCapacity: 1,
        MaxCapacity: 3,
      }),
    );
    const withoutScaling = await specFrom(ecsStackYaml(stack, { desiredCount: 2 }));
    const { results } = await applySpec(withoutScaling, "delete");
    expect(results.filter((r) => r.outcome !== "done")).toEqual([]);
    expect(await scalingOf(resourceId)).toEqual({ targets: [], policies: [] });
    const { MetricAlarms } = await aws.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${stack}-` }));
    expect(MetricAlarms).toEqual([]);
  });
});
