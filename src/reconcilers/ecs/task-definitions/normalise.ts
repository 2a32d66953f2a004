/**
 * Task definitions in one canonical form, so that the spec's definition and AWS's echo of it compare equal
 * (after kayac/ecspresso's diff.go): a new revision is registered only when this form differs, never because
 * AWS reordered a list, filled in a default or answered with an empty list where nothing was sent.
 *
 * Both sides go through `normaliseTaskDefinition`: what RegisterTaskDefinition is sent (values of other nodes
 * may still be unknown) and what DescribeTaskDefinition answers. It drops what AWS adds about the revision
 * itself, fills AWS's defaults, sorts what AWS keeps as a set, and leaves out empty lists, empty objects and
 * nulls. Order that matters (command, entryPoint, healthCheck.command) is kept.
 */
import type { ContainerDefinition, LogDriver, RegisterTaskDefinitionCommandInput } from "@aws-sdk/client-ecs";
import { KnownAfterApply, type FieldDiff } from "../../../plan/model.js";
import { parseCpu, parseMemory } from "../../../schema/units.js";
import { diffField } from "../../diff-helpers.js";

export type Unknowable<T> = T | KnownAfterApply;

export interface LogConfigurationInput {
  logDriver: LogDriver;
  options?: Record<string, Unknowable<string>>;
  secretOptions?: Array<{ name: string; valueFrom: string }>;
}

/** A container as RegisterTaskDefinition takes it, the log group's name possibly still unknown. */
export interface ContainerDefinitionInput extends Omit<ContainerDefinition, "logConfiguration" | "name" | "image"> {
  name: string;
  image: string;
  logConfiguration?: LogConfigurationInput;
}

/** What RegisterTaskDefinition is sent, apart from the family and the tags; role ARNs possibly still unknown. */
export interface TaskDefinitionInput extends Omit<
  RegisterTaskDefinitionCommandInput,
  "family" | "tags" | "containerDefinitions" | "executionRoleArn" | "taskRoleArn"
> {
  containerDefinitions: ContainerDefinitionInput[];
  executionRoleArn?: Unknowable<string>;
  taskRoleArn?: Unknowable<string>;
}

/** A container in canonical form: AWS's field names, only what is set. */
export type NormalisedContainer = { name: string } & Record<string, unknown>;

/** A task definition in canonical form: containers sorted by name, task-level fields by AWS's names. */
export interface NormalisedTaskDefinition {
  containerDefinitions: NormalisedContainer[];
  [field: string]: unknown;
}

/** What DescribeTaskDefinition says about the revision rather than its content; RegisterTaskDefinition refuses most of them. */
const READ_ONLY = new Set([
  "taskDefinitionArn",
  "family",
  "revision",
  "status",
  "requiresAttributes",
  "compatibilities",
  "registeredAt",
  "registeredBy",
  "deregisteredAt",
  "deleteRequestedAt",
  "tags",
  "$metadata",
]);

/** AWS's documented container health-check defaults (ECS API reference, HealthCheck); startPeriod is off unless set. */
const HEALTH_CHECK_DEFAULTS = { interval: 30, timeout: 5, retries: 3, startPeriod: 0 };

/** Fargate's platform when the definition names none (Developer Guide, runtimePlatform). */
const RUNTIME_PLATFORM_DEFAULTS = { cpuArchitecture: "X86_64", operatingSystemFamily: "LINUX" };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof KnownAfterApply) && !(value instanceof Date);

/** Drops null, undefined, empty lists and empty objects, at every depth: AWS answers `[]` where nothing was sent. */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(compact).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value)
      .map(([key, v]) => [key, compact(v)] as const)
      .filter(([, v]) => v !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  return value === null ? undefined : value;
}

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
const byName = (a: { name?: unknown }, b: { name?: unknown }) => String(a.name).localeCompare(String(b.name));

function sortedBy<T>(list: unknown, compare: (a: T, b: T) => number): T[] | undefined {
  return Array.isArray(list) ? [...(list as T[])].sort(compare) : undefined;
}

type PortMapping = { containerPort?: number; hostPort?: number; protocol?: string } & Record<string, unknown>;

