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
  /** Attempts per call, first one included (SDK default: 3). */
  maxAttempts?: number;
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

/** Creates each client on first use, all sharing one configuration. */
export function createClients(opts: AwsOptions): AwsClients {
  const config = {
    region: opts.region,
    ...(opts.profile !== undefined && { profile: opts.profile }),
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
    ...(opts.credentials !== undefined && { credentials: opts.credentials }),
    ...(opts.maxAttempts !== undefined && { maxAttempts: opts.maxAttempts }),
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

  return {
    get ecs() {
      return lazy("ecs", () => new ECSClient(config));
    },
    get elbv2() {
      return lazy("elbv2", () => new ElasticLoadBalancingV2Client(config));
    },
    get iam() {
      return lazy("iam", () => new IAMClient(config));
    },
    get logs() {
      return lazy("logs", () => new CloudWatchLogsClient(config));
    },
    get ec2() {
      return lazy("ec2", () => new EC2Client(config));
    },
    get autoScaling() {
      return lazy("autoScaling", () => new ApplicationAutoScalingClient(config));
    },
    get serviceDiscovery() {
      return lazy("serviceDiscovery", () => new ServiceDiscoveryClient(config));
    },
    get cloudWatch() {
      return lazy("cloudWatch", () => new CloudWatchClient(config));
    },
    get sts() {
      return lazy("sts", () => new STSClient(config));
    },
    get tagging() {
      return lazy("tagging", () => new ResourceGroupsTaggingAPIClient(config));
    },
    options: Object.freeze({ ...opts }),
    destroy() {
      for (const client of created.values()) client.destroy();
      created.clear();
    },
  };
}
