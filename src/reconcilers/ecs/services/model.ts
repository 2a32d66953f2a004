/**
 * ECS services, the pure part: the desired value built from the spec, AWS's description in the same form, and
 * the diff between the two, which gives the lines and, from the same comparison, the one UpdateService input and
 * the tags to write. Nothing here talks to AWS; index.ts does the calls and documents which field changes how.
 */
import { fieldLines } from "../../../plan/field-lines.js";
import type {
  CreateServiceCommandInput,
  DeploymentConfiguration,
  NetworkConfiguration,
  PropagateTags,
  Service,
  UpdateServiceCommandInput,
} from "@aws-sdk/client-ecs";
import { KnownAfterApply, UNKNOWN, type FieldDiff } from "../../../plan/model.js";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, sortedSet, tagChange, type TagChange } from "../../diff-helpers.js";
import { fromEcsTags, normaliseStrategy, toAwsStrategy, toEcsTags, type StrategyItem } from "../model.js";
import { type Pending } from "../../diff-helpers.js";
import { clusterOf, listenersForwardingTo, subnetsAddress } from "../../../schema/queries.js";
import { addressOf, desiredNode, ownedTags, type DesiredNode, type Diff, type Observed, type Outputs, type Tags } from "../../contract.js";
import { contentFingerprint, failedDeploymentOf, heldBecause, withoutFailureRecord, type FailedDeployment } from "./failed-deployment.js";

export interface LoadBalancerAttachment {
  targetGroupArn: string | KnownAfterApply;
  containerName: string;
  containerPort: number;
}

/** A Cloud Map registration: a discovery service's ARN, with the container and port its SRV records name. */
export interface RegistryAttachment {
  registryArn: string | KnownAfterApply;
  containerName?: string;
  containerPort?: number;
}

export interface CircuitBreaker {
  enable: boolean;
  rollback: boolean;
}

/** The spec's deployment settings: only the fields it sets. */
export interface DesiredDeployment {
  minimumHealthyPercent?: number;
  maximumPercent?: number;
  circuitBreaker?: CircuitBreaker;
}

/** AWS's deployment settings, its defaults filled in where an answer leaves a field out. */
export interface ObservedDeployment {
  minimumHealthyPercent: number;
  maximumPercent: number;
  circuitBreaker: CircuitBreaker;
}

export interface ServiceNetwork<Ids = string[]> {
  subnets: Ids;
  securityGroups: Ids;
  assignPublicIp: string;
}

/**
 * The number of tasks. Without auto scaling, `count` is enforced. With it, `count` is only the number the service
 * is created with: afterwards the scaler owns the live value, which is drift only outside [min, max].
 */
export interface DesiredCount {
  count: number;
  scaling?: { min: number; max: number };
}

export interface ServiceDesired {
  name: string;
  /** The cluster's name: known before the cluster exists, so that observe can look there. */
  cluster: string;
  /** The revision ARN; unknown while a new revision is still to be registered. */
  taskDefinition: string | KnownAfterApply;
  desiredCount: DesiredCount;
  launchType?: string;
  capacityProviderStrategy?: StrategyItem[];
  platformVersion?: string;
  schedulingStrategy: string;
  deployment: DesiredDeployment;
  network: ServiceNetwork<string[] | KnownAfterApply>;
  /** Always enforced: the spec's list, empty when it has none. */
  loadBalancers: LoadBalancerAttachment[];
  /** Always enforced: the spec's registration, or none. */
  serviceRegistries: RegistryAttachment[];
  healthCheckGracePeriodSeconds?: number;
  propagateTags?: string;
  enableExecuteCommand?: boolean;
  tags: Tags;
  /** The spec's content this service deploys, hashed (see failed-deployment.ts): what a failure record names. */
  fingerprint: string;
}

