/**
 * Task definitions, the pure part: the desired value built from the spec, AWS's description in the same form
 * (normalise.ts), the diff, and the RegisterTaskDefinition input a new revision is registered with.
 */
import type { RegisterTaskDefinitionCommandInput, TaskDefinition } from "@aws-sdk/client-ecs";
import type { FieldDiff } from "../../../plan/model.js";
import type { ContainerSpec, TaskDefinitionSpec } from "../../../schema/ecs.js";
import { physicalName } from "../../../schema/names.js";
import { sensitiveVariables } from "../../../schema/sensitive.js";
import type { Spec } from "../../../schema/spec.js";
import { diffTags, tagChange, type TagChange } from "../../diff-helpers.js";
import { addressOf, desiredNode, ownedTags, type DesiredNode, type Diff, type Observed, type Outputs, type Tags } from "../../contract.js";
import { toEcsTags } from "../model.js";
import { type Pending } from "../../diff-helpers.js";
import {
  containerSummary,
  diffTaskDefinition,
  normaliseTaskDefinition,
  type ContainerDefinitionInput,
  type NormalisedTaskDefinition,
  type TaskDefinitionInput,
  type Unknowable,
} from "./normalise.js";

export interface TaskDefinitionDesired {
  family: string;
  /** How many of the stack's newest ACTIVE revisions stay registered. */
  keepRevisions: number;
  /** What RegisterTaskDefinition is sent, apart from the family and the tags. */
  definition: TaskDefinitionInput;
  tags: Tags;
  /** By container: the environment variables whose values are never printed (marked `sensitive`, or names that look secret). */
  sensitiveVariables: Record<string, string[]>;
}

export interface ObservedTaskDefinition extends Observed {
  /** `name` is the family, `id` the revision's ARN. */
  revision: number;
  /** ACTIVE; INACTIVE only for a family discovered with nothing but deregistered revisions of the stack left. */
  status: string;
  definition: NormalisedTaskDefinition;
  /**
   * The family's revisions the Tagging API listed as the stack's when this was read (the plan's one query): delete
   * and the retention of older revisions start from them instead of asking the Tagging API again.
   */
  stackRevisions: string[];
}

// ---------------------------------------------------------------------------------------------------------
// Desired state from the spec

const isArn = (reference: string) => reference.startsWith("arn:");

/** A role of the spec (its ARN, once known) or a role ARN given as is. */
function roleArn(outputs: Outputs, reference: string | undefined): Unknowable<string> | undefined {
  if (reference === undefined) return undefined;
  return isArn(reference) ? reference : outputs.string(addressOf("roles", reference), "arn");
}

/** `arn:jsonKey::` takes one key of a JSON secret (the version stage and id left to their defaults). */
function secretValueFrom(source: ContainerSpec["secrets"][string]): string {
  if ("ssmParameter" in source) return source.ssmParameter;
  return source.jsonKey === undefined ? source.secretsManager : `${source.secretsManager}:${source.jsonKey}::`;
}

function portMapping(mapping: ContainerSpec["portMappings"][number]) {
  if (typeof mapping === "number") return { containerPort: mapping, hostPort: mapping, protocol: "tcp" as const };
  return {
    containerPort: mapping.containerPort,
    hostPort: mapping.hostPort ?? mapping.containerPort,
    protocol: mapping.protocol,
    ...(mapping.name !== undefined && { name: mapping.name }),
    ...(mapping.appProtocol !== undefined && { appProtocol: mapping.appProtocol }),
  };
}

function healthCheck(check: NonNullable<ContainerSpec["healthCheck"]>) {
  return {
    command: check.command,
    ...(check.intervalSeconds !== undefined && { interval: check.intervalSeconds }),
    ...(check.timeoutSeconds !== undefined && { timeout: check.timeoutSeconds }),
    ...(check.retries !== undefined && { retries: check.retries }),
    ...(check.startPeriodSeconds !== undefined && { startPeriod: check.startPeriodSeconds }),
  };
}

