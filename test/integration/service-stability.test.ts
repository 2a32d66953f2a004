import { defaultVpcNetwork } from "../support/default-vpc.js";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type Service,
} from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClients } from "../../src/aws/index.js";
import { ServiceNotStableError, waitForServiceInactive, waitForServiceStable } from "../../src/reconcilers/ecs/stability.js";
import type { Context } from "../../src/reconcilers/contract.js";
import { MOTO_RUNNING_TASKS } from "../support/global-setup.js";
import { motoClientConfig } from "../support/moto-env.js";
import { recordCalls, uniqueName } from "../support/reconciler-tests.js";

// maxAttempts 2: moto answers 500 to an unimplemented action, which the SDK would otherwise retry for a while.
const clients = createClients({ ...motoClientConfig(), maxAttempts: 2 });
afterAll(() => clients.destroy());

const recorded = recordCalls(clients.ecs);
beforeEach(recorded.reset);

const lines: string[] = [];
beforeEach(() => {
  lines.length = 0;
});
const ctx: Context = {
  stack: "stability",
  region: "us-east-1",
  clients,
  progress: (resource, message) => lines.push(`${resource}: ${message}`),
};

/** Fast polling: moto answers at once, and these tests should not sleep AWS's 5 seconds. */
const FAST = { minDelaySeconds: 0.2, maxDelaySeconds: 0.5 };

let cluster: string;
let taskDefinition: string;
let awsvpcConfiguration: { subnets: string[]; securityGroups: string[] };

/** A cluster and a Fargate task definition for every test; the default VPC's subnets and default group for the tasks. */
beforeAll(async () => {
  const { subnets, securityGroups } = await defaultVpcNetwork(clients);
  awsvpcConfiguration = { subnets, securityGroups };

  cluster = (await clients.ecs.send(new CreateClusterCommand({ clusterName: uniqueName() }))).cluster!.clusterName!;
  const registered = await clients.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: uniqueName(),
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "web", image: "public.ecr.aws/nginx/nginx:stable", essential: true }],
    }),
  );
  taskDefinition = registered.taskDefinition!.taskDefinitionArn!;
});

async function createService(desiredCount: number): Promise<Service> {
  const { service } = await clients.ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: uniqueName(),
      taskDefinition,
      desiredCount,
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration },
    }),
  );
  return service!;
}

const primaryOf = (service: Service) => service.deployments!.find((d) => d.status === "PRIMARY")!.id!;

