/**
 * What an AWS error means for the caller. `notFound` and `conflict` are answers a reconciler may act on
 * (absent; already there); `retryable` is worth another attempt after a pause; `terminal` is not.
 */
export type ErrorClass = "notFound" | "conflict" | "retryable" | "terminal";

/** What the SDK (or Node's network layer) puts on the errors it throws; everything optional. */
interface ErrorShape {
  name?: unknown;
  /** The wire error code on errors of the query protocols (IAM, ELBv2, STS, EC2), e.g. `NoSuchEntity`. */
  Code?: unknown;
  /** Node's system error code, e.g. `ECONNRESET`. */
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number; clockSkewCorrected?: boolean };
  service?: unknown;
  action?: unknown;
  errorClass?: unknown;
}

const THROTTLING = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "PriorRequestNotComplete",
  "ProvisionedThroughputExceededException",
]);

const SERVER_FAULTS = new Set(["InternalFailure", "InternalError", "ServiceUnavailable", "InternalServerError"]);

const TIMEOUTS = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException"]);

/**
 * A connection dropped or timed out. ECONNREFUSED is left out on purpose: nothing listens there (a wrong
 * endpoint), which waiting does not fix; AWS endpoints do not refuse connections.
 */
const NETWORK_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN"]);

/** Another request is changing the same object right now: each API's reference says to try again. */
const CONCURRENT_CHANGE = new Set([
  "ConcurrentModification", // IAM: "multiple requests to change this object were submitted simultaneously"
  "EntityTemporarilyUnmodifiable", // IAM: "an entity that is temporarily unmodifiable, such as a user name that was deleted and then recreated"
  "OperationAbortedException", // CloudWatch Logs: "multiple concurrent requests to update the same resource were in conflict"
  "ConcurrentUpdateException", // Application Auto Scaling: "an update to a resource that already has a pending update"
]);

/**
 * AWS's eventual consistency: the error names something that a call just made has not yet reached
 * (IAM changes, ENIs, listeners and instances being released). Each is documented by AWS or retried the same
 * way by Terraform's AWS provider; all of them clear within its 2-minute propagation window, or not at all.
 */
function isEventuallyConsistent(code: string, message: string): boolean {
  switch (code) {
    // EC2: a security group still referenced by ENIs of a load balancer or task being deleted
    // (Terraform retries DeleteSecurityGroup on both codes).
    case "DependencyViolation":
    case "InvalidGroup.InUse":
      return true;
    // ELBv2: "Target group ... is currently in use by a listener or a rule" right after the listener or load
    // balancer went away (Terraform retries DeleteTargetGroup on it). Cloud Map: a service whose instances ECS
    // is still deregistering, or a namespace whose services are still being deleted. The wire code only: ECS's
    // ResourceInUseException (a capacity provider in use) is not transient.
    case "ResourceInUse":
      return true;
    // ECS: a cluster whose last service has just gone INACTIVE may still hold its stopping tasks for a while
    // (Terraform retries DeleteCluster on both).
    case "ClusterContainsServicesException":
    case "ClusterContainsTasksException":
      return true;
    // ECS: a cluster's capacity provider attachments are still being updated (right after CreateCluster or
    // another PutClusterCapacityProviders); the change is refused until they settle.
    case "UpdateInProgressException":
      return true;
    // ECS validates the roles and target groups it is given through IAM and ELB, which may not see a role or
    // listener created seconds ago: "Unable to assume role and validate the specified targetGroupArn",
    // "Unable to assume the service linked role", "The target group ... does not have an associated load balancer".
    case "InvalidParameterException":
    case "ClientException":
      return /unable to assume (the )?(service linked )?role|does not have an associated load balancer/i.test(message);
    // IAM resolves each principal of a trust policy when it is saved; a role created a moment ago is not yet
    // resolvable: "Invalid principal in policy" (see the IAM guide, "Changes that I make are not always
    // immediately visible").
    case "MalformedPolicyDocument":
    case "MalformedPolicyDocumentException":
      return /invalid principal/i.test(message);
    default:
      return false;
  }
}

const isNotFoundCode = (code: string): boolean => /^NoSuch/.test(code) || /NotFound(Exception)?$/.test(code);

