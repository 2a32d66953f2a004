import { describe, expect, it } from "vitest";
import { normalisePolicyDocument } from "../../src/reconcilers/iam/roles/policy-document.js";

type Doc = string | object;

const allow = (statement: object) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", ...statement }] });
const trust = (principal: unknown) => allow({ Principal: principal, Action: "sts:AssumeRole" });

/**
 * Real AWS responses, URL-encoded as IAM returns them.
 * GET_ROLE_REDSHIFT: AssumeRolePolicyDocument of a GetRole response body from iam.amazonaws.com (a botocore
 * debug log of 2020-10-28), a role trusting both `"*"` and a service, every value a single string.
 * CONSOLE_ECS_TASK_EXECUTION: the trust policy the console writes for ecsTaskExecutionRole (an AWS Config item
 * of 2019), with Version 2008-10-17 and an empty Sid.
 */
const GET_ROLE_REDSHIFT =
  "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22%2A%22%2C%22Service%22%3A%22s3.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
const CONSOLE_ECS_TASK_EXECUTION =
  "%7B%22Version%22%3A%222008-10-17%22%2C%22Statement%22%3A%5B%7B%22Sid%22%3A%22%22%2C%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ecs-tasks.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";

describe("normalisePolicyDocument: forms AWS treats as the same policy compare equal", () => {
  const rows: Array<[reason: string, a: Doc, b: Doc]> = [
    [
      "Action: a string or a list of one",
      allow({ Action: "s3:GetObject", Resource: "*" }),
      allow({ Action: ["s3:GetObject"], Resource: "*" }),
    ],
    [
      "Resource: a string or a list of one",
      allow({ Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }),
      allow({ Action: "s3:GetObject", Resource: ["arn:aws:s3:::b/*"] }),
    ],
    ["NotAction: a string or a list of one", allow({ NotAction: "iam:*", Resource: "*" }), allow({ NotAction: ["iam:*"], Resource: "*" })],
    [
      "NotResource: a string or a list of one",
      allow({ Action: "s3:*", NotResource: "arn:aws:s3:::x" }),
      allow({ Action: "s3:*", NotResource: ["arn:aws:s3:::x"] }),
    ],
    [
      "Principal.Service: a string or a list of one",
      trust({ Service: "ecs-tasks.amazonaws.com" }),
      trust({ Service: ["ecs-tasks.amazonaws.com"] }),
    ],
    [
      "Principal.AWS: a string or a list of one",
      trust({ AWS: "arn:aws:iam::123456789012:root" }),
      trust({ AWS: ["arn:aws:iam::123456789012:root"] }),
    ],
    [
      "Principal.Federated: a string or a list of one",
      trust({ Federated: "cognito-identity.amazonaws.com" }),
      trust({ Federated: ["cognito-identity.amazonaws.com"] }),
    ],
    [
      "a condition value: a string or a list of one",
      allow({ Action: "s3:*", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }),
      allow({ Action: "s3:*", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": ["123456789012"] } } }),
    ],
    [
      "the order of condition values",
      allow({ Action: "s3:*", Resource: "*", Condition: { StringLike: { "s3:prefix": ["b/*", "a/*"] } } }),
      allow({ Action: "s3:*", Resource: "*", Condition: { StringLike: { "s3:prefix": ["a/*", "b/*"] } } }),
    ],
    [
      "the order of actions",
      allow({ Action: ["s3:PutObject", "s3:GetObject"], Resource: "*" }),
      allow({ Action: ["s3:GetObject", "s3:PutObject"], Resource: "*" }),
    ],
    [
      "the order of service principals",
      trust({ Service: ["ecs.amazonaws.com", "ecs-tasks.amazonaws.com"] }),
      trust({ Service: ["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"] }),
    ],
    [
      "a value listed twice",
      allow({ Action: ["s3:GetObject", "s3:GetObject"], Resource: "*" }),
      allow({ Action: "s3:GetObject", Resource: "*" }),
    ],
    [
      "the order of statements",
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "a:1", Resource: "*" },
          { Effect: "Deny", Action: "b:2", Resource: "*" },
        ],
      },
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Deny", Action: "b:2", Resource: "*" },
          { Effect: "Allow", Action: "a:1", Resource: "*" },
        ],
      },
    ],
    [
      "a statement given twice",
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "a:1", Resource: "*" },
          { Resource: "*", Action: ["a:1"], Effect: "Allow" },
        ],
      },
      allow({ Action: "a:1", Resource: "*" }),
    ],
    [
      "a missing Version is 2008-10-17, as IAM reads it",
      { Statement: [{ Effect: "Allow", Action: "a:1", Resource: "*" }] },
      { Version: "2008-10-17", Statement: [{ Effect: "Allow", Action: "a:1", Resource: "*" }] },
    ],
    [
      "Statement: an object or a list of one",
      { Version: "2012-10-17", Statement: { Effect: "Allow", Action: "a:1", Resource: "*" } },
      allow({ Action: "a:1", Resource: "*" }),
    ],
    [
      "the order of keys",
      { Statement: [{ Resource: "*", Action: "a:1", Effect: "Allow" }], Version: "2012-10-17" },
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "a:1", Resource: "*" }] },
    ],
    [
      "an empty Sid (the console writes one) or none",
      trust({ Service: "ecs-tasks.amazonaws.com" }),
      { Version: "2012-10-17", Statement: [{ Sid: "", ...trust({ Service: "ecs-tasks.amazonaws.com" }).Statement[0] }] },
    ],
    [
      "a JSON string or the object",
      JSON.stringify(allow({ Action: "a:1", Resource: "*" }), null, 2),
      allow({ Action: ["a:1"], Resource: ["*"] }),
    ],
    [
      "URL-encoded JSON (as IAM returns it) or the object",
      encodeURIComponent(JSON.stringify(allow({ Action: "a:1", Resource: "*" }))),
      allow({ Action: "a:1", Resource: "*" }),
    ],
    [
      "a real GetRole document, URL-encoded with single strings, or the same policy as lists in another order",
      GET_ROLE_REDSHIFT,
      {
        Statement: [{ Action: ["sts:AssumeRole"], Principal: { Service: ["s3.amazonaws.com"], AWS: ["*"] }, Effect: "Allow" }],
        Version: "2012-10-17",
      },
    ],
    [
      "the console's ecsTaskExecutionRole trust policy, or the same with a list and no Sid",
      CONSOLE_ECS_TASK_EXECUTION,
      {
        Version: "2008-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: ["ecs-tasks.amazonaws.com"] }, Action: ["sts:AssumeRole"] }],
      },
    ],
  ];

  it.each(rows)("%s", (_reason, a, b) => {
    expect(normalisePolicyDocument(a)).toEqual(normalisePolicyDocument(b));
  });
});

