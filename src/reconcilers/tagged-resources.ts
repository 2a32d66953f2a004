import { paginateGetResources } from "@aws-sdk/client-resource-groups-tagging-api";
import { fromTagList } from "./diff-helpers.js";
import { parseArn, type ParsedArn } from "./arns.js";
import { sharedRead, STACK_TAG, type Context, type Tags } from "./contract.js";

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

async function queryTaggedResources(ctx: Context): Promise<TaggedResource[]> {
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