/** Already there, or (DynamoDB's ConditionalCheckFailed) not as the write required: sending it again changes nothing. */
const isConflictCode = (code: string): boolean =>
  /AlreadyExists/.test(code) || /^Duplicate|\.Duplicate$/.test(code) || /Conflict/.test(code) || /^ConditionalCheckFailed/.test(code);

/**
 * Actions whose caller takes "not found" as success (the thing is already gone). Any other write that is told
 * a resource does not exist has most likely raced AWS's eventual consistency: EC2 documents that a resource
 * just created may not be visible to the next call ("Eventual consistency in the Amazon EC2 API"), and an
 * ECS CreateService can miss a cluster created a moment before (Terraform retries ClusterNotFoundException).
 */
const REMOVAL = /^(Delete|Deregister|Revoke|Detach|Remove|Untag|Disassociate)/;
const READ = /^(Describe|List|Get)/;
/**
 * DynamoDB's item writes answer ResourceNotFoundException when the table does not exist or is not ACTIVE yet:
 * waiting does not make a table; whoever writes there creates it or waits for it (src/aws/lease.ts does both).
 */
const TABLE_ITEM_WRITE = /^(PutItem|UpdateItem)$/;

const shapeOf = (error: unknown): ErrorShape => (typeof error === "object" && error !== null ? (error as ErrorShape) : {});
const str = (value: unknown): string => (typeof value === "string" ? value : "");

/**
 * Every name the error goes by. The SDK names a modelled error after its shape, which for the query protocols
 * differs from the code on the wire and in AWS's documentation: IAM's `NoSuchEntity` arrives as
 * `name: "NoSuchEntityException"` with `Code: "NoSuchEntity"`, ELBv2's `ResourceInUse` as
 * `ResourceInUseException`. JSON protocols (ECS, Logs, Cloud Map) and EC2 use the wire code as the name.
 */
function codesOf(error: unknown): string[] {
  const e = shapeOf(error);
  const codes = [str(e.Code), str(e.code), str(e.name)].filter((code) => code !== "" && code !== "Error");
  return [...new Set(codes)];
}

/** The error's code as AWS documents it (`NoSuchEntity`, `InvalidGroup.NotFound`), or Node's (`ECONNRESET`). */
export function awsErrorCode(error: unknown): string {
  return codesOf(error)[0] ?? "Error";
}

/**
 * Whether the error is AWS's `code`, by its wire code or by the SDK's name for it (`code` or `code` + "Exception"):
 * `awsErrorIs(e, "NoSuchEntity")` holds for IAM's NoSuchEntityException, whichever way it was built.
 */
export function awsErrorIs(error: unknown, ...codes: string[]): boolean {
  const own = codesOf(error);
  return codes.some((code) => own.includes(code) || own.includes(`${code}Exception`));
}

/**
 * The resource a call named does not exist (NoSuchEntity, *NotFound, *NotFoundException): the one test every
 * kind uses, so that "already gone" means the same for each. Some APIs answer a missing resource otherwise (an
 * empty list, a code that also means something else): those stay with their kind.
 */
export const isNotFound = (error: unknown): boolean => codesOf(error).some(isNotFoundCode);

function isNetworkFailure(error: unknown, depth = 0): boolean {
  const e = shapeOf(error);
  if (NETWORK_CODES.has(str(e.code)) || /socket hang up/i.test(str(e.message))) return true;
  return e.cause !== undefined && depth < 5 && isNetworkFailure(e.cause, depth + 1);
}

/**
 * Classifies an error thrown by an SDK call. With `action` (the AWS action that failed), a "not found" from a
 * write that is not a removal counts as retryable: see REMOVAL above.
 */
export function classifyAwsError(error: unknown, action?: string): ErrorClass {
  const e = shapeOf(error);
  const codes = codesOf(error);
  const message = str(e.message);
  const status = e.$metadata?.httpStatusCode;
  const any = (test: (code: string) => boolean) => codes.some(test);
  const named = (set: ReadonlySet<string>) => any((code) => set.has(code) || set.has(code.replace(/Exception$/, "")));

  if (e.$retryable !== undefined && e.$retryable !== null) return "retryable"; // modelled @retryable in the API
  if (e.$metadata?.clockSkewCorrected) return "retryable"; // the SDK has just corrected its clock; a new signature will pass
  if (named(THROTTLING) || status === 429) return "retryable";
  if (named(TIMEOUTS) || isNetworkFailure(error)) return "retryable";
  if (named(SERVER_FAULTS) || named(CONCURRENT_CHANGE)) return "retryable";
  if (any((code) => isEventuallyConsistent(code, message))) return "retryable";
  if (any(isNotFoundCode))
    return action !== undefined && !READ.test(action) && !REMOVAL.test(action) && !TABLE_ITEM_WRITE.test(action) ? "retryable" : "notFound";
  if (any(isConflictCode)) return "conflict";
  if (status !== undefined && status >= 500 && status <= 599) return "retryable";
  return "terminal";
}

