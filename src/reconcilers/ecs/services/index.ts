/**
 * ECS services (Fargate, awsvpc). The desired value, the diff and the UpdateService request are pure, in
 * model.ts; this file makes the calls.
 *
 * How each field changes (UpdateService API reference: "For services using the rolling update (ECS) [deployment
 * controller] you can update the desired count, deployment configuration, network configuration, load balancers,
 * service registries, enable ECS managed tags option, propagate tags option, task placement constraints and
 * strategies, and task definition"; each field's own entry for the rest):
 *
 *   field                                  how                        compared
 *   desiredCount                           UpdateService              without autoScaling: the spec's (default 1);
 *                                                                     with it: only outside [min, max], clamped
 *   taskDefinition                         UpdateService              always (the revision ARN)
 *   capacityProviderStrategy               UpdateService              when the spec sets it; from a launch type with
 *                                                                     forceNewDeployment (a listed valid transition)
 *   deployment.minimumHealthyPercent,
 *     .maximumPercent, .circuitBreaker     UpdateService              when the spec sets them (AWS: 100, 200, off)
 *   network.subnets, .securityGroups
 *     (as sets), .assignPublicIp           UpdateService              always
 *   platformVersion                        UpdateService              when set (AWS: LATEST)
 *   loadBalancers                          UpdateService ([] removes)  always (the spec's list, default [])
 *   serviceRegistries (serviceDiscovery)   UpdateService ([] removes)  always (the spec's Cloud Map service, or none)
 *   healthCheckGracePeriodSeconds          UpdateService              when set
 *   propagateTags                          UpdateService              when set (AWS: NONE)
 *   enableExecuteCommand                   UpdateService              when set (AWS: false)
 *   tags                                   TagResource/UntagResource  always (the stack's tags)
 *   cluster                                replacement                always ("You can't change the cluster name")
 *   launchType                             replacement                when set: UpdateService changes no launch
 *                                                                     type, and goes from capacity providers "back to
 *                                                                     the launch type" only for a service that had one
 *   schedulingStrategy                     replacement                always (REPLICA: the schema allows no other)
 *   deploymentController                   replacement                always ECS: the rolling updates this file drives
 *   role                                   not managed                awsvpc services use ECS's service-linked role
 *
 * Its Application Auto Scaling configuration is the autoScaling kind's, which refers to the service: the engine
 * removes it before the service is deleted or replaced, and recreates it after a replacement.
 *
 * Apply waits (ctx.wait) for every service it created or changed (anything but tags) to be stable; deletion always
 * waits until the service is gone, because its cluster and task definitions are deleted next. A wait that fails
 * (rolled back, rollout FAILED, out of time) is recorded on the service in the tag `reconcile:failed-deployment`
 * (failed-deployment.ts) before the change is reported failed; later plans hold a deployment of the same content
 * (`held`), and a deployment that becomes stable removes the record.
 */
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  UpdateServiceCommand,
  type CreateServiceCommandInput,
  type Service,
  type UpdateServiceCommandInput,
} from "@aws-sdk/client-ecs";
import { awsErrorIs, isNotFound } from "../../../aws/errors.js";
import { applyTagChange } from "../../diff-helpers.js";
import { groupBy } from "../../collections.js";
import { findTaggedResources, resourcesOfType } from "../../tagged-resources.js";
import { ID_TAG, STACK_TAG, type Context, type Reconciler } from "../../contract.js";
import { idempotencyToken } from "../../recognise.js";
import { describeLiveServices, writeEcsTags } from "../api.js";
import { resolved, type Pending } from "../../diff-helpers.js";
import { ServiceNotStableError, waitForServiceInactive, waitForServiceStable } from "../stability.js";
import { FAILED_DEPLOYMENT_TAG, failedDeploymentTagValue, withoutFailureRecord } from "./failed-deployment.js";
import { serviceStatuses } from "./status.js";
import {
  createServiceInput,
  diffService,
  heldService,
  observedFromAws,
  previewService,
  serviceNode,
  type ObservedService,
  type ServiceChange,
  type ServiceDesired,
} from "./model.js";