describe("normalisePolicyDocument: different policies stay different", () => {
  const rows: Array<[reason: string, a: Doc, b: Doc]> = [
    [
      "a missing Version is not 2012-10-17: without it IAM does not substitute policy variables",
      { Statement: [{ Effect: "Allow", Action: "a:1", Resource: "*" }] },
      allow({ Action: "a:1", Resource: "*" }),
    ],
    [
      "Allow is not Deny",
      allow({ Action: "a:1", Resource: "*" }),
      { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "a:1", Resource: "*" }] },
    ],
    ["Action is not NotAction", allow({ Action: "iam:*", Resource: "*" }), allow({ NotAction: "iam:*", Resource: "*" })],
    [
      "Resource is not NotResource",
      allow({ Action: "s3:*", Resource: "arn:aws:s3:::x" }),
      allow({ Action: "s3:*", NotResource: "arn:aws:s3:::x" }),
    ],
    [
      "Principal is not NotPrincipal",
      allow({ Principal: { AWS: "*" }, Action: "s3:*" }),
      allow({ NotPrincipal: { AWS: "*" }, Action: "s3:*" }),
    ],
    ['a "*" principal is kept as it is, not read as {"AWS": "*"}', trust("*"), trust({ AWS: "*" })],
    ["another service", trust({ Service: "ecs-tasks.amazonaws.com" }), trust({ Service: "lambda.amazonaws.com" })],
    [
      "one service more",
      trust({ Service: "ecs-tasks.amazonaws.com" }),
      trust({ Service: ["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"] }),
    ],
    [
      "a service is not an AWS principal of the same text",
      trust({ Service: "ecs-tasks.amazonaws.com" }),
      trust({ AWS: "ecs-tasks.amazonaws.com" }),
    ],
    [
      "one action more",
      allow({ Action: "s3:GetObject", Resource: "*" }),
      allow({ Action: ["s3:GetObject", "s3:PutObject"], Resource: "*" }),
    ],
    [
      "Version 2008-10-17 is not 2012-10-17",
      { Version: "2008-10-17", Statement: [{ Effect: "Allow", Action: "a:1", Resource: "*" }] },
      allow({ Action: "a:1", Resource: "*" }),
    ],
    ["a Sid is a label the policy keeps", allow({ Sid: "Read", Action: "a:1", Resource: "*" }), allow({ Action: "a:1", Resource: "*" })],
    [
      "another condition operator",
      allow({ Action: "s3:*", Resource: "*", Condition: { StringEquals: { "s3:prefix": "a" } } }),
      allow({ Action: "s3:*", Resource: "*", Condition: { StringLike: { "s3:prefix": "a" } } }),
    ],
    [
      "another condition value",
      allow({ Action: "s3:*", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": "111111111111" } } }),
      allow({ Action: "s3:*", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": "222222222222" } } }),
    ],
    [
      "a condition or none",
      allow({ Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "true" } } }),
      allow({ Action: "s3:*", Resource: "*" }),
    ],
    [
      "two statements are not one statement with both actions (different resources)",
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "a:1", Resource: "x" },
          { Effect: "Allow", Action: "a:2", Resource: "y" },
        ],
      },
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["a:1", "a:2"], Resource: ["x", "y"] }] },
    ],
    [
      "the real GetRole document trusts * too: not the same as trusting only the service",
      GET_ROLE_REDSHIFT,
      trust({ Service: "s3.amazonaws.com" }),
    ],
    [
      "the console's trust policy is Version 2008-10-17: not the tool's 2012-10-17 one",
      CONSOLE_ECS_TASK_EXECUTION,
      trust({ Service: "ecs-tasks.amazonaws.com" }),
    ],
  ];

  it.each(rows)("%s", (_reason, a, b) => {
    expect(normalisePolicyDocument(a)).not.toEqual(normalisePolicyDocument(b));
  });
});