export interface ObservedService extends Observed {
  /** ACTIVE or DRAINING (an INACTIVE service counts as gone). */
  status: string;
  cluster: string;
  clusterArn: string;
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  /** Absent when the service runs on a capacity provider strategy. */
  launchType?: string;
  capacityProviderStrategy: StrategyItem[];
  platformVersion?: string;
  schedulingStrategy: string;
  deploymentController: string;
  deployment: ObservedDeployment;
  network: ServiceNetwork;
  loadBalancers: LoadBalancerAttachment[];
  serviceRegistries: RegistryAttachment[];
  healthCheckGracePeriodSeconds?: number;
  propagateTags: string;
  enableExecuteCommand: boolean;
  /** The deployment UpdateService or CreateService started, which waiting follows. */
  primaryDeploymentId?: string;
  /** The last deployment that failed, as its tag records it; absent once a deployment became stable. */
  failedDeployment?: FailedDeployment;
}

/** The deployment controller every service of the stack has: the rolling updates UpdateService drives. */
export const DEPLOYMENT_CONTROLLER = "ECS";

/** What AWS fills in for a field the request leaves out (UpdateService/CreateService references). */
export const AWS_DEFAULTS = {
  minimumHealthyPercent: 100,
  maximumPercent: 200,
  circuitBreaker: { enable: false, rollback: false },
  propagateTags: "NONE",
  enableExecuteCommand: false,
  assignPublicIp: "DISABLED",
} as const;

// ---------------------------------------------------------------------------------------------------------
// Normalisation.

const attachmentKey = (a: LoadBalancerAttachment) => `${String(a.targetGroupArn)}|${a.containerName}|${a.containerPort}`;

export const sortAttachments = (list: readonly LoadBalancerAttachment[]): LoadBalancerAttachment[] =>
  [...list].sort((a, b) => attachmentKey(a).localeCompare(attachmentKey(b)));

const clusterNameOf = (clusterArn: string) => clusterArn.slice(clusterArn.lastIndexOf("/") + 1);

/** DescribeServices' (or CreateService's, UpdateService's) description of a service, in the diff's form. */
export function observedFromAws(service: Service, tags: Tags = fromEcsTags(service.tags)): ObservedService {
  const config = service.deploymentConfiguration;
  const vpc = service.networkConfiguration?.awsvpcConfiguration;
  const primary = service.deployments?.find((d) => d.status === "PRIMARY");
  return {
    name: service.serviceName!,
    id: service.serviceArn!,
    tags,
    status: service.status ?? "ACTIVE",
    cluster: clusterNameOf(service.clusterArn ?? ""),
    clusterArn: service.clusterArn ?? "",
    taskDefinition: service.taskDefinition ?? "",
    desiredCount: service.desiredCount ?? 0,
    runningCount: service.runningCount ?? 0,
    ...(service.launchType !== undefined && { launchType: service.launchType }),
    capacityProviderStrategy: normaliseStrategy(service.capacityProviderStrategy ?? []),
    ...(service.platformVersion !== undefined && { platformVersion: service.platformVersion }),
    schedulingStrategy: service.schedulingStrategy ?? "REPLICA",
    deploymentController: service.deploymentController?.type ?? DEPLOYMENT_CONTROLLER,
    deployment: {
      minimumHealthyPercent: config?.minimumHealthyPercent ?? AWS_DEFAULTS.minimumHealthyPercent,
      maximumPercent: config?.maximumPercent ?? AWS_DEFAULTS.maximumPercent,
      circuitBreaker: {
        enable: config?.deploymentCircuitBreaker?.enable ?? false,
        rollback: config?.deploymentCircuitBreaker?.rollback ?? false,
      },
    },
    network: {
      subnets: sortedSet(vpc?.subnets ?? []),
      securityGroups: sortedSet(vpc?.securityGroups ?? []),
      assignPublicIp: vpc?.assignPublicIp ?? AWS_DEFAULTS.assignPublicIp,
    },
    loadBalancers: sortAttachments(
      (service.loadBalancers ?? []).map((lb) => ({
        targetGroupArn: lb.targetGroupArn ?? "",
        containerName: lb.containerName ?? "",
        containerPort: lb.containerPort ?? 0,
      })),
    ),
    serviceRegistries: (service.serviceRegistries ?? []).map((r) => ({
      registryArn: r.registryArn ?? "",
      ...(r.containerName !== undefined && { containerName: r.containerName }),
      ...(r.containerPort !== undefined && { containerPort: r.containerPort }),
    })),
    ...(service.healthCheckGracePeriodSeconds !== undefined && { healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds }),
    propagateTags: service.propagateTags ?? AWS_DEFAULTS.propagateTags,
    enableExecuteCommand: service.enableExecuteCommand ?? AWS_DEFAULTS.enableExecuteCommand,
    ...(primary?.id !== undefined && { primaryDeploymentId: primary.id }),
    ...failedDeploymentField(tags),
  };
}