function containerDefinition(spec: Spec, name: string, c: ContainerSpec, outputs: Outputs): ContainerDefinitionInput {
  const environment = Object.entries(c.environment).sort(([a], [b]) => a.localeCompare(b));
  const secrets = Object.entries(c.secrets).sort(([a], [b]) => a.localeCompare(b));
  const awslogs = c.logging?.awslogs;
  return {
    name,
    image: c.image,
    ...(c.cpu !== undefined && { cpu: c.cpu }),
    ...(c.memory !== undefined && { memory: c.memory }),
    ...(c.memoryReservation !== undefined && { memoryReservation: c.memoryReservation }),
    essential: c.essential,
    ...(c.portMappings.length > 0 && { portMappings: c.portMappings.map(portMapping) }),
    ...(environment.length > 0 && { environment: environment.map(([key, entry]) => ({ name: key, value: entry.value })) }),
    ...(secrets.length > 0 && { secrets: secrets.map(([key, source]) => ({ name: key, valueFrom: secretValueFrom(source) })) }),
    ...(c.dependsOn.length > 0 && { dependsOn: c.dependsOn.map((d) => ({ containerName: d.container, condition: d.condition })) }),
    ...(c.healthCheck && { healthCheck: healthCheck(c.healthCheck) }),
    ...(c.command && { command: c.command }),
    ...(c.entryPoint && { entryPoint: c.entryPoint }),
    ...(c.workingDirectory !== undefined && { workingDirectory: c.workingDirectory }),
    ...(c.user !== undefined && { user: c.user }),
    ...(awslogs && {
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": outputs.string(addressOf("logGroups", awslogs.logGroup), "name"),
          "awslogs-region": awslogs.region ?? spec.region,
          "awslogs-stream-prefix": awslogs.streamPrefix ?? name,
        },
      },
    }),
    ...(c.readonlyRootFilesystem !== undefined && { readonlyRootFilesystem: c.readonlyRootFilesystem }),
    ...(c.ulimits && { ulimits: c.ulimits }),
    ...(c.stopTimeoutSeconds !== undefined && { stopTimeout: c.stopTimeoutSeconds }),
    ...(c.startTimeoutSeconds !== undefined && { startTimeout: c.startTimeoutSeconds }),
  };
}

export function desiredTaskDefinition(spec: Spec, logical: string, entry: TaskDefinitionSpec, outputs: Outputs): TaskDefinitionDesired {
  const executionRoleArn = roleArn(outputs, entry.executionRole);
  const taskRoleArn = roleArn(outputs, entry.taskRole);
  return {
    family: physicalName(spec, "taskDefinitions", logical),
    keepRevisions: entry.keepRevisions,
    definition: {
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: String(entry.cpu),
      memory: String(entry.memory),
      ...(entry.runtimePlatform && { runtimePlatform: entry.runtimePlatform }),
      ...(executionRoleArn !== undefined && { executionRoleArn }),
      ...(taskRoleArn !== undefined && { taskRoleArn }),
      ...(entry.ephemeralStorageGiB !== undefined && { ephemeralStorage: { sizeInGiB: entry.ephemeralStorageGiB } }),
      containerDefinitions: Object.entries(entry.containers).map(([name, c]) => containerDefinition(spec, name, c, outputs)),
    },
    tags: ownedTags(spec, "taskDefinitions", logical, entry.tags),
    sensitiveVariables: Object.fromEntries(Object.entries(entry.containers).map(([name, c]) => [name, sensitiveVariables(c.environment)])),
  };
}

/** The roles given by logical name and every container's log group. */
export function taskDefinitionDependencies(entry: TaskDefinitionSpec): string[] {
  const roles = [entry.executionRole, entry.taskRole].filter((r): r is string => r !== undefined && !isArn(r));
  const logGroups = Object.values(entry.containers).flatMap((c) => (c.logging ? [c.logging.awslogs.logGroup] : []));
  return [...new Set([...roles.map((r) => addressOf("roles", r)), ...logGroups.map((g) => addressOf("logGroups", g))])];
}

