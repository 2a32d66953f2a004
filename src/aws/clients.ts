import { ApplicationAutoScalingClient } from "@aws-sdk/client-application-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECSClient, type ECSClientConfig } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { IAMClient } from "@aws-sdk/client-iam";
import { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { ServiceDiscoveryClient } from "@aws-sdk/client-servicediscovery";
import { STSClient } from "@aws-sdk/client-sts";
import type { MetadataBearer, MiddlewareStack } from "@smithy/types";
import { callPlugin } from "./middleware.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";
import type { CallStats } from "./stats.js";

/** Static credentials or a provider of them, as every SDK v3 client accepts. */
export type AwsCredentials = NonNullable<ECSClientConfig["credentials"]>;

export interface AwsOptions {
  region: string;
  /** A profile of the shared config/credentials files; without it the SDK's default chain (AWS_PROFILE, env, …) applies. */
  profile?: string;
  /**
   * One endpoint for every service (e.g. a moto server). Without it the SDK applies
   * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> itself, then the regional AWS endpoints.
   */
  endpoint?: string;
  credentials?: AwsCredentials;
  /**
   * Attempts per call, first one included. Under our retry policy it caps the policy's attempts (tests against
   * moto use 1 or 2, so that an unimplemented action, answered with HTTP 500, fails at once); with
   * `retry: false` it is the SDK's own setting (SDK default: 3).
   */
  maxAttempts?: number;
  /** Every call of every client is counted here, by service and action. */
  stats?: CallStats;
  /**
   * How failed calls are retried: our policy (default DEFAULT_RETRY_POLICY), which only retries errors
   * classified `retryable` and replaces the SDK's retry; or `false` to leave retrying to the SDK.
   */
  retry?: RetryPolicy | false;
}

export interface AwsClients {
  readonly ecs: ECSClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly iam: IAMClient;
  readonly logs: CloudWatchLogsClient;
  readonly ec2: EC2Client;
  readonly autoScaling: ApplicationAutoScalingClient;
  readonly serviceDiscovery: ServiceDiscoveryClient;
  readonly cloudWatch: CloudWatchClient;
  readonly sts: STSClient;
  /** The Resource Groups Tagging API: finds a stack's resources of most kinds in one paged call. */
  readonly tagging: ResourceGroupsTaggingAPIClient;
  readonly options: Readonly<AwsOptions>;
  /** Closes the sockets of every client created so far. */
  destroy(): void;
}

/** The retry policy in force: the given or default one, with at most `maxAttempts` attempts when that is set. */
function effectiveRetry(opts: AwsOptions): RetryPolicy | false {
  const policy = opts.retry ?? DEFAULT_RETRY_POLICY;
  if (policy === false || opts.maxAttempts === undefined) return policy;
  const cap = (retries: number) => Math.max(0, Math.min(retries, opts.maxAttempts! - 1));
  return {
    ...policy,
    retries: cap(policy.retries),
    ...(policy.deletions && { deletions: { ...policy.deletions, retries: cap(policy.deletions.retries) } }),
  };
}

/** Creates each client on first use, all sharing one configuration and one call middleware (stats, retry, errors). */
export function createClients(opts: AwsOptions): AwsClients {
  const retry = effectiveRetry(opts);
  // With our policy in force the SDK makes one attempt per request, so that one policy decides and every attempt is counted once.
  const maxAttempts = retry === false ? opts.maxAttempts : 1;
  const config = {
    region: opts.region,
    ...(opts.profile !== undefined && { profile: opts.profile }),
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
    ...(opts.credentials !== undefined && { credentials: opts.credentials }),
    ...(maxAttempts !== undefined && { maxAttempts }),
  };
  const created = new Map<string, { destroy(): void }>();
  const lazy = <T extends { destroy(): void }>(key: string, make: () => T): T => {
    let client = created.get(key) as T | undefined;
    if (!client) {
      client = make();
      created.set(key, client);
    }
    return client;
  };
  /** `service`: the id in call stats and error messages, as AWS names the service in its endpoints and IAM actions. */
  const instrumented = <I extends object, O extends MetadataBearer, C extends { middlewareStack: MiddlewareStack<I, O> }>(
    client: C & { middlewareStack: MiddlewareStack<I, O> },
    service: string,
  ): C => {
    client.middlewareStack.use(callPlugin<I, O>({ service, retry, ...(opts.stats !== undefined && { stats: opts.stats }) }));
    return client;
  };

  return {
    get ecs() {
      return lazy("ecs", () => instrumented(new ECSClient(config), "ecs"));
    },
    get elbv2() {
      return lazy("elbv2", () => instrumented(new ElasticLoadBalancingV2Client(config), "elasticloadbalancing"));
    },
    get iam() {
      return lazy("iam", () => instrumented(new IAMClient(config), "iam"));
    },
    get logs() {
      return lazy("logs", () => instrumented(new CloudWatchLogsClient(config), "logs"));
    },
    get ec2() {
      return lazy("ec2", () => instrumented(new EC2Client(config), "ec2"));
    },
    get autoScaling() {
      return lazy("autoScaling", () => instrumented(new ApplicationAutoScalingClient(config), "application-autoscaling"));
    },
    get serviceDiscovery() {
      return lazy("serviceDiscovery", () => instrumented(new ServiceDiscoveryClient(config), "servicediscovery"));
    },
    get cloudWatch() {
      return lazy("cloudWatch", () => instrumented(new CloudWatchClient(config), "monitoring"));
    },
    get sts() {
      return lazy("sts", () => instrumented(new STSClient(config), "sts"));
    },
    get tagging() {
      return lazy("tagging", () => instrumented(new ResourceGroupsTaggingAPIClient(config), "tagging"));
    },
    options: Object.freeze({ ...opts }),
    destroy() {
      for (const client of created.values()) client.destroy();
      created.clear();
    },
  };
}
