/**
 * A deployment that failed is remembered on the service itself, in one tag, so that the next run (a cron loop's, every
 * few minutes) does not deploy the same content again: AWS is the only state. The tag names the content by its
 * fingerprint; a run whose spec gives another fingerprint deploys, one with the same is held until the content
 * changes or the run retries failed deployments. Pure: the calls are in index.ts.
 *
 * The fingerprint covers what the spec says the deployment carries: the service's task definition entry and the
 * service entry itself (network, load balancers, deployment settings…), as loaded (variables interpolated), minus
 * what starts no deployment or is the tool's bookkeeping (the count and its auto scaling, tags, `adopt`, a task
 * definition's `keepRevisions`). Not only the task definition: a deployment fails as often for the service's own
 * settings (a container port the target group checks, a public IP the image pull needs), and a fix there must deploy.
 * Other resources the tasks use (roles, security group rules, a target group's health check) are not in it: after a
 * fix there, a run with retryFailed (`--retry-failed`) deploys again.
 */
import type { Spec } from "../../../schema/spec.js";
import type { Tags } from "../../contract.js";
import { fingerprint } from "../../fingerprint.js";

/** `<fingerprint> <when, ISO 8601 to the second> <AWS's reason>`: the tool's own bookkeeping, never drift. */
export const FAILED_DEPLOYMENT_TAG = "reconcile:failed-deployment";

/** What the tag records. */
export interface FailedDeployment {
  fingerprint: string;
  /** When the failure was recorded (ISO 8601); absent if the tag was edited by hand into another shape. */
  at?: string;
  reason: string;
}

type ServiceEntry = Spec["services"][string];

/** 16 hex digits (64 bits) of a SHA-256: enough to tell one content from the next, short enough to read. */
const FINGERPRINT_LENGTH = 16;

export function contentFingerprint(spec: Spec, entry: ServiceEntry): string {
  const { desiredCount: _count, autoScaling: _scaling, tags: _tags, adopt: _adopt, ...service } = entry;
  const taskDefinition = spec.taskDefinitions[entry.taskDefinition];
  const { tags: _taskTags, adopt: _taskAdopt, keepRevisions: _keep, ...task } = taskDefinition ?? {};
  return fingerprint({ service, taskDefinition: task }, FINGERPRINT_LENGTH);
}

/** ECS tag values: at most 256 characters, of letters, digits, spaces and `_ . : / = + - @`. */
const TAG_VALUE_MAX = 256;
const NOT_ALLOWED = /[^A-Za-z0-9 _.:/=+\-@]+/g;

/** The tag's value: what failed, when, and why (AWS's reason, with what ECS tags cannot hold replaced by spaces). */
export function failedDeploymentTagValue(fingerprint: string, at: Date, reason: string): string {
  const when = at.toISOString().replace(/\.\d+Z$/, "Z");
  const why = reason.replace(NOT_ALLOWED, " ").replace(/\s+/g, " ").trim();
  return `${fingerprint} ${when} ${why}`.slice(0, TAG_VALUE_MAX).trimEnd();
}

export function failedDeploymentOf(tags: Tags): FailedDeployment | undefined {
  const value = tags[FAILED_DEPLOYMENT_TAG]?.trim();
  if (!value) return undefined;
  const [fingerprint = "", at, ...reason] = value.split(" ");
  const dated = at !== undefined && !Number.isNaN(Date.parse(at));
  return {
    fingerprint,
    ...(dated && { at }),
    reason: [...(dated || at === undefined ? [] : [at]), ...reason].join(" "),
  };
}

/** The tags as the spec's tags are compared with: without the failure record, which the diff never sets or removes. */
export function withoutFailureRecord(tags: Tags): Tags {
  const { [FAILED_DEPLOYMENT_TAG]: _record, ...rest } = tags;
  return rest;
}

/** Why a deployment of this content is not made again, or undefined when the last failure was of other content. */
export function heldBecause(fingerprint: string, failed: FailedDeployment | undefined): string | undefined {
  if (failed?.fingerprint !== fingerprint) return undefined;
  const when = failed.at ? ` at ${failed.at}` : "";
  const why = failed.reason ? `: ${failed.reason}` : "";
  return (
    `the deployment of this content (fingerprint ${fingerprint}) failed${when}${why}. ` +
    "It is not deployed again until the service's or its task definition's entry in the spec changes, or a run retries it (--retry-failed)"
  );
}
