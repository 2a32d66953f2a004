/** The parts of an ARN. */
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
