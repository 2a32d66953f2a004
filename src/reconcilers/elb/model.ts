/** What the ELBv2 kinds share and is pure: attributes as a map, and the ARN suffixes CloudWatch names them by. */

/** ELBv2 attributes arrive as a list of key/value strings. */
export function attributeMap(list: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const a of list ?? []) if (a.Key !== undefined) map[a.Key] = a.Value ?? "";
  return map;
}

export const attributeList = (map: Record<string, string>) => Object.entries(map).map(([Key, Value]) => ({ Key, Value }));

/** The part of an ELBv2 ARN after the resource type, which CloudWatch uses as a dimension: `app/web/50dc6c495c0c9188`. */
export function arnSuffix(arn: string): string {
  const at = arn.indexOf(":loadbalancer/") >= 0 ? arn.indexOf(":loadbalancer/") + ":loadbalancer/".length : arn.lastIndexOf(":") + 1;
  return arn.slice(at);
}