/** Protocol `tcp` when none is given; under awsvpc the host port is the container port (AWS fills it in). */
function normalisePortMappings(list: unknown, awsvpc: boolean): PortMapping[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return (list as PortMapping[])
    .map((pm) => ({
      ...pm,
      protocol: pm.protocol ?? "tcp",
      ...(awsvpc && pm.hostPort === undefined && pm.containerPort !== undefined && { hostPort: pm.containerPort }),
    }))
    .sort((a, b) => (a.containerPort ?? 0) - (b.containerPort ?? 0) || String(a.protocol).localeCompare(String(b.protocol)));
}

function normaliseHealthCheck(healthCheck: unknown): unknown {
  if (!isPlainObject(healthCheck)) return undefined;
  return { ...HEALTH_CHECK_DEFAULTS, ...(compact(healthCheck) as object) };
}

function normaliseLogConfiguration(config: unknown): unknown {
  if (!isPlainObject(config)) return undefined;
  return { ...config, secretOptions: sortedBy(config["secretOptions"], byName) };
}

export function normaliseContainer(container: Record<string, unknown>, awsvpc: boolean): NormalisedContainer {
  const c = container;
  const normalised = compact({
    ...c,
    // AWS answers cpu 0 for a container that reserves none, and essential true when it was not set.
    cpu: c["cpu"] === 0 ? undefined : c["cpu"],
    essential: c["essential"] ?? true,
    portMappings: normalisePortMappings(c["portMappings"], awsvpc),
    environment: sortedBy(c["environment"], byName),
    environmentFiles: sortedBy(c["environmentFiles"], byJson),
    secrets: sortedBy(c["secrets"], byName),
    mountPoints: sortedBy(c["mountPoints"], byJson),
    volumesFrom: sortedBy(c["volumesFrom"], byJson),
    dependsOn: sortedBy(c["dependsOn"], (a: { containerName?: string }, b: { containerName?: string }) =>
      String(a.containerName).localeCompare(String(b.containerName)),
    ),
    ulimits: sortedBy(c["ulimits"], byName),
    systemControls: sortedBy(c["systemControls"], byJson),
    healthCheck: normaliseHealthCheck(c["healthCheck"]),
    logConfiguration: normaliseLogConfiguration(c["logConfiguration"]),
  });
  return normalised as NormalisedContainer;
}

/** Task cpu and memory as AWS writes them, numeric strings ("0.5 vCPU" → "512", "1 GB" → "1024"). */
function unitString(value: unknown, parse: (v: number | string) => number | undefined): string | undefined {
  if (typeof value !== "number" && typeof value !== "string") return undefined;
  const parsed = parse(value);
  return parsed === undefined ? String(value) : String(parsed);
}

/** The canonical form of a task definition: what the spec sends, or what DescribeTaskDefinition answers. */
export function normaliseTaskDefinition(definition: object): NormalisedTaskDefinition {
  const d = definition as Record<string, unknown>;
  const awsvpc = d["networkMode"] === "awsvpc";
  const content = Object.fromEntries(Object.entries(d).filter(([key]) => !READ_ONLY.has(key)));
  const containers = ((d["containerDefinitions"] as Array<Record<string, unknown>> | undefined) ?? [])
    .map((c) => normaliseContainer(c, awsvpc))
    .sort(byName);
  const runtimePlatform = isPlainObject(d["runtimePlatform"]) ? compact(d["runtimePlatform"]) : undefined;
  const rest = compact({
    ...content,
    containerDefinitions: undefined,
    cpu: unitString(d["cpu"], parseCpu),
    memory: unitString(d["memory"], parseMemory),
    requiresCompatibilities: sortedBy(d["requiresCompatibilities"], (a: string, b: string) => a.localeCompare(b)),
    runtimePlatform: { ...RUNTIME_PLATFORM_DEFAULTS, ...(runtimePlatform as object | undefined) },
    volumes: sortedBy(d["volumes"], byName),
    placementConstraints: sortedBy(d["placementConstraints"], byJson),
  }) as Record<string, unknown>;
  return { ...rest, containerDefinitions: containers };
}

// ---------------------------------------------------------------------------------------------------------
// Diff

/** Plain objects compare member by member (`runtimePlatform.cpuArchitecture`); anything else as a whole. */
function diffValue(path: string, before: unknown, after: unknown): FieldDiff[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffValue(`${path}.${key}`, before[key], after[key]));
  }
  return diffField(path, before, after);
}

