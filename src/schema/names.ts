import type { Spec } from "./spec.js";
import { ELB_NAME, ELB_NAME_MESSAGE } from "./load-balancing.js";

/**
 * Physical names. A resource's name is the one the spec sets, or a default derived from the stack and
 * its logical name. Defaults (documented in the README):
 *   security group, role, target group, load balancer, cluster, task family, service: `<stack>-<logical>`
 *   log group: `/reconcile/<stack>/<logical>`;  discovery service: `<logical>`;  namespace: always explicit
 */
export type NamedKind =
  | "securityGroups"
  | "roles"
  | "logGroups"
  | "targetGroups"
  | "loadBalancers"
  | "clusters"
  | "taskDefinitions"
  | "services"
  | "discoveryServices";

interface NameRule {
  pattern: RegExp;
  rule: string;
}

const ECS_RULE: NameRule = { pattern: /^[A-Za-z0-9_-]{1,255}$/, rule: "1-255 letters, digits, hyphens or underscores" };

/** The limits AWS puts on each kind's name, checked again on defaults (explicit names are checked by the schema). */
export const NAME_RULES: Record<NamedKind, NameRule> = {
  securityGroups: { pattern: /^(?!sg-)[\x20-\x7e]{1,255}$/, rule: "1-255 printable characters, not starting with sg-" },
  roles: { pattern: /^[\w+=,.@-]{1,64}$/, rule: "1-64 letters, digits or +=,.@_-" },
  logGroups: { pattern: /^[.\-_/#A-Za-z0-9]{1,512}$/, rule: "1-512 letters, digits or . - _ / #" },
  targetGroups: { pattern: ELB_NAME, rule: ELB_NAME_MESSAGE },
  loadBalancers: { pattern: ELB_NAME, rule: ELB_NAME_MESSAGE },
  clusters: ECS_RULE,
  taskDefinitions: ECS_RULE,
  services: ECS_RULE,
  discoveryServices: {
    pattern: /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    rule: "one DNS label of 1-63 lower-case letters, digits or hyphens",
  },
};

export function defaultName(stack: string, kind: NamedKind, logical: string): string {
  switch (kind) {
    case "logGroups":
      return `/reconcile/${stack}/${logical}`;
    case "discoveryServices":
      return logical;
    default:
      return `${stack}-${logical}`;
  }
}

export function explicitName(spec: Spec, kind: NamedKind, logical: string): string | undefined {
  if (kind === "taskDefinitions") return spec.taskDefinitions[logical]?.family;
  if (kind === "securityGroups") return spec.securityGroups[logical]?.name;
  const entry = spec[kind][logical] as { name?: string } | undefined;
  return entry?.name;
}

export function physicalName(spec: Spec, kind: NamedKind, logical: string): string {
  return explicitName(spec, kind, logical) ?? defaultName(spec.stack, kind, logical);
}