function failedDeploymentField(tags: Tags): { failedDeployment?: FailedDeployment } {
  const failedDeployment = failedDeploymentOf(tags);
  return failedDeployment ? { failedDeployment } : {};
}

// ---------------------------------------------------------------------------------------------------------
// Nodes.

type ServiceEntry = Spec["services"][string];

export function desiredCountOf(entry: ServiceEntry): DesiredCount {
  const scaling = entry.autoScaling;
  if (!scaling) return { count: entry.desiredCount ?? 1 };
  const range = { min: scaling.minCapacity, max: scaling.maxCapacity };
  return { count: clamp(entry.desiredCount ?? range.min, range), scaling: range };
}

const clamp = (value: number, range: { min: number; max: number }) => Math.min(range.max, Math.max(range.min, value));

/** A list of ids the outputs of several nodes make up: unknown as a whole while any of them is. */
function idSet(ids: ReadonlyArray<string | KnownAfterApply>): string[] | KnownAfterApply {
  return ids.some((id) => id instanceof KnownAfterApply) ? UNKNOWN : sortedSet(ids as string[]);
}

function knownSet(ids: string[] | KnownAfterApply): string[] | KnownAfterApply {
  return ids instanceof KnownAfterApply ? ids : sortedSet(ids);
}

export function buildServiceDesired(spec: Spec, logical: string, entry: ServiceEntry, outputs: Outputs): ServiceDesired {
  const deployment = entry.deployment;
  return {
    name: physicalName(spec, "services", logical),
    cluster: physicalName(spec, "clusters", clusterOf(spec, entry)),
    taskDefinition: outputs.string(addressOf("taskDefinitions", entry.taskDefinition), "arn"),
    desiredCount: desiredCountOf(entry),
    ...(entry.launchType !== undefined && { launchType: entry.launchType }),
    ...(entry.capacityProviderStrategy !== undefined && { capacityProviderStrategy: normaliseStrategy(entry.capacityProviderStrategy) }),
    ...(entry.platformVersion !== undefined && { platformVersion: entry.platformVersion }),
    schedulingStrategy: entry.schedulingStrategy,
    deployment: {
      ...(deployment?.minimumHealthyPercent !== undefined && { minimumHealthyPercent: deployment.minimumHealthyPercent }),
      ...(deployment?.maximumPercent !== undefined && { maximumPercent: deployment.maximumPercent }),
      ...(deployment?.circuitBreaker !== undefined && { circuitBreaker: { ...deployment.circuitBreaker } }),
    },
    network: {
      subnets: knownSet(outputs.list(subnetsAddress(spec, "services", logical), "subnetIds")),
      securityGroups: idSet(entry.network.securityGroups.map((g) => outputs.string(addressOf("securityGroups", g), "id"))),
      assignPublicIp: entry.network.assignPublicIp,
    },
    loadBalancers: sortAttachments(
      entry.loadBalancers.map((lb) => ({
        targetGroupArn: outputs.string(addressOf("targetGroups", lb.targetGroup), "arn"),
        containerName: lb.container,
        containerPort: lb.port,
      })),
    ),
    serviceRegistries: registriesOf(entry, outputs),
    ...(entry.healthCheckGracePeriodSeconds !== undefined && { healthCheckGracePeriodSeconds: entry.healthCheckGracePeriodSeconds }),
    ...(entry.propagateTags !== undefined && { propagateTags: entry.propagateTags }),
    ...(entry.enableExecuteCommand !== undefined && { enableExecuteCommand: entry.enableExecuteCommand }),
    tags: ownedTags(spec, "services", logical, entry.tags),
    fingerprint: contentFingerprint(spec, entry),
  };
}