describe("waiting for ECS services against moto", () => {
  it(`returns at once, after one DescribeServices, for a service created with desiredCount ${MOTO_RUNNING_TASKS} (moto runs that many)`, async () => {
    const created = await createService(MOTO_RUNNING_TASKS);
    recorded.reset();

    const service = await waitForServiceStable(
      ctx,
      { cluster, service: created.serviceName!, deploymentId: primaryOf(created) },
      { timeoutMs: 10_000 },
      FAST,
    );

    expect(recorded.actions()).toEqual(["DescribeServices"]);
    expect(service.serviceArn).toBe(created.serviceArn);
    expect(lines).toEqual([`${created.serviceName}: stable, 2/2 running`]);
  });

  it("takes the service's ARN as well as its name", async () => {
    const created = await createService(MOTO_RUNNING_TASKS);
    await expect(waitForServiceStable(ctx, { cluster, service: created.serviceArn! }, { timeoutMs: 10_000 }, FAST)).resolves.toMatchObject({
      serviceName: created.serviceName,
    });
  });

  it("is stable after a scale-up to 3 (moto sets running = desired on UpdateService)", async () => {
    const created = await createService(MOTO_RUNNING_TASKS);
    // moto: UpdateService's desiredCount sets runningCount to it at once, and leaves the creation's deployment
    // (COMPLETED, 2/2) as it was; on AWS the scheduler starts a task and the service is stable a little later.
    const { service: updated } = await clients.ecs.send(
      new UpdateServiceCommand({ cluster, service: created.serviceName!, desiredCount: 3 }),
    );
    expect(updated).toMatchObject({ desiredCount: 3, runningCount: 3 });
    recorded.reset();

    const service = await waitForServiceStable(
      ctx,
      { cluster, service: created.serviceName!, deploymentId: primaryOf(updated!) },
      { timeoutMs: 10_000 },
      FAST,
    );

    expect(recorded.actions()).toEqual(["DescribeServices"]);
    expect(service).toMatchObject({ desiredCount: 3, runningCount: 3 });
    expect(lines).toEqual([`${created.serviceName}: stable, 3/3 running`]);
  });

  it("times out on a service that never gets its tasks (desiredCount 3, moto runs 2, rollout IN_PROGRESS forever), naming the summary", async () => {
    const created = await createService(3);
    recorded.reset();
    const started = Date.now();

    const error = await waitForServiceStable(
      ctx,
      { cluster, service: created.serviceName!, deploymentId: primaryOf(created) },
      { timeoutMs: 2_000 },
      FAST,
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ServiceNotStableError);
    // moto records no service events, so the message has no "newest event" part.
    expect((error as Error).message).toBe(
      `service ${created.serviceName} was not stable after 2 s: deployment IN_PROGRESS, 2/3 running, 1 pending`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(Date.now() - started).toBeLessThan(4_000);
    // One progress line however many polls: the summary never changed.
    expect(lines).toEqual([`${created.serviceName}: deployment IN_PROGRESS, 2/3 running, 1 pending`]);
    expect(new Set(recorded.actions())).toEqual(new Set(["DescribeServices"]));
    expect(recorded.actions().length).toBeGreaterThan(2);
  });

  it("after a scale to 0 and DeleteService, waits until the service is INACTIVE", async () => {
    const created = await createService(MOTO_RUNNING_TASKS);
    await clients.ecs.send(new UpdateServiceCommand({ cluster, service: created.serviceName!, desiredCount: 0 }));
    await clients.ecs.send(new DeleteServiceCommand({ cluster, service: created.serviceName! }));
    recorded.reset();

    // moto marks a deleted service INACTIVE at once (AWS shows DRAINING first), so one DescribeServices settles it.
    await waitForServiceInactive(ctx, { cluster, service: created.serviceName! }, 10_000, FAST);

    expect(recorded.actions()).toEqual(["DescribeServices"]);
    const { services } = await clients.ecs.send(new DescribeServicesCommand({ cluster, services: [created.serviceName!] }));
    expect(services?.[0]?.status).toBe("INACTIVE");
  });

  it("counts a service that does not exist as gone", async () => {
    recorded.reset();
    await waitForServiceInactive(ctx, { cluster, service: uniqueName() }, 10_000, FAST);
    // DescribeServices answers it among the failures (MISSING): gone, in one call.
    expect(recorded.actions()).toEqual(["DescribeServices"]);
  });

  it("waits for the deleted services of a cluster together: one DescribeServices for all of them", async () => {
    const services = await Promise.all([createService(MOTO_RUNNING_TASKS), createService(MOTO_RUNNING_TASKS), createService(1)]);
    for (const s of services) await clients.ecs.send(new DeleteServiceCommand({ cluster, service: s.serviceName!, force: true }));
    recorded.reset();

    await Promise.all(services.map((s) => waitForServiceInactive(ctx, { cluster, service: s.serviceName! }, 10_000, FAST)));

    expect(recorded.actions()).toEqual(["DescribeServices"]);
  });

  it("stops waiting for stability when the service is deleted", async () => {
    const created = await createService(MOTO_RUNNING_TASKS);
    await clients.ecs.send(new DeleteServiceCommand({ cluster, service: created.serviceName!, force: true }));

    await expect(waitForServiceStable(ctx, { cluster, service: created.serviceName! }, { timeoutMs: 10_000 }, FAST)).rejects.toThrow(
      `service ${created.serviceName}: deployment ${primaryOf(created)} failed: the service is INACTIVE`,
    );
  });
});
