import type { CreateLogGroupRequest, LogGroup } from "@aws-sdk/client-cloudwatch-logs";
import { physicalName } from "../../../schema/names.js";
import type { Spec } from "../../../schema/spec.js";
import { diffField, diffTags, tagChange, type TagChange } from "../../diff-helpers.js";
import { desiredNode, ownedTags, type DesiredNode, type Diff, type Observed, type Tags } from "../../contract.js";

export interface LogGroupDesired {
  name: string;
  /** null: events never expire (what leaving it out of the spec means, so it is enforced). */
  retentionDays: number | null;
  /** null: no customer-managed key (enforced too). */
  kmsKeyId: string | null;
  tags: Tags;
}

export interface ObservedLogGroup extends Observed {
  retentionDays: number | null;
  kmsKeyId: string | null;
}

/**
 * What update does: each setting that differs, with its desired value, and the tags to write. A retention of
 * null is DeleteRetentionPolicy, a number PutRetentionPolicy; a key of null is DisassociateKmsKey, an ARN
 * AssociateKmsKey. An absent setting is left as it is.
 */
export interface LogGroupChange extends Partial<Pick<LogGroupDesired, "retentionDays" | "kmsKeyId">> {
  tags: TagChange;
}

export function logGroupNodes(spec: Spec): DesiredNode<LogGroupDesired>[] {
  return Object.entries(spec.logGroups).map(([logical, entry]) => {
    const name = physicalName(spec, "logGroups", logical);
    return desiredNode({
      kind: "logGroups",
      logical,
      name,
      dependsOn: [],
      adopt: entry.adopt ?? false,
      build: () => ({
        name,
        retentionDays: entry.retentionDays ?? null,
        kmsKeyId: entry.kmsKeyId ?? null,
        tags: ownedTags(spec, "logGroups", logical, entry.tags),
      }),
    });
  });
}

/** The group's ARN as TagResource and ListTagsForResource take it: DescribeLogGroups' `arn` ends in `:*`. */
export const arnOf = (group: LogGroup): string => group.logGroupArn ?? group.arn!.replace(/:\*$/, "");

export function observedLogGroup(group: LogGroup, tags: Tags): ObservedLogGroup {
  return {
    name: group.logGroupName!,
    id: arnOf(group),
    tags,
    retentionDays: group.retentionInDays ?? null,
    kmsKeyId: group.kmsKeyId ?? null,
  };
}

export function diffLogGroup(desired: LogGroupDesired, observed: ObservedLogGroup): Diff<LogGroupChange> {
  const retention = diffField("retentionDays", observed.retentionDays, desired.retentionDays);
  const key = diffField("kmsKeyId", observed.kmsKeyId, desired.kmsKeyId);
  return {
    lines: [...retention, ...key, ...diffTags(desired.tags, observed.tags)],
    change: {
      ...(retention.length > 0 && { retentionDays: desired.retentionDays }),
      ...(key.length > 0 && { kmsKeyId: desired.kmsKeyId }),
      tags: tagChange(desired.tags, observed.tags),
    },
  };
}

/** The ownership tags go in the create call itself; the retention cannot, and follows with PutRetentionPolicy. */
export function createLogGroupRequest(desired: LogGroupDesired): CreateLogGroupRequest {
  return { logGroupName: desired.name, ...(desired.kmsKeyId !== null && { kmsKeyId: desired.kmsKeyId }), tags: desired.tags };
}