describe("normalisePolicyDocument: the canonical form", () => {
  it("is lists everywhere, sorted, with sorted keys", () => {
    const canonical = normalisePolicyDocument(GET_ROLE_REDSHIFT);
    expect(canonical).toEqual({
      Statement: [{ Action: ["sts:AssumeRole"], Effect: "Allow", Principal: { AWS: ["*"], Service: ["s3.amazonaws.com"] } }],
      Version: "2012-10-17",
    });
    expect(JSON.stringify(canonical)).toBe(
      '{"Statement":[{"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{"AWS":["*"],"Service":["s3.amazonaws.com"]}}],"Version":"2012-10-17"}',
    );
  });

  it("keeps Id and the statement keys it does not know", () => {
    const canonical = normalisePolicyDocument({
      Id: "p1",
      Statement: [{ Effect: "Allow", Action: "a:1", Resource: "*", Extra: { b: 1, a: 2 } }],
    });
    expect(canonical).toEqual({
      Id: "p1",
      Version: "2008-10-17",
      Statement: [{ Action: ["a:1"], Effect: "Allow", Extra: { a: 2, b: 1 }, Resource: ["*"] }],
    });
  });

  it("is a fixed point, and leaves its input alone", () => {
    const input = allow({ Action: ["s3:PutObject", "s3:GetObject"], Resource: "*" });
    const before = structuredClone(input);
    const once = normalisePolicyDocument(input);
    expect(normalisePolicyDocument(once)).toEqual(once);
    expect(normalisePolicyDocument(JSON.stringify(once))).toEqual(once);
    expect(input).toEqual(before);
  });

  it("decodes a percent sign that is part of the document", () => {
    const doc = allow({ Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/100%/*" });
    expect(normalisePolicyDocument(encodeURIComponent(JSON.stringify(doc)))).toEqual(normalisePolicyDocument(doc));
  });

  it.each([
    ["a JSON array", "[]"],
    ["a statement that is not an object", '{"Statement": ["Allow"]}'],
    ["text that is neither JSON nor URL-encoded JSON", "not a policy"],
  ])("refuses %s", (_reason, text) => {
    expect(() => normalisePolicyDocument(text)).toThrow();
  });
});