/** A list of named things (variables, secrets, ports) as a map, so that each entry is its own line. */
function diffKeyed<T>(path: string, before: unknown, after: unknown, key: (item: T) => string, value: (item: T) => unknown): FieldDiff[] {
  const asMap = (list: unknown) => new Map(((list as T[] | undefined) ?? []).map((item) => [key(item), value(item)]));
  const was = asMap(before);
  const is = asMap(after);
  const keys = [...new Set([...was.keys(), ...is.keys()])].sort();
  return keys.flatMap((k) => diffValue(`${path}.${k}`, was.get(k), is.get(k)));
}

type Named = { name: string; value?: string; valueFrom?: string };
type Dependency = { containerName: string; condition?: string };

/** How each list of a container is shown: by its members' names rather than positions. */
const KEYED_LISTS: Record<string, (path: string, before: unknown, after: unknown) => FieldDiff[]> = {
  environment: (p, b, a) =>
    diffKeyed<Named>(
      p,
      b,
      a,
      (v) => v.name,
      (v) => v.value,
    ),
  secrets: (p, b, a) =>
    diffKeyed<Named>(
      p,
      b,
      a,
      (v) => v.name,
      (v) => v.valueFrom,
    ),
  portMappings: (p, b, a) =>
    diffKeyed<PortMapping>(
      p,
      b,
      a,
      (pm) => `${pm.containerPort}/${pm.protocol}`,
      ({ containerPort: _port, protocol: _protocol, ...rest }) => rest,
    ),
  dependsOn: (p, b, a) =>
    diffKeyed<Dependency>(
      p,
      b,
      a,
      (d) => d.containerName,
      (d) => d.condition,
    ),
  ulimits: (p, b, a) =>
    diffKeyed<Named>(
      p,
      b,
      a,
      (u) => u.name,
      ({ name: _name, ...limits }) => limits,
    ),
};

function diffContainer(path: string, before: NormalisedContainer, after: NormalisedContainer): FieldDiff[] {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => f !== "name").sort();
  return fields.flatMap((field) => {
    const keyed = KEYED_LISTS[field];
    const at = `${path}.${field}`;
    return keyed ? keyed(at, before[field], after[field]) : diffValue(at, before[field], after[field]);
  });
}

/** One line for a container that comes or goes: its image, resources and ports. */
export function containerSummary(c: NormalisedContainer | ContainerDefinitionInput): string {
  const ports = ((c["portMappings"] as PortMapping[] | undefined) ?? []).map((pm) => `${pm.containerPort}/${pm.protocol ?? "tcp"}`);
  const parts = [
    String(c["image"]),
    c["cpu"] ? `cpu ${c["cpu"]}` : undefined,
    c["memory"] ? `memory ${c["memory"]} MiB` : undefined,
    c["memoryReservation"] ? `memoryReservation ${c["memoryReservation"]} MiB` : undefined,
    ports.length > 0 ? `ports ${ports.join(", ")}` : undefined,
  ];
  return parts.filter((p) => p !== undefined).join(", ");
}

/**
 * The content lines between two normalised definitions (tags are not content): task-level fields by name,
 * containers by name (`containers.web.image`, `containers.web.environment.DB_HOST`), a container that
 * comes or goes on one line.
 */
export function diffTaskDefinition(desired: NormalisedTaskDefinition, observed: NormalisedTaskDefinition): FieldDiff[] {
  const fields = [...new Set([...Object.keys(desired), ...Object.keys(observed)])].filter((f) => f !== "containerDefinitions").sort();
  const taskLevel = fields.flatMap((field) => diffValue(field, observed[field], desired[field]));

  const was = new Map(observed.containerDefinitions.map((c) => [c.name, c]));
  const is = new Map(desired.containerDefinitions.map((c) => [c.name, c]));
  const names = [...new Set([...was.keys(), ...is.keys()])].sort();
  const containers = names.flatMap((name) => {
    const path = `containers.${name}`;
    const before = was.get(name);
    const after = is.get(name);
    if (!before) return [{ path, after: containerSummary(after!) }];
    if (!after) return [{ path, before: containerSummary(before) }];
    return diffContainer(path, before, after);
  });
  return [...taskLevel, ...containers];
}
