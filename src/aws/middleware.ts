import type { FinalizeHandlerOutput, FinalizeRequestMiddleware, HandlerExecutionContext, MetadataBearer, Pluggable } from "@smithy/types";
import { annotateAwsError, classifyAwsError } from "./errors.js";
import { policyFor, withRetry, type RetryPolicy } from "./retry.js";
import { retryCheckOf } from "./retry-check.js";
import type { CallStats } from "./stats.js";

export interface CallMiddlewareOptions {
  /** The service id used in the call stats and in error messages: `iam`, `ec2`, `elasticloadbalancing`, … */
  service: string;
  stats?: CallStats;
  /** Our retry policy, with the SDK's own retry off (maxAttempts 1); `false`: the SDK retries as configured. */
  retry: RetryPolicy | false;
}

export const CALL_MIDDLEWARE_NAME = "reconcileCalls";

interface RequestUrl {
  protocol?: string;
  hostname?: string;
  port?: number;
}

/** Where a request built by the SDK goes: `http://127.0.0.1:5000`, `https://sts.us-east-1.amazonaws.com`. */
export function endpointOfRequest(request: unknown): string | undefined {
  const { protocol, hostname, port } = (request ?? {}) as RequestUrl;
  return hostname ? `${protocol ?? "https:"}//${hostname}${port ? `:${port}` : ""}` : undefined;
}

const actionOf = (context: HandlerExecutionContext): string => context.commandName?.replace(/Command$/, "") || "Unknown";

/** Puts our attempt count where the SDK keeps its own, so that `$metadata.attempts` means the same either way. */
function setAttempts(target: unknown, attempts: number): void {
  if (typeof target !== "object" || target === null || !Object.isExtensible(target)) return;
  const bearer = target as Partial<MetadataBearer>;
  if (bearer.$metadata) bearer.$metadata.attempts = attempts;
  else bearer.$metadata = { attempts };
}

/**
 * Counts each call and its attempts, retries under one policy, and rethrows the SDK's own error object with
 * `service`, `action` and `errorClass` attached (non-enumerable): `instanceof`, `e.name` and awsErrorIs keep working.
 */
export function callMiddleware<Input extends object, Output extends MetadataBearer>({
  service,
  stats,
  retry,
}: CallMiddlewareOptions): FinalizeRequestMiddleware<Input, Output> {
  return (next, context) => async (args) => {
    const action = actionOf(context);
    const classify = (error: unknown) => classifyAwsError(error, action);
    stats?.recordCall(service, action);
    const endpoint = endpointOfRequest(args.request);
    if (endpoint) stats?.recordEndpoint(endpoint);
    let attempts = 0;
    try {
      let result: FinalizeHandlerOutput<Output>;
      if (retry === false) {
        // The SDK's retry middleware runs inside this one and reports its attempts in $metadata.
        try {
          result = await next(args);
          attempts = result.output.$metadata.attempts ?? 1;
        } catch (error) {
          attempts = (error as Partial<MetadataBearer>).$metadata?.attempts ?? 1;
          throw error;
        } finally {
          stats?.recordAttempts(service, action, attempts);
        }
      } else {
        const tookEffect = retryCheckOf(args.input);
        result = await withRetry(
          async (attempt) => {
            const earlier = attempt > 1 && tookEffect ? await tookEffect() : undefined;
            if (earlier) return { output: { ...earlier, $metadata: {} } as Output, response: {} };
            attempts++;
            stats?.recordAttempts(service, action);
            return next(args);
          },
          policyFor(action, retry),
          { classify },
        );
      }
      setAttempts(result.output, attempts);
      return result;
    } catch (error) {
      setAttempts(error, attempts);
      annotateAwsError(error, { service, action, errorClass: classify(error) });
      throw error;
    }
  };
}

/**
 * Installs the middleware on a client. It sits in the finalizeRequest step, just outside the SDK's retry
 * middleware, rather than at initialize: there the request is already serialized, so every attempt sends the
 * same body, idempotency tokens included (Cloud Map's CreatorRequestId, EC2's ClientToken are generated at
 * serialization), and it is signed afresh for each attempt as the SDK's own retries are.
 */
export function callPlugin<Input extends object, Output extends MetadataBearer>(options: CallMiddlewareOptions): Pluggable<Input, Output> {
  return {
    applyToStack(stack) {
      stack.addRelativeTo(callMiddleware<Input, Output>(options), {
        name: CALL_MIDDLEWARE_NAME,
        relation: "before",
        toMiddleware: "retryMiddleware",
        override: true,
      });
    },
  };
}