export type { ObservedService, ServiceChange, ServiceDesired } from "./model.js";

/** How long a deletion waits for the service to go when apply itself does not wait (`--no-wait`). */
const DELETE_WAIT_MS = 10 * 60 * 1000;

/** The live services of these names or ARNs in one cluster, by name, in this kind's form. */
async function describeServices(ctx: Context, cluster: string, names: readonly string[]): Promise<Map<string, ObservedService>> {
  const found = await describeLiveServices(ctx, cluster, names);
  return new Map([...found].map(([name, service]) => [name, observedFromAws(service)]));
}

/** `service/<cluster>/<name>`. A service ARN of the old short form (`service/<name>`) does not name its cluster: skipped. */
function clusterAndName(resource: string): { cluster: string; name: string } | undefined {
  const parts = resource.split("/");
  return parts.length === 2 ? { cluster: parts[0]!, name: parts[1]! } : undefined;
}

/**
 * With ctx.wait: until the service is stable, following the PRIMARY deployment of the answer that changed it. A
 * deployment that does not become stable is recorded on the service as this content's failure, then reported; one that
 * does clears an earlier record. Returns the service with its tags as they are then.
 */
async function waitIfAsked(ctx: Context, service: ObservedService, fingerprint: string): Promise<ObservedService> {
  if (!ctx.wait) return service;
  try {
    await waitForServiceStable(
      ctx,
      {
        cluster: service.cluster,
        service: service.name,
        ...(service.primaryDeploymentId !== undefined && { deploymentId: service.primaryDeploymentId }),
      },
      ctx.wait,
    );
  } catch (error) {
    throw error instanceof ServiceNotStableError ? await recordFailure(ctx, service, fingerprint, error) : error;
  }
  if (!(FAILED_DEPLOYMENT_TAG in service.tags)) return service;
  await writeEcsTags(ctx, service.id, { set: {}, remove: [FAILED_DEPLOYMENT_TAG] });
  const { failedDeployment: _cleared, ...rest } = service;
  return { ...rest, tags: withoutFailureRecord(service.tags) };
}

/**
 * Tags the service with the failure and gives back the error to report: the deployment's failure, with the tag write's
 * own failure added when there is one (the next run then deploys the content again).
 */
async function recordFailure(
  ctx: Context,
  service: ObservedService,
  fingerprint: string,
  failure: ServiceNotStableError,
): Promise<ServiceNotStableError> {
  const record = { [FAILED_DEPLOYMENT_TAG]: failedDeploymentTagValue(fingerprint, new Date(), failure.message) };
  try {
    await writeEcsTags(ctx, service.id, { set: record, remove: [] });
    return failure;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return new ServiceNotStableError(`${failure.message}; recording the failure on the service failed too: ${why}`, { cause: error });
  }
}

async function updateService(ctx: Context, input: Pending<UpdateServiceCommandInput>): Promise<Service> {
  const request = resolved<UpdateServiceCommandInput>(input, "the UpdateService input");
  const { service } = await ctx.clients.ecs.send(new UpdateServiceCommand(request));
  if (!service) throw new Error(`UpdateService of ${request.cluster}/${request.service} answered without the service`);
  return service;
}

/** CreateService's clientToken: "up to 36 ASCII characters" (ECS API reference). */
const CLIENT_TOKEN_MAX = 36;

async function createService(desired: ServiceDesired, ctx: Context): Promise<ObservedService> {
  const request = resolved<CreateServiceCommandInput>(createServiceInput(desired), "the CreateService input");
  // The same token for the same node and content: ECS answers a CreateService repeated with it (an SDK retry after
  // a lost answer, or the next run after a crash) with the service it made, instead of refusing it as not idempotent.
  const clientToken = idempotencyToken(ctx.stack, desired.tags[ID_TAG] ?? desired.name, request, CLIENT_TOKEN_MAX);
  const { service } = await ctx.clients.ecs.send(new CreateServiceCommand({ ...request, clientToken }));
  if (!service) throw new Error(`CreateService of ${desired.cluster}/${desired.name} answered without the service`);
  return observedFromAws(service, desired.tags);
}

