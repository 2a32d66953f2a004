import { paginateGetResources } from "@aws-sdk/client-resource-groups-tagging-api";
import { fromTagList } from "./diff-helpers.js";
import { sharedRead, STACK_TAG, type Context, type Tags } from "./types.js";

export interface TaggedResource {
  arn: string;
  tags: Tags;
}

/**
 * Every resource of the region tagged as this stack's, of any kind, from the Resource Groups Tagging API:
 * queried once per plan, whichever kinds ask. AWS answers for resources "tagged or previously tagged", so a
 * resource deleted a moment ago may still be listed: each kind confirms its candidates with its own describe
 * call before reporting them.
 */
export function findTaggedResources(ctx: Context): Promise<TaggedResource[]> {
  return sharedRead(ctx, "taggedResources", () => queryTaggedResources(ctx));
}

/** The same query made afresh, for a write that must see what this run has just created. */
export async function queryTaggedResources(ctx: Context): Promise<TaggedResource[]> {
  const found: TaggedResource[] = [];
  const pages = paginateGetResources(
    { client: ctx.clients.tagging },
    { TagFilters: [{ Key: STACK_TAG, Values: [ctx.stack] }], ResourcesPerPage: 100 },
  );
  for await (const page of pages) {
    for (const mapping of page.ResourceTagMappingList ?? []) {
      if (mapping.ResourceARN) found.push({ arn: mapping.ResourceARN, tags: fromTagList(mapping.Tags) });
    }
  }
  return found;
}

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  /** `log-group`, `loadbalancer`, `targetgroup`, `service`, `namespace`, …; empty when the ARN has none. */
  resourceType: string;
  /** What follows the type: `/reconcile/demo/app` for a log group, `app/web/50dc6c495c0c9188` for a load balancer. */
  resource: string;
}

/** `arn:partition:service:region:account:type/id` or `…:type:id`; undefined for anything else. */
export function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  const rest = parts.slice(5).join(":");
  const cut = [rest.indexOf("/"), rest.indexOf(":")].filter((i) => i >= 0);
  if (cut.length === 0) return { partition, service, region, account, resourceType: "", resource: rest };
  const at = Math.min(...cut);
  return { partition, service, region, account, resourceType: rest.slice(0, at), resource: rest.slice(at + 1) };
}

/**
 * The resources of one service and resource type, told apart by their ARNs rather than by the API's
 * ResourceTypeFilters, whose type names emulators do not always share with AWS.
 */
export function resourcesOfType(
  resources: readonly TaggedResource[],
  service: string,
  resourceType: string,
): Array<TaggedResource & { parsed: ParsedArn }> {
  return resources.flatMap((r) => {
    const parsed = parseArn(r.arn);
    return parsed?.service === service && parsed.resourceType === resourceType ? [{ ...r, parsed }] : [];
  });
}