/** ECS takes one registry per service for awsvpc tasks; SRV records also name the container and its port. */
function registriesOf(entry: ServiceEntry, outputs: Outputs): RegistryAttachment[] {
  const discovery = entry.serviceDiscovery;
  if (!discovery) return [];
  return [
    {
      registryArn: outputs.string(addressOf("discoveryServices", discovery.service), "arn"),
      ...(discovery.container !== undefined && { containerName: discovery.container }),
      ...(discovery.port !== undefined && { containerPort: discovery.port }),
    },
  ];
}

export function serviceNode(spec: Spec, logical: string, entry: ServiceEntry): DesiredNode<ServiceDesired> {
  const targetGroups = [...new Set(entry.loadBalancers.map((lb) => lb.targetGroup))];
  return desiredNode({
    kind: "services",
    logical,
    name: physicalName(spec, "services", logical),
    dependsOn: [
      addressOf("clusters", clusterOf(spec, entry)),
      addressOf("taskDefinitions", entry.taskDefinition),
      ...[...new Set(entry.network.securityGroups)].map((g) => addressOf("securityGroups", g)),
      subnetsAddress(spec, "services", logical),
      ...targetGroups.map((tg) => addressOf("targetGroups", tg)),
      ...listenersForwardingTo(spec, targetGroups),
      ...(entry.serviceDiscovery ? [addressOf("discoveryServices", entry.serviceDiscovery.service)] : []),
    ],
    adopt: entry.adopt ?? false,
    build: (outputs) => buildServiceDesired(spec, logical, entry, outputs),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Requests. What other nodes give (the task definition's ARN, subnets, groups, target groups, the Cloud Map
// service) may still be unknown when a plan builds them: they are Pending until apply.

function networkConfigurationOf(network: ServiceDesired["network"]): Pending<NetworkConfiguration> {
  return {
    awsvpcConfiguration: {
      subnets: network.subnets,
      securityGroups: network.securityGroups,
      assignPublicIp: network.assignPublicIp as "ENABLED" | "DISABLED",
    },
  };
}

/** The spec's deployment settings, for CreateService: AWS fills in what the spec leaves out. */
function deploymentConfigurationOf(deployment: DesiredDeployment): DeploymentConfiguration | undefined {
  if (Object.keys(deployment).length === 0) return undefined;
  return {
    ...(deployment.minimumHealthyPercent !== undefined && { minimumHealthyPercent: deployment.minimumHealthyPercent }),
    ...(deployment.maximumPercent !== undefined && { maximumPercent: deployment.maximumPercent }),
    ...(deployment.circuitBreaker !== undefined && { deploymentCircuitBreaker: { ...deployment.circuitBreaker } }),
  };
}

/**
 * For UpdateService: the live settings with the spec's over them, so that a field the spec leaves out keeps its
 * live value whether or not AWS would reset a field missing from the request.
 */
function mergedDeployment(desired: DesiredDeployment, observed: ObservedDeployment): DeploymentConfiguration {
  return {
    minimumHealthyPercent: desired.minimumHealthyPercent ?? observed.minimumHealthyPercent,
    maximumPercent: desired.maximumPercent ?? observed.maximumPercent,
    deploymentCircuitBreaker: { ...(desired.circuitBreaker ?? observed.circuitBreaker) },
  };
}

export function createServiceInput(desired: ServiceDesired): Pending<CreateServiceCommandInput> {
  const deploymentConfiguration = deploymentConfigurationOf(desired.deployment);
  return {
    cluster: desired.cluster,
    serviceName: desired.name,
    taskDefinition: desired.taskDefinition,
    desiredCount: desired.desiredCount.count,
    ...(desired.launchType !== undefined && { launchType: desired.launchType as "FARGATE" }),
    ...(desired.capacityProviderStrategy !== undefined && { capacityProviderStrategy: toAwsStrategy(desired.capacityProviderStrategy) }),
    ...(desired.platformVersion !== undefined && { platformVersion: desired.platformVersion }),
    schedulingStrategy: desired.schedulingStrategy as "REPLICA",
    deploymentController: { type: DEPLOYMENT_CONTROLLER },
    ...(deploymentConfiguration && { deploymentConfiguration }),
    networkConfiguration: networkConfigurationOf(desired.network),
    loadBalancers: desired.loadBalancers,
    serviceRegistries: desired.serviceRegistries,
    ...(desired.healthCheckGracePeriodSeconds !== undefined && { healthCheckGracePeriodSeconds: desired.healthCheckGracePeriodSeconds }),
    ...(desired.propagateTags !== undefined && { propagateTags: desired.propagateTags as PropagateTags }),
    ...(desired.enableExecuteCommand !== undefined && { enableExecuteCommand: desired.enableExecuteCommand }),
    // Tasks carry aws:ecs:clusterName and aws:ecs:serviceName: which service a task belongs to shows in billing.
    enableECSManagedTags: true,
    tags: toEcsTags(desired.tags),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Diff.

/** What update does: at most one UpdateService, and the tags to write (TagResource/UntagResource). */
export interface ServiceChange {
  /** The UpdateService input; absent when only tags differ (or nothing does). */
  update?: Pending<UpdateServiceCommandInput>;
  tags: TagChange;
  /** The desired content's fingerprint: what a failure of the deployment the update starts is recorded as. */
  fingerprint: string;
}

type UpdateFields = Pending<Omit<UpdateServiceCommandInput, "cluster" | "service">>;

/** A field (or a group UpdateService sends as one) compared: its lines, and what UpdateService is sent when there are any. */
interface Compared {
  lines: FieldDiff[];
  update: UpdateFields;
}

const compared = (lines: FieldDiff[], update: () => UpdateFields = () => ({})): Compared => ({
  lines,
  update: lines.length > 0 ? update() : {},
});

/** A field compared only when the spec sets it. */
const diffIfSet = (path: string, before: unknown, after: unknown): FieldDiff[] =>
  after === undefined ? [] : diffField(path, before, after);

/** Auto scaling owns the count between its bounds; outside them the count is clamped back in. */
function compareDesiredCount(desired: DesiredCount, observed: number): Compared {
  const target = desired.scaling ? clamp(observed, desired.scaling) : desired.count;
  return compared(diffField("desiredCount", observed, target), () => ({ desiredCount: target }));
}

/**
 * A launch type the spec names: UpdateService cannot move a service between launch types, nor (documented only
 * for a service that had one before) from a capacity provider strategy to a launch type, so either is a replacement.
 */
function diffLaunchType(desired: ServiceDesired, observed: ObservedService): FieldDiff[] {
  if (desired.launchType === undefined) return [];
  return diffField("launchType", observed.launchType, desired.launchType, { forcesReplacement: true });
}

/** A strategy the spec sets, compared with AWS's (empty for a service on a launch type). */
function compareStrategy(desired: ServiceDesired, observed: ObservedService): Compared {
  const strategy = desired.capacityProviderStrategy;
  if (strategy === undefined) return compared([]);
  return compared(diffField("capacityProviderStrategy", observed.capacityProviderStrategy, strategy), () => ({
    capacityProviderStrategy: toAwsStrategy(strategy),
    // A service on a launch type moves onto capacity providers with a new deployment (UpdateService reference,
    // capacityProviderStrategy: the valid transitions; Terraform's provider does the same).
    ...(observed.launchType !== undefined && { forceNewDeployment: true }),
  }));
}

function diffDeployment(desired: DesiredDeployment, observed: ObservedDeployment): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  if (desired.minimumHealthyPercent !== undefined)
    diffs.push(...diffField("deployment.minimumHealthyPercent", observed.minimumHealthyPercent, desired.minimumHealthyPercent));
  if (desired.maximumPercent !== undefined)
    diffs.push(...diffField("deployment.maximumPercent", observed.maximumPercent, desired.maximumPercent));
  if (desired.circuitBreaker !== undefined) {
    diffs.push(
      ...diffField("deployment.circuitBreaker.enable", observed.circuitBreaker.enable, desired.circuitBreaker.enable),
      ...diffField("deployment.circuitBreaker.rollback", observed.circuitBreaker.rollback, desired.circuitBreaker.rollback),
    );
  }
  return diffs;
}

function diffNetwork(desired: ServiceDesired["network"], observed: ServiceNetwork): FieldDiff[] {
  return [
    ...diffField("network.subnets", observed.subnets, desired.subnets),
    ...diffField("network.securityGroups", observed.securityGroups, desired.securityGroups),
    ...diffField("network.assignPublicIp", observed.assignPublicIp, desired.assignPublicIp),
  ];
}

/** The fields UpdateService takes under the same name, as the spec has them. */
type SameName =
  | "taskDefinition"
  | "platformVersion"
  | "loadBalancers"
  | "serviceRegistries"
  | "healthCheckGracePeriodSeconds"
  | "propagateTags"
  | "enableExecuteCommand";

export function diffService(desired: ServiceDesired, observed: ObservedService): Diff<ServiceChange> {
  const asIs = (key: SameName) => () => ({ [key]: desired[key] }) as UpdateFields;
  const always = (key: SameName) => compared(diffField(key, observed[key], desired[key]), asIs(key));
  const ifSet = (key: SameName) => compared(diffIfSet(key, observed[key], desired[key]), asIs(key));
  const fields: Compared[] = [
    compared(diffField("cluster", observed.cluster, desired.cluster, { forcesReplacement: true })),
    compared(diffField("schedulingStrategy", observed.schedulingStrategy, desired.schedulingStrategy, { forcesReplacement: true })),
    compared(diffField("deploymentController", observed.deploymentController, DEPLOYMENT_CONTROLLER, { forcesReplacement: true })),
    compared(diffLaunchType(desired, observed)),
    compareStrategy(desired, observed),
    always("taskDefinition"),
    compareDesiredCount(desired.desiredCount, observed.desiredCount),
    ifSet("platformVersion"),
    compared(diffDeployment(desired.deployment, observed.deployment), () => ({
      deploymentConfiguration: mergedDeployment(desired.deployment, observed.deployment),
    })),
    compared(diffNetwork(desired.network, observed.network), () => ({ networkConfiguration: networkConfigurationOf(desired.network) })),
    always("loadBalancers"),
    always("serviceRegistries"),
    ifSet("healthCheckGracePeriodSeconds"),
    ifSet("propagateTags"),
    ifSet("enableExecuteCommand"),
  ];
  const update: UpdateFields = Object.assign({}, ...fields.map((f) => f.update));
  const liveTags = withoutFailureRecord(observed.tags);
  return {
    lines: [...fields.flatMap((f) => f.lines), ...diffTags(desired.tags, liveTags)],
    change: {
      ...(Object.keys(update).length > 0 && { update: { cluster: observed.cluster, service: observed.name, ...update } }),
      tags: tagChange(desired.tags, liveTags),
      fingerprint: desired.fingerprint,
    },
  };
}

/**
 * A change that would deploy (any UpdateService: the one that starts a deployment carries the rest too) of content
 * whose deployment failed before is held, with the failure's record as its reason. A change of tags alone is not.
 */
export function heldService(desired: ServiceDesired, observed: ObservedService, change: ServiceChange): string | undefined {
  return change.update ? heldBecause(desired.fingerprint, observed.failedDeployment) : undefined;
}

/** A new service's lines: its count as one number (and the range auto scaling keeps it in), then the rest, leaf by leaf. */
export function previewService(desired: ServiceDesired): FieldDiff[] {
  const { name, cluster, taskDefinition, desiredCount, fingerprint: _bookkeeping, ...rest } = desired;
  const range = desiredCount.scaling && { autoScalingRange: `${desiredCount.scaling.min}-${desiredCount.scaling.max}` };
  return fieldLines({ cluster, taskDefinition, desiredCount: desiredCount.count, ...range, ...rest });
}
