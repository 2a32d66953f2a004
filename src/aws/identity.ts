import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { AwsClients } from "./clients.js";
import { endpointOfRequest } from "./middleware.js";

/** Who the credentials are and where the calls go: one STS GetCallerIdentity. */
export interface CallerIdentity {
  /** Absent when STS did not answer. */
  account?: string;
  arn?: string;
  /** Why STS did not answer: the action and AWS's (or the network's) error. */
  error?: string;
  /** The endpoint the call was sent to, as the SDK resolved it (`--endpoint`, AWS_ENDPOINT_URL…, or AWS's own). */
  endpoint?: string;
}

/** Hosts of AWS's own endpoints: anything else is an emulator, a proxy or a mistake, and a plan says so. */
const AWS_HOSTS = /(^|\.)(amazonaws\.com|amazonaws\.com\.cn|api\.aws)$/i;

export const isAwsEndpoint = (endpoint: string): boolean => {
  try {
    return AWS_HOSTS.test(new URL(endpoint).hostname);
  } catch {
    return false;
  }
};

/** The account an ARN names (`arn:aws:ecs:us-east-1:123456789012:cluster/x`), if it names one. */
export const accountOfArn = (arn: string): string | undefined => /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(arn)?.[1];

/** The account and endpoint of these clients. Never throws: a failure is reported in `error`. */
export async function callerIdentity(clients: AwsClients): Promise<CallerIdentity> {
  const command = new GetCallerIdentityCommand({});
  let endpoint: string | undefined;
  // The request as built, before it is sent: the endpoint is known even when the call then fails.
  command.middlewareStack.add(
    (next) => async (args) => {
      endpoint = endpointOfRequest(args.request) ?? endpoint;
      return next(args);
    },
    { step: "finalizeRequest", name: "reconcileEndpointOfIdentity" },
  );
  try {
    const answer = await clients.sts.send(command);
    return { ...(answer.Account && { account: answer.Account }), ...(answer.Arn && { arn: answer.Arn }), ...(endpoint && { endpoint }) };
  } catch (error) {
    const e = error as Error;
    return { error: `sts GetCallerIdentity: ${e.name}: ${e.message}`, ...(endpoint && { endpoint }) };
  }
}
