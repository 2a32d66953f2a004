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

/**
 * Each ARN's tags: as the Tagging API lists them (the one query per plan), else as `readUnlisted` reads them for the
 * ARNs it does not list (a type an emulator's Tagging API leaves out, or a resource tagged a moment ago). An ARN
 * neither finds is left out. The ARNs may still be being listed: the Tagging API is asked meanwhile.
 */
export async function tagsOf(
  ctx: Context,
  arns: readonly string[] | Promise<readonly string[]>,
  readUnlisted: (arns: string[]) => Promise<ReadonlyMap<string, Tags>>,
): Promise<Map<string, Tags>> {
  const [tagged, wanted] = await Promise.all([findTaggedResources(ctx), arns]);
  const listed = new Map(tagged.map((r) => [r.arn, r.tags]));
  const found = new Map(wanted.flatMap((arn) => (listed.has(arn) ? [[arn, listed.get(arn)!] as const] : [])));
  const unlisted = wanted.filter((arn) => !found.has(arn));
  if (unlisted.length > 0) for (const [arn, tags] of await readUnlisted(unlisted)) found.set(arn, tags);
  return found;
}

/**
 * Pages come one after the other, so each is as large as the API allows: pages are cut at TagsPerPage tags (100
 * unless set, 500 at most; moto cuts there too), which at a stack's four or five tags a resource is some 20 resources
 * a page. (ResourcesPerPage is left out: AWS documents TagsPerPage as its alternative, not as a companion.)
 */
async function queryTaggedResources(ctx: Context): Promise<TaggedResource[]> {
  const found: TaggedResource[] = [];
  const pages = paginateGetResources(
    { client: ctx.clients.tagging },
    { TagFilters: [{ Key: STACK_TAG, Values: [ctx.stack] }], TagsPerPage: 500 },
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
