export { createClients, type AwsClients, type AwsCredentials, type AwsOptions } from "./clients.js";
export {
  annotateAwsError,
  awsErrorCode,
  awsErrorIs,
  classifyAwsError,
  describeAwsError,
  formatAwsError,
  isNotFound,
  type AwsCallAnnotation,
  type AwsErrorDescription,
  type ErrorClass,
} from "./errors.js";
export {
  acquireLease,
  currentHolder,
  DEFAULT_LEASE_MS,
  describeLease,
  LeaseLostError,
  LOCK_TABLE,
  LockHeldError,
  removeLease,
  type Lease,
  type LeaseHolder,
  type LeaseInfo,
  type LeaseOptions,
} from "./lease.js";
export { CALL_MIDDLEWARE_NAME, callMiddleware, callPlugin, type CallMiddlewareOptions } from "./middleware.js";
export { probeServices, type ProbeResult } from "./probe.js";
export { checkBeforeRetry, type TookEffect } from "./retry-check.js";
export { DEFAULT_RETRY_POLICY, withRetry, type FailedAttempt, type RetryHooks, type RetryPolicy } from "./retry.js";
export { CallStats, isWriteAction } from "./stats.js";
