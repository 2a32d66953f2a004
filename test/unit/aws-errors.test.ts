import { ConcurrentUpdateException, ObjectNotFoundException } from "@aws-sdk/client-application-auto-scaling";
import {
  OperationAbortedException,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ThrottlingException,
} from "@aws-sdk/client-cloudwatch-logs";
import { ConditionalCheckFailedException, ResourceNotFoundException as DynamoResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { EC2ServiceException } from "@aws-sdk/client-ec2";
import {
  ClientException,
  ClusterNotFoundException,
  ConflictException,
  ECSServiceException,
  InvalidParameterException,
  ClusterContainsServicesException,
  ClusterContainsTasksException,
  ResourceInUseException as EcsResourceInUseException,
  ServerException,
  ServiceNotFoundException,
  UpdateInProgressException,
} from "@aws-sdk/client-ecs";
import {
  DuplicateListenerException,
  DuplicateLoadBalancerNameException,
  DuplicateTargetGroupNameException,
  LoadBalancerNotFoundException,
  PriorRequestNotCompleteException,
  ResourceInUseException as ElbResourceInUseException,
  TargetGroupNotFoundException,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  ConcurrentModificationException,
  DeleteConflictException,
  EntityAlreadyExistsException,
  EntityTemporarilyUnmodifiableException,
  IAMServiceException,
  LimitExceededException,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import {
  NamespaceAlreadyExists,
  NamespaceNotFound,
  RequestLimitExceeded,
  ResourceInUse as CloudMapResourceInUse,
  ServiceNotFound,
} from "@aws-sdk/client-servicediscovery";
import { IDPCommunicationErrorException } from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import {
  annotateAwsError,
  awsErrorCode,
  awsErrorIs,
  classifyAwsError,
  describeAwsError,
  formatAwsError,
  type ErrorClass,
} from "../../src/aws/errors.js";

const meta = (httpStatusCode = 400) => ({ $metadata: { httpStatusCode } });

/**
 * An error of a query-protocol service (IAM, ELBv2) as the SDK delivers it: named after the model's shape
 * (`NoSuchEntityException`), with AWS's wire code in `Code` (`NoSuchEntity`).
 */
const query = <E extends Error>(error: E, Code: string): E => Object.assign(error, { Code });
/** EC2 models no errors: the SDK throws its base exception named after the wire code. */
const ec2 = (code: string, message: string, status = 400) =>
  new EC2ServiceException({ name: code, $fault: status >= 500 ? "server" : "client", message, ...meta(status) });
/** An error code a service does not model, in that service's base exception. */
const iamUnmodelled = (code: string, message: string, status = 400) =>
  query(new IAMServiceException({ name: code, $fault: status >= 500 ? "server" : "client", message, ...meta(status) }), code);
const ecsUnmodelled = (code: string, message: string, status: number) =>
  new ECSServiceException({ name: code, $fault: status >= 500 ? "server" : "client", message, ...meta(status) });
/** What Node's HTTP stack throws for a broken connection (the SDK's handler renames some to TimeoutError). */
const network = (code: string, message: string, name = "Error") => Object.assign(new Error(message), { code, name });

type Row = [reason: string, error: unknown, action: string | undefined, expected: ErrorClass];

const retryable: Row[] = [
  ["IAM throttling (an unmodelled code)", iamUnmodelled("Throttling", "Rate exceeded"), "GetRole", "retryable"],
  ["EC2 throttling, sent with HTTP 503", ec2("RequestLimitExceeded", "Request limit exceeded.", 503), "DescribeVpcs", "retryable"],
  [
    "CloudWatch Logs' modelled ThrottlingException",
    new ThrottlingException({ message: "Rate exceeded", ...meta() }),
    "DescribeLogGroups",
    "retryable",
  ],
  ["Cloud Map's RequestLimitExceeded", new RequestLimitExceeded({ message: "slow down", ...meta() }), "ListNamespaces", "retryable"],
  [
    "ELBv2's PriorRequestNotComplete, as the SDK names it",
    query(new PriorRequestNotCompleteException({ message: "try later", ...meta(429) }), "PriorRequestNotComplete"),
    "ModifyListener",
    "retryable",
  ],
  ...[
    "ThrottledException",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "ProvisionedThroughputExceededException",
  ].map((code): Row => [`throttling code ${code}`, ecsUnmodelled(code, "slow down", 400), "ListServices", "retryable"]),
  ["any HTTP 429", ecsUnmodelled("Whatever", "too many", 429), "ListServices", "retryable"],
  ["a bare HTTP 503 from a load balancer", ecsUnmodelled("Unknown", "UnknownError", 503), "ListClusters", "retryable"],
  ["ECS's ServerException (HTTP 500)", new ServerException({ message: "internal", ...meta(500) }), "CreateService", "retryable"],
  ["InternalFailure, whatever the status", iamUnmodelled("InternalFailure", "oops", 400), "GetRole", "retryable"],
  ["ServiceUnavailable", iamUnmodelled("ServiceUnavailable", "down", 503), "GetRole", "retryable"],
  ["InternalError", ec2("InternalError", "An internal error has occurred", 500), "DescribeVpcs", "retryable"],
  [
    "a dropped connection, as the SDK's HTTP handler throws it",
    network("ECONNRESET", "socket hang up", "TimeoutError"),
    "GetRole",
    "retryable",
  ],
  ["EPIPE", network("EPIPE", "write EPIPE"), "GetRole", "retryable"],
  ["ETIMEDOUT", network("ETIMEDOUT", "connect ETIMEDOUT 1.2.3.4:443"), "GetRole", "retryable"],
  ["ECONNABORTED", network("ECONNABORTED", "aborted"), "GetRole", "retryable"],
  ["EAI_AGAIN: DNS did not answer in time", network("EAI_AGAIN", "getaddrinfo EAI_AGAIN iam.amazonaws.com"), "GetRole", "retryable"],
  ["'socket hang up' without a code", new Error("socket hang up"), "GetRole", "retryable"],
  [
    "a network error wrapped in another",
    Object.assign(new Error("request failed"), { cause: network("ECONNRESET", "read ECONNRESET") }),
    undefined,
    "retryable",
  ],
  [
    "the SDK's TimeoutError",
    Object.assign(new Error("Connection timed out after 1000 ms"), { name: "TimeoutError" }),
    "GetRole",
    "retryable",
  ],
  ["RequestTimeout", iamUnmodelled("RequestTimeout", "timed out"), "GetRole", "retryable"],
  ["RequestTimeoutException", ecsUnmodelled("RequestTimeoutException", "timed out", 408), "ListClusters", "retryable"],
  [
    "an error the API models as @retryable",
    new IDPCommunicationErrorException({ message: "IdP unreachable", ...meta() }),
    undefined,
    "retryable",
  ],
  [
    "a signature rejected for clock skew that the SDK has just corrected",
    Object.assign(iamUnmodelled("SignatureDoesNotMatch", "Signature expired"), {
      $metadata: { httpStatusCode: 403, clockSkewCorrected: true },
    }),
    "GetRole",
    "retryable",
  ],
  [
    "EC2: a security group still referenced by ENIs being released",
    ec2("DependencyViolation", "resource sg-0123 has a dependent object"),
    "DeleteSecurityGroup",
    "retryable",
  ],
  [
    "EC2: a security group still in use",
    ec2("InvalidGroup.InUse", "Group sg-0123 is used by security groups"),
    "DeleteSecurityGroup",
    "retryable",
  ],
  [
    "ECS: a service-linked role not yet usable",
    new InvalidParameterException({
      message:
        "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.",
      ...meta(),
    }),
    "CreateService",
    "retryable",
  ],
  [
    "ECS: the service-linked role is being created",
    new InvalidParameterException({
      message: "Unable to assume the service linked role. Please verify that the ECS service linked role exists.",
      ...meta(),
    }),
    "CreateCluster",
    "retryable",
  ],
  [
    "ECS: a listener created a moment ago is not yet seen",
    new InvalidParameterException({
      message:
        "The target group with targetGroupArn arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1 does not have an associated load balancer.",
      ...meta(),
    }),
    "CreateService",
    "retryable",
  ],
  [
    "ECS: a task role created a moment ago",
    new ClientException({
      message: "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/app' that was provided for this task.",
      ...meta(),
    }),
    "RunTask",
    "retryable",
  ],
  [
    "IAM: a principal created a moment ago cannot be resolved yet",
    query(
      new MalformedPolicyDocumentException({ message: 'Invalid principal in policy: "AWS":"arn:aws:iam::1:role/new"', ...meta() }),
      "MalformedPolicyDocument",
    ),
    "CreateRole",
    "retryable",
  ],
  [
    "ELBv2: a target group whose listener is being deleted",
    query(
      new ElbResourceInUseException({ message: "Target group 'arn' is currently in use by a listener or a rule", ...meta() }),
      "ResourceInUse",
    ),
    "DeleteTargetGroup",
    "retryable",
  ],
  [
    "ECS: a cluster whose last service has just gone, while its tasks stop",
    new ClusterContainsTasksException({ message: "The Cluster cannot be deleted while Tasks are active.", ...meta() }),
    "DeleteCluster",
    "retryable",
  ],
  [
    "ECS: a cluster's capacity provider attachments still updating",
    new UpdateInProgressException({ message: "The cluster capacity providers are being updated.", ...meta() }),
    "PutClusterCapacityProviders",
    "retryable",
  ],
  [
    "ECS: a cluster whose services are still draining",
    new ClusterContainsServicesException({ message: "The Cluster cannot be deleted while Services are active.", ...meta() }),
    "DeleteCluster",
    "retryable",
  ],
  [
    "Cloud Map: a service whose instances ECS is still deregistering",
    new CloudMapResourceInUse({ message: "Service contains registered instances", ...meta() }),
    "DeleteService",
    "retryable",
  ],
  [
    "IAM: another request is changing the same object",
    query(new ConcurrentModificationException({ message: "Rate of change", ...meta(409) }), "ConcurrentModification"),
    "PutRolePolicy",
    "retryable",
  ],
  [
    "IAM: an entity deleted and re-created",
    query(
      new EntityTemporarilyUnmodifiableException({ message: "temporarily unmodifiable", ...meta(409) }),
      "EntityTemporarilyUnmodifiable",
    ),
    "UpdateRole",
    "retryable",
  ],
  [
    "CloudWatch Logs: concurrent updates",
    new OperationAbortedException({ message: "conflict", ...meta() }),
    "PutRetentionPolicy",
    "retryable",
  ],
  [
    "Application Auto Scaling: a pending update",
    new ConcurrentUpdateException({ message: "pending", ...meta() }),
    "PutScalingPolicy",
    "retryable",
  ],
  [
    "a create that cannot see a cluster created a moment ago",
    new ClusterNotFoundException({ message: "Cluster not found.", ...meta() }),
    "CreateService",
    "retryable",
  ],
  [
    "a rule added to a security group EC2 does not show yet",
    ec2("InvalidGroup.NotFound", "The security group 'sg-1' does not exist"),
    "AuthorizeSecurityGroupIngress",
    "retryable",
  ],
  [
    "a policy put on a role IAM does not show yet",
    query(new NoSuchEntityException({ message: "Role r not found", ...meta(404) }), "NoSuchEntity"),
    "PutRolePolicy",
    "retryable",
  ],
];

const notFound: Row[] = [
  [
    "IAM NoSuchEntity as the SDK delivers it",
    query(new NoSuchEntityException({ message: "Role r not found", ...meta(404) }), "NoSuchEntity"),
    "GetRole",
    "notFound",
  ],
  [
    "IAM NoSuchEntity built from the SDK's class",
    new NoSuchEntityException({ message: "Role r not found", ...meta(404) }),
    "GetRole",
    "notFound",
  ],
  [
    "EC2 Xxx.NotFound on a read",
    ec2("InvalidGroup.NotFound", "The security group 'sg-1' does not exist"),
    "DescribeSecurityGroups",
    "notFound",
  ],
  [
    "EC2 rule already gone on revoke",
    ec2("InvalidPermission.NotFound", "The specified rule does not exist"),
    "RevokeSecurityGroupIngress",
    "notFound",
  ],
  [
    "CloudWatch Logs ResourceNotFoundException",
    new ResourceNotFoundException({ message: "no log group", ...meta() }),
    "DeleteLogGroup",
    "notFound",
  ],
  [
    "ELBv2 LoadBalancerNotFound",
    query(new LoadBalancerNotFoundException({ message: "not found", ...meta() }), "LoadBalancerNotFound"),
    "DescribeLoadBalancers",
    "notFound",
  ],
  [
    "ELBv2 TargetGroupNotFound",
    query(new TargetGroupNotFoundException({ message: "not found", ...meta() }), "TargetGroupNotFound"),
    "DeleteTargetGroup",
    "notFound",
  ],
  [
    "ECS ClusterNotFoundException on a delete",
    new ClusterNotFoundException({ message: "Cluster not found.", ...meta() }),
    "DeleteCluster",
    "notFound",
  ],
  [
    "ECS ServiceNotFoundException on a delete",
    new ServiceNotFoundException({ message: "Service not found.", ...meta() }),
    "DeleteService",
    "notFound",
  ],
  ["Cloud Map NamespaceNotFound", new NamespaceNotFound({ message: "ns-1", ...meta() }), "GetNamespace", "notFound"],
  [
    "Cloud Map ServiceNotFound: an observe needs it as absence, not as a wait",
    new ServiceNotFound({ message: "srv-1", ...meta() }),
    "GetService",
    "notFound",
  ],
  [
    "Application Auto Scaling ObjectNotFoundException",
    new ObjectNotFoundException({ message: "none", ...meta() }),
    "DeleteScalingPolicy",
    "notFound",
  ],
  [
    "DynamoDB ResourceNotFoundException on an item write: the table is missing, and its writer creates it",
    new DynamoResourceNotFoundException({ message: "Requested resource not found", ...meta() }),
    "PutItem",
    "notFound",
  ],
  [
    "not found without an action: taken as it is",
    new ClusterNotFoundException({ message: "Cluster not found.", ...meta() }),
    undefined,
    "notFound",
  ],
];

const conflict: Row[] = [
  [
    "IAM EntityAlreadyExists",
    query(new EntityAlreadyExistsException({ message: "exists", ...meta(409) }), "EntityAlreadyExists"),
    "CreateRole",
    "conflict",
  ],
  [
    "EC2 InvalidGroup.Duplicate",
    ec2("InvalidGroup.Duplicate", "The security group 'web' already exists"),
    "CreateSecurityGroup",
    "conflict",
  ],
  [
    "EC2 InvalidPermission.Duplicate",
    ec2("InvalidPermission.Duplicate", "the rule already exists"),
    "AuthorizeSecurityGroupIngress",
    "conflict",
  ],
  [
    "CloudWatch Logs ResourceAlreadyExistsException",
    new ResourceAlreadyExistsException({ message: "exists", ...meta() }),
    "CreateLogGroup",
    "conflict",
  ],
  [
    "ELBv2 DuplicateLoadBalancerName",
    query(new DuplicateLoadBalancerNameException({ message: "exists", ...meta() }), "DuplicateLoadBalancerName"),
    "CreateLoadBalancer",
    "conflict",
  ],
  [
    "ELBv2 DuplicateTargetGroupName",
    query(new DuplicateTargetGroupNameException({ message: "exists", ...meta() }), "DuplicateTargetGroupName"),
    "CreateTargetGroup",
    "conflict",
  ],
  [
    "ELBv2 DuplicateListener",
    query(new DuplicateListenerException({ message: "exists", ...meta() }), "DuplicateListener"),
    "CreateListener",
    "conflict",
  ],
  [
    "IAM DeleteConflict: policies still attached (the caller detaches them; waiting would not)",
    query(
      new DeleteConflictException({ message: "Cannot delete entity, must detach all policies first.", ...meta(409) }),
      "DeleteConflict",
    ),
    "DeleteRole",
    "conflict",
  ],
  ["ECS ConflictException", new ConflictException({ message: "conflict", ...meta() }), "UpdateService", "conflict"],
  ["Cloud Map NamespaceAlreadyExists", new NamespaceAlreadyExists({ message: "exists", ...meta() }), "CreateHttpNamespace", "conflict"],
  [
    "DynamoDB ConditionalCheckFailed: the item is not as the write required",
    new ConditionalCheckFailedException({ message: "The conditional request failed", ...meta() }),
    "PutItem",
    "conflict",
  ],
];

const terminal: Row[] = [
  [
    "ECS InvalidParameterException about anything else",
    new InvalidParameterException({ message: "The container web does not exist in the task definition.", ...meta() }),
    "CreateService",
    "terminal",
  ],
  [
    "ECS ClientException about anything else",
    new ClientException({ message: "Invalid revision number.", ...meta() }),
    "UpdateService",
    "terminal",
  ],
  [
    "IAM MalformedPolicyDocument for a real syntax error",
    query(new MalformedPolicyDocumentException({ message: "Syntax errors in policy.", ...meta() }), "MalformedPolicyDocument"),
    "PutRolePolicy",
    "terminal",
  ],
  [
    "IAM LimitExceeded is a quota, not throttling",
    query(new LimitExceededException({ message: "Cannot exceed quota for RolesPerAccount", ...meta(409) }), "LimitExceeded"),
    "CreateRole",
    "terminal",
  ],
  [
    "ECS's ResourceInUseException: a capacity provider in use does not free itself",
    new EcsResourceInUseException({ message: "in use", ...meta() }),
    "DeleteCapacityProvider",
    "terminal",
  ],
  ["access denied", iamUnmodelled("AccessDenied", "not authorized", 403), "CreateRole", "terminal"],
  ["a validation error", iamUnmodelled("ValidationError", "1 validation error detected", 400), "CreateRole", "terminal"],
  ["ECONNREFUSED: nothing listens at the endpoint", network("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:9"), "GetRole", "terminal"],
  ["a programming error", new TypeError("Cannot read properties of undefined"), "GetRole", "terminal"],
  ["a thrown string", "boom", undefined, "terminal"],
  ["nothing at all", undefined, undefined, "terminal"],
];

describe("classifyAwsError", () => {
  it.each([...retryable, ...notFound, ...conflict, ...terminal])("%s", (_reason, error, action, expected) => {
    expect(classifyAwsError(error, action)).toBe(expected);
  });
});

describe("awsErrorCode and awsErrorIs", () => {
  const noSuchEntity = query(new NoSuchEntityException({ message: "Role r not found", ...meta(404) }), "NoSuchEntity");

  it.each([
    ["the wire code of a query-protocol error, as AWS documents it", noSuchEntity, "NoSuchEntity"],
    [
      "the name, when there is no wire code",
      new ClusterNotFoundException({ message: "Cluster not found.", ...meta() }),
      "ClusterNotFoundException",
    ],
    ["EC2's code as it is", ec2("InvalidGroup.NotFound", "gone"), "InvalidGroup.NotFound"],
    ["Node's code rather than the SDK's TimeoutError", network("ECONNRESET", "socket hang up", "TimeoutError"), "ECONNRESET"],
    ["'Error' for something without a name", "boom", "Error"],
  ])("awsErrorCode: %s", (_reason, error, code) => {
    expect(awsErrorCode(error)).toBe(code);
  });

  it.each([
    ["the wire code", noSuchEntity, ["NoSuchEntity"], true],
    ["the SDK's name", noSuchEntity, ["NoSuchEntityException"], true],
    ["the class's name without a wire code", new NoSuchEntityException({ message: "x", ...meta(404) }), ["NoSuchEntity"], true],
    ["any of several codes", ec2("InvalidGroup.NotFound", "gone"), ["InvalidGroupId.Malformed", "InvalidGroup.NotFound"], true],
    ["another code", noSuchEntity, ["EntityAlreadyExists"], false],
    ["a prefix is not a match", ec2("InvalidGroup.NotFound", "gone"), ["InvalidGroup"], false],
  ])("awsErrorIs: %s", (_reason, error, codes, expected) => {
    expect(awsErrorIs(error, ...codes)).toBe(expected);
  });
});

describe("annotateAwsError", () => {
  it("adds service, action and class without changing what the error shows or how it serialises", () => {
    const error = query(new DeleteConflictException({ message: "Cannot delete entity", ...meta(409) }), "DeleteConflict");
    const before = JSON.stringify(error);
    annotateAwsError(error, { service: "iam", action: "DeleteRole", errorClass: "conflict" });
    expect(error).toMatchObject({ service: "iam", action: "DeleteRole", errorClass: "conflict", name: "DeleteConflictException" });
    expect(error).toBeInstanceOf(DeleteConflictException);
    expect(Object.keys(error)).not.toContain("service");
    expect(JSON.stringify(error)).toBe(before);
  });

  it("leaves alone what cannot carry properties", () => {
    const frozen = Object.freeze(new Error("frozen"));
    expect(() => annotateAwsError(frozen, { service: "iam", action: "GetRole", errorClass: "terminal" })).not.toThrow();
    expect(frozen).not.toHaveProperty("service");
    expect(() => annotateAwsError("text", { service: "iam", action: "GetRole", errorClass: "terminal" })).not.toThrow();
  });
});

describe("describeAwsError and formatAwsError", () => {
  const annotated = <E extends Error>(error: E, service: string, action: string, attempts?: number): E => {
    annotateAwsError(error, { service, action, errorClass: classifyAwsError(error, action) });
    // The clients' middleware records the attempts where the SDK does.
    const bearer = error as { $metadata?: object };
    if (attempts !== undefined) bearer.$metadata = { ...bearer.$metadata, attempts };
    return error;
  };

  it("describes an annotated SDK error by AWS's code", () => {
    const error = annotated(
      query(
        new DeleteConflictException({ message: "Cannot delete entity, must detach all policies first.", ...meta(409) }),
        "DeleteConflict",
      ),
      "iam",
      "DeleteRole",
    );
    expect(describeAwsError(error)).toEqual({
      service: "iam",
      action: "DeleteRole",
      code: "DeleteConflict",
      message: "Cannot delete entity, must detach all policies first.",
      errorClass: "conflict",
    });
  });

  it.each([
    [
      "the service, action, AWS's code and message, and that retrying will not help",
      annotated(
        query(
          new DeleteConflictException({ message: "Cannot delete entity, must detach all policies first.", ...meta(409) }),
          "DeleteConflict",
        ),
        "iam",
        "DeleteRole",
      ),
      "iam DeleteRole: DeleteConflict: Cannot delete entity, must detach all policies first. (not retryable)",
    ],
    [
      "how many attempts a retryable error was given",
      annotated(ec2("RequestLimitExceeded", "Request limit exceeded.", 503), "ec2", "DescribeVpcs", 10),
      "ec2 DescribeVpcs: RequestLimitExceeded: Request limit exceeded. (retryable; gave up after 10 attempts)",
    ],
    [
      "a retryable error after a single attempt",
      annotated(ec2("RequestLimitExceeded", "Request limit exceeded.", 503), "ec2", "DescribeVpcs", 1),
      "ec2 DescribeVpcs: RequestLimitExceeded: Request limit exceeded. (retryable)",
    ],
    [
      "the HTTP status where AWS gave no code",
      annotated(ecsUnmodelled("Unknown", "UnknownError", 503), "ecs", "ListClusters", 3),
      "ecs ListClusters: Unknown: HTTP 503 (retryable; gave up after 3 attempts)",
    ],
    [
      "AWS's multi-line message on one line",
      annotated(
        new InvalidParameterException({ message: "Invalid\n  container\tdefinition ", ...meta() }),
        "ecs",
        "RegisterTaskDefinition",
      ),
      "ecs RegisterTaskDefinition: InvalidParameterException: Invalid container definition (not retryable)",
    ],
    [
      "a network failure by Node's code",
      annotated(network("ECONNRESET", "socket hang up", "TimeoutError"), "logs", "DescribeLogGroups", 2),
      "logs DescribeLogGroups: ECONNRESET: socket hang up (retryable; gave up after 2 attempts)",
    ],
    [
      "an error that did not come through the clients, without a service or action",
      new NoSuchEntityException({ message: "Role r not found", ...meta(404) }),
      "NoSuchEntityException: Role r not found (not retryable)",
    ],
    ["something that is not an error", "boom", "Error: boom (not retryable)"],
  ])("formatAwsError names %s", (_reason, error, line) => {
    expect(formatAwsError(error)).toBe(line);
  });
});