export const servicesReconciler: Reconciler<ServiceDesired, ObservedService, ServiceChange> = {
  kind: "services",
  refersTo: ["clusters", "taskDefinitions", "securityGroups", "network", "targetGroups", "listeners", "discoveryServices"],
  looksUp: [],

  nodes: (spec) => Object.entries(spec.services).map(([logical, entry]) => serviceNode(spec, logical, entry)),

  async observe(desired, ctx) {
    const byCluster = groupBy(desired, (d) => d.value.cluster);
    const found = new Map<string, ObservedService>();
    await Promise.all(
      [...byCluster].map(async ([cluster, entries]) => {
        const live = await describeServices(
          ctx,
          cluster,
          entries.map((e) => e.value.name),
        );
        for (const { address, value } of entries) {
          const service = live.get(value.name);
          if (service) found.set(address, service);
        }
      }),
    );
    return found;
  },

  async discover(ctx, known) {
    const candidates = resourcesOfType(await findTaggedResources(ctx), "ecs", "service")
      .filter((r) => !known.has(r.arn))
      .flatMap((r) => clusterAndName(r.parsed.resource) ?? []);
    const byCluster = groupBy(candidates, (c) => c.cluster);
    const live = await Promise.all(
      [...byCluster].map(async ([cluster, services]) => [
        ...(
          await describeServices(
            ctx,
            cluster,
            services.map((s) => s.name),
          )
        ).values(),
      ]),
    );
    return live
      .flat()
      .filter((s) => s.tags[STACK_TAG] === ctx.stack)
      .sort((a, b) => a.id.localeCompare(b.id));
  },

  diff: diffService,
  held: heldService,
  preview: previewService,

  async create(desired, ctx) {
    let observed = await createService(desired, ctx);
    // What CreateService echoed must match the spec. On AWS it does, and this sends nothing; moto's CreateService
    // drops deploymentConfiguration, healthCheckGracePeriodSeconds, enableExecuteCommand and
    // capacityProviderStrategy, so there ONE UpdateService sets what did not take.
    const { update } = diffService(desired, observed).change;
    if (update) observed = observedFromAws(await updateService(ctx, update), desired.tags);
    return waitIfAsked(ctx, observed, desired.fingerprint);
  },

  async update(change, observed, ctx) {
    const changed = change.update && observedFromAws(await updateService(ctx, change.update), observed.tags);
    await writeEcsTags(ctx, observed.id, change.tags);
    const result = { ...(changed ?? observed), tags: applyTagChange(observed.tags, change.tags) };
    return changed ? waitIfAsked(ctx, result, change.fingerprint) : result;
  },

  async delete(observed, ctx) {
    const ref = { cluster: observed.cluster, service: observed.name };
    try {
      // `force` deletes a service still scaled above zero ("allows you to delete a service even if it wasn't scaled
      // down to zero tasks", DeleteService API reference): its tasks drain as they would after an UpdateService to
      // desiredCount 0 sent just before, which it saves.
      await ctx.clients.ecs.send(new DeleteServiceCommand({ ...ref, force: true }));
    } catch (e) {
      if (isNotFound(e)) return;
      // Already being deleted (DRAINING): what is left is to wait for it to go.
      if (!awsErrorIs(e, "ServiceNotActiveException")) throw e;
    }
    await waitForServiceInactive(ctx, ref, ctx.wait?.timeoutMs ?? DELETE_WAIT_MS, { ...(ctx.wait?.signal && { signal: ctx.wait.signal }) });
  },

  outputs: (observed) => ({ arn: observed.id, name: observed.name, clusterArn: observed.clusterArn }),
  status: (observed, ctx) => serviceStatuses(observed, (cluster, names) => describeLiveServices(ctx, cluster, names)),
};
