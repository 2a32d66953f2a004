import { ApplicationAutoScalingClient } from "@aws-sdk/client-application-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
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

/**
 * Every client the tool uses: its constructor, and the service's id in call stats and error messages (as AWS
 * names the service in its endpoints and IAM actions).
 */
const CLIENTS = {
  ecs: [ECSClient, "ecs"],
  elbv2: [ElasticLoadBalancingV2Client, "elasticloadbalancing"],
  iam: [IAMClient, "iam"],
  logs: [CloudWatchLogsClient, "logs"],
  ec2: [EC2Client, "ec2"],
  autoScaling: [ApplicationAutoScalingClient, "application-autoscaling"],
  serviceDiscovery: [ServiceDiscoveryClient, "servicediscovery"],
  cloudWatch: [CloudWatchClient, "monitoring"],
  sts: [STSClient, "sts"],
  /** The stacks' leases (src/aws/lease.ts). */
  dynamodb: [DynamoDBClient, "dynamodb"],
  /** The Resource Groups Tagging API: finds a stack's resources of most kinds in one paged call. */
  tagging: [ResourceGroupsTaggingAPIClient, "tagging"],
} as const;

type ClientName = keyof typeof CLIENTS;

export type AwsClients = { readonly [K in ClientName]: InstanceType<(typeof CLIENTS)[K][0]> } & {
  readonly options: Readonly<AwsOptions>;
  /** Closes the sockets of every client created so far. */
  destroy(): void;
};

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
  const created = new Map<ClientName, { destroy(): void }>();
  const make = (name: ClientName) => {
    const [Client, service] = CLIENTS[name];
    const client = new Client(config) as { middlewareStack: MiddlewareStack<object, MetadataBearer>; destroy(): void };
    client.middlewareStack.use(callPlugin({ service, retry, ...(opts.stats !== undefined && { stats: opts.stats }) }));
    return client;
  };
  const clients = {
    options: Object.freeze({ ...opts }),
    destroy() {
      for (const client of created.values()) client.destroy();
      created.clear();
    },
  };
  // One getter per client, each made on first use.
  for (const name of Object.keys(CLIENTS) as ClientName[]) {
    Object.defineProperty(clients, name, {
      enumerable: true,
      get() {
        if (!created.has(name)) created.set(name, make(name));
        return created.get(name);
      },
    });
  }
  return clients as AwsClients;
}