const plainHttpMessage = (reason: string) =>
  `TLS handshake failed (${reason}): the endpoint answers plain HTTP, not TLS: write it with http:// (--endpoint or AWS_ENDPOINT_URL)`;

/**
 * A TLS handshake that read an HTTP answer: an `https://` endpoint (a local moto, say) that speaks plain HTTP.
 * OpenSSL reads "HTTP/1.1 400" as a TLS record and names it a "wrong version number" (OpenSSL 1.1 and 3) or, from
 * other bytes, "packet length too long"; Node reports EPROTO.
 */
function plainHttpAnswer(error: unknown): string | undefined {
  const e = shapeOf(error);
  if (str(e.code) !== "EPROTO") return undefined;
  return /wrong version number|packet length too long|http request/i.exec(str(e.message))?.[0];
}

export interface AwsErrorDescription {
  /** The service id, as in the call stats (`iam`, `ec2`, `elasticloadbalancing`, …), when the error came through the clients. */
  service?: string;
  action?: string;
  code: string;
  message: string;
  errorClass: ErrorClass;
  /** Requests sent for the call, retries included, when known. */
  attempts?: number;
}

/** The properties the clients' middleware puts on every error it rethrows (non-enumerable, the error unchanged otherwise). */
export interface AwsCallAnnotation {
  service: string;
  action: string;
  errorClass: ErrorClass;
}

export function annotateAwsError(error: unknown, annotation: AwsCallAnnotation): void {
  if (typeof error !== "object" || error === null || !Object.isExtensible(error)) return;
  // The one error whose own message is rewritten: wherever it is printed, with or without describeAwsError, it says what to do.
  const tlsReason = plainHttpAnswer(error);
  if (tlsReason !== undefined && error instanceof Error) error.message = plainHttpMessage(tlsReason);
  for (const [key, value] of Object.entries(annotation)) {
    Object.defineProperty(error, key, { value, enumerable: false, writable: true, configurable: true });
  }
}

export function describeAwsError(error: unknown): AwsErrorDescription {
  const e = shapeOf(error);
  const code = awsErrorCode(error);
  const service = str(e.service) || undefined;
  const action = str(e.action) || undefined;
  const annotated = str(e.errorClass) as ErrorClass | "";
  const status = e.$metadata?.httpStatusCode;
  let message = (typeof error === "object" && error !== null ? str(e.message) : String(error)).replace(/\s+/g, " ").trim();
  // An answer without an AWS error code (a bare 503 from a load balancer) comes as "Unknown"/"UnknownError".
  if ((message === "" || message === code || /^Unknown(Error)?$/.test(message)) && status !== undefined) message = `HTTP ${status}`;
  // OpenSSL's own text (an address, a source file and line) says less than what it means.
  const tlsReason = plainHttpAnswer(error);
  if (tlsReason !== undefined) message = plainHttpMessage(tlsReason);
  const attempts = e.$metadata?.attempts;
  return {
    ...(service !== undefined && { service }),
    ...(action !== undefined && { action }),
    code,
    message,
    errorClass: annotated || classifyAwsError(error, action),
    ...(attempts !== undefined && { attempts }),
  };
}

/**
 * One line: `iam DeleteRole: DeleteConflict: Cannot delete entity, must detach all policies first. (not retryable)`.
 * The engine puts the resource's address in front.
 */
export function formatAwsError(error: unknown): string {
  const d = describeAwsError(error);
  const where = [d.service, d.action].filter(Boolean).join(" ");
  const retry =
    d.errorClass !== "retryable"
      ? "not retryable"
      : d.attempts !== undefined && d.attempts > 1
        ? `retryable; gave up after ${d.attempts} attempts`
        : "retryable";
  const text = d.message ? `${d.code}: ${d.message}` : d.code;
  return `${where ? `${where}: ` : ""}${text} (${retry})`;
}