export function taskDefinitionNode(spec: Spec, logical: string, entry: TaskDefinitionSpec): DesiredNode<TaskDefinitionDesired> {
  return desiredNode({
    kind: "taskDefinitions",
    logical,
    name: physicalName(spec, "taskDefinitions", logical),
    dependsOn: taskDefinitionDependencies(entry),
    adopt: entry.adopt ?? false,
    build: (outputs) => desiredTaskDefinition(spec, logical, entry, outputs),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Diff and preview

/**
 * What update does. A task definition is immutable: a change of its content registers a new revision (with the
 * tags), and older ones beyond `keepRevisions` retire; a change of tags alone tags the live revision.
 */
export type TaskDefinitionChange = { revision: Pending<RegisterTaskDefinitionCommandInput>; keepRevisions: number } | { tags: TagChange };

/** The revision's RegisterTaskDefinition input: the definition, the family and the tags. */
export const registerInput = (desired: TaskDefinitionDesired): Pending<RegisterTaskDefinitionCommandInput> => ({
  ...desired.definition,
  family: desired.family,
  tags: toEcsTags(desired.tags),
});

export function diffTaskDefinitionResource(desired: TaskDefinitionDesired, observed: ObservedTaskDefinition): Diff<TaskDefinitionChange> {
  const content = diffTaskDefinition(normaliseTaskDefinition(desired.definition), observed.definition);
  return {
    lines: [
      ...content.map((line) => (isSensitiveLine(desired, line) ? { ...line, sensitive: true as const } : line)),
      ...diffTags(desired.tags, observed.tags),
    ],
    change:
      content.length > 0
        ? { revision: registerInput(desired), keepRevisions: desired.keepRevisions }
        : { tags: tagChange(desired.tags, observed.tags) },
  };
}

const ENVIRONMENT_LINE = /^containers\.([^.]+)\.environment\.(.+)$/;

/**
 * A variable's line whose values are never printed: one the spec marks or whose name looks secret, and one the spec
 * no longer has, since the spec can no longer say whether it was sensitive.
 */
function isSensitiveLine(desired: TaskDefinitionDesired, line: FieldDiff): boolean {
  const match = ENVIRONMENT_LINE.exec(line.path);
  if (!match) return false;
  const [, container = "", variable = ""] = match;
  return line.after === undefined || (desired.sensitiveVariables[container] ?? []).includes(variable);
}

/** The values a failure's message must not echo: every sensitive variable's value in the definition sent. */
export function sensitiveTaskDefinitionValues(desired: TaskDefinitionDesired): string[] {
  return desired.definition.containerDefinitions.flatMap((c) => {
    const hidden = new Set(desired.sensitiveVariables[c.name] ?? []);
    return (c.environment ?? []).flatMap((v) => (v.name !== undefined && v.value !== undefined && hidden.has(v.name) ? [v.value] : []));
  });
}

/** A new family: its task-level settings and one line per container, not every leaf. */
export function previewTaskDefinition(desired: TaskDefinitionDesired): FieldDiff[] {
  const d = desired.definition;
  const lines: Array<[string, unknown]> = [
    ["cpu", d.cpu],
    ["memory", d.memory],
    ["executionRoleArn", d.executionRoleArn],
    ["taskRoleArn", d.taskRoleArn],
    ["runtimePlatform.cpuArchitecture", d.runtimePlatform?.cpuArchitecture],
    ["runtimePlatform.operatingSystemFamily", d.runtimePlatform?.operatingSystemFamily],
    ["ephemeralStorage.sizeInGiB", d.ephemeralStorage?.sizeInGiB],
    ...d.containerDefinitions.map((c): [string, unknown] => [`containers.${c.name}`, containerSummary(c)]),
    ...Object.entries(desired.tags).map(([key, value]): [string, unknown] => [`tags.${key}`, value]),
  ];
  return lines.filter(([, after]) => after !== undefined).map(([path, after]) => ({ path, after }));
}

// ---------------------------------------------------------------------------------------------------------
// AWS's answers

/** DescribeTaskDefinition's (or RegisterTaskDefinition's) revision, in the diff's form. */
export function toObservedTaskDefinition(td: TaskDefinition, tags: Tags, stackRevisions: readonly string[] = []): ObservedTaskDefinition {
  return {
    name: td.family!,
    id: td.taskDefinitionArn!,
    tags,
    revision: td.revision!,
    status: td.status ?? "ACTIVE",
    definition: normaliseTaskDefinition(td),
    stackRevisions: [...stackRevisions],
  };
}

/**
 * The plan's name for the revision a content change registers (`shop-web:2`, for its row and for what refers to it):
 * AWS numbers a revision one above the family's highest, deregistered ones included. The highest the plan saw is
 * the live revision or one of the stack's the Tagging API listed (which lists deregistered ones too).
 */
export function nextRevisionName(_desired: TaskDefinitionDesired, observed: ObservedTaskDefinition): string {
  const listed = observed.stackRevisions.map((arn) => Number(/:(\d+)$/.exec(arn)?.[1] ?? 0));
  return `${observed.name}:${Math.max(observed.revision, ...listed) + 1}`;
}
