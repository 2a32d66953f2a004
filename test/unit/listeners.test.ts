import { readFileSync } from "node:fs";
import {
  ElasticLoadBalancingV2Client,
  type Action,
  type Listener as AwsListener,
  type Rule as AwsRule,
  type RuleCondition,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import { UNKNOWN, type FieldDiff } from "../../src/plan/model.js";
import {
  actionFromAws,
  actionFromSpec,
  conditionsFromAws,
  conditionsFromSpec,
  type CanonicalAction,
} from "../../src/reconcilers/elb/listeners/actions.js";
import { listenersReconciler } from "../../src/reconcilers/elb/listeners/index.js";
import {
  diffListener,
  parseListener,
  parseRule,
  pickListeners,
  type ListenerChange,
  type ListenerDesired,
  type ObservedListener,
  type ObservedListenerRule,
} from "../../src/reconcilers/elb/listeners/model.js";
import type { Context, Outputs, Tags } from "../../src/reconcilers/contract.js";
import { listenerAction, listenerRule } from "../../src/schema/load-balancing.js";
import { specSchema, type Spec } from "../../src/schema/spec.js";

const TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup";
const TG_A = `${TG}/demo-a/aaaa1111aaaa1111`;
const TG_B = `${TG}/demo-b/bbbb2222bbbb2222`;
const LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo-web/50dc6c495c0c9188";
const OTHER_LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo-web/0000000000000000";
const LISTENER_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/demo-web/50dc6c495c0c9188/f2f7dc8efc522ab2";
const ruleArn = (id: string) => `${LISTENER_ARN.replace(":listener/", ":listener-rule/")}/${id}`;
const CERT_A = "arn:aws:iam::123456789012:server-certificate/a";
const CERT_B = "arn:aws:iam::123456789012:server-certificate/b";
const CERT_C = "arn:aws:acm:us-east-1:123456789012:certificate/c";

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/aws/${name}`, import.meta.url), "utf8")) as T;

/** The outputs the engine would pass: known for what exists, UNKNOWN for what is still to be created. */
function outputsOf(known: Record<string, Record<string, string>>): Outputs {
  return { string: (address, output) => known[address]?.[output] ?? UNKNOWN, list: () => UNKNOWN };
}

const LIVE = outputsOf({ "loadBalancers.web": { arn: LB_ARN }, "targetGroups.a": { arn: TG_A }, "targetGroups.b": { arn: TG_B } });

function specWith(loadBalancers: Record<string, unknown>, tags: Record<string, string> = { env: "test" }): Spec {
  return specSchema.parse({
    stack: "demo",
    region: "us-east-1",
    tags,
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    targetGroups: { a: { port: 8080 }, b: { port: 8080 }, c: { port: 8080 } },
    loadBalancers,
  });
}

/** The desired value of each listener node of the spec, by logical name. */
function desiredOf(spec: Spec, outputs: Outputs = LIVE): Record<string, ListenerDesired> {
  return Object.fromEntries(listenersReconciler.nodes(spec).map((n) => [n.logical, n.build(outputs)]));
}

const LISTENER_TAGS = { env: "test", "reconcile:stack": "demo", "reconcile:id": "listeners/web.http" };
const ruleTags = (name: string, listenerId = "listeners/web.http"): Tags => ({
  env: "test",
  "reconcile:stack": "demo",
  "reconcile:id": `${listenerId}/rules/${name}`,
});

const REFERENCE = specWith({
  web: {
    securityGroups: ["alb"],
    listeners: {
      http: {
        protocol: "HTTP",
        port: 80,
        defaultAction: { forward: "a" },
        rules: {
          api: { priority: 10, conditions: { pathPatterns: ["/api/*"] }, action: { forward: "b" } },
          docs: { priority: 20, conditions: { hostHeaders: ["docs.example.com"] }, action: { fixedResponse: { statusCode: "404" } } },
        },
      },
    },
  },
});
const desired = desiredOf(REFERENCE)["web.http"]!;

const apiRule: ObservedListenerRule = {
  arn: ruleArn("api1"),
  priority: 10,
  conditions: { pathPatterns: ["/api/*"] },
  action: { type: "forward", targetGroups: [{ arn: TG_B, weight: 1 }] },
  tags: ruleTags("api"),
};
const docsRule: ObservedListenerRule = {
  arn: ruleArn("docs1"),
  priority: 20,
  conditions: { hostHeaders: ["docs.example.com"] },
  action: { type: "fixedResponse", statusCode: "404" },
  tags: ruleTags("docs"),
};
const observed: ObservedListener = {
  name: "demo-web HTTP:80",
  id: LISTENER_ARN,
  tags: LISTENER_TAGS,
  loadBalancerArn: LB_ARN,
  protocol: "HTTP",
  port: 80,
  additionalCertificates: [],
  defaultAction: { type: "forward", targetGroups: [{ arn: TG_A, weight: 1 }] },
  rules: [apiRule, docsRule],
};

describe("listener actions in one canonical form", () => {
  const arnOf = (tg: string) => ({ a: TG_A, b: TG_B })[tg] ?? UNKNOWN;
  const fromSpec = (input: unknown) => actionFromSpec(listenerAction.parse(input), arnOf);

  it.each<{ why: string; spec: unknown; aws: Action[]; canonical: CanonicalAction }>([
    {
      why: "a plain forward equals AWS's older echo, TargetGroupArn alone",
      spec: { forward: "a" },
      aws: [{ Type: "forward", TargetGroupArn: TG_A }],
      canonical: { type: "forward", targetGroups: [{ arn: TG_A, weight: 1 }] },
    },
    {
      why: "a plain forward equals AWS's current echo: TargetGroupArn plus a ForwardConfig of weight 1, stickiness disabled",
      spec: { forward: "a" },
      aws: [
        {
          Type: "forward",
          TargetGroupArn: TG_A,
          Order: 1,
          ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_A, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
        },
      ],
      canonical: { type: "forward", targetGroups: [{ arn: TG_A, weight: 1 }] },
    },
    {
      why: "weighted groups compare as a set sorted by ARN, whatever order either side lists them in",
      spec: { forward: { targetGroups: [{ targetGroup: "b", weight: 3 }, { targetGroup: "a" }] } },
      aws: [
        {
          Type: "forward",
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: TG_A, Weight: 1 },
              { TargetGroupArn: TG_B, Weight: 3 },
            ],
            TargetGroupStickinessConfig: { Enabled: false },
          },
        },
      ],
      canonical: {
        type: "forward",
        targetGroups: [
          { arn: TG_A, weight: 1 },
          { arn: TG_B, weight: 3 },
        ],
      },
    },
    {
      why: "a weight AWS leaves out is 1",
      spec: { forward: { targetGroups: [{ targetGroup: "a" }, { targetGroup: "b" }] } },
      aws: [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_B }, { TargetGroupArn: TG_A }] } }],
      canonical: {
        type: "forward",
        targetGroups: [
          { arn: TG_A, weight: 1 },
          { arn: TG_B, weight: 1 },
        ],
      },
    },
    {
      why: "group stickiness is its duration when enabled",
      spec: { forward: { targetGroups: [{ targetGroup: "a" }], stickinessSeconds: 300 } },
      aws: [
        {
          Type: "forward",
          ForwardConfig: {
            TargetGroups: [{ TargetGroupArn: TG_A, Weight: 1 }],
            TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
          },
        },
      ],
      canonical: { type: "forward", targetGroups: [{ arn: TG_A, weight: 1 }], stickinessSeconds: 300 },
    },
    {
      why: "a duration AWS keeps while stickiness is disabled is no stickiness",
      spec: { forward: "a" },
      aws: [
        {
          Type: "forward",
          ForwardConfig: {
            TargetGroups: [{ TargetGroupArn: TG_A, Weight: 1 }],
            TargetGroupStickinessConfig: { Enabled: false, DurationSeconds: 3600 },
          },
        },
      ],
      canonical: { type: "forward", targetGroups: [{ arn: TG_A, weight: 1 }] },
    },
    {
      why: "a redirect of protocol and port alone equals AWS's answer with the other components filled with their keywords",
      spec: { redirect: { protocol: "HTTPS", port: 443 } },
      aws: [
        {
          Type: "redirect",
          Order: 1,
          RedirectConfig: { Protocol: "HTTPS", Port: "443", Host: "#{host}", Path: "/#{path}", Query: "#{query}", StatusCode: "HTTP_301" },
        },
      ],
      canonical: {
        type: "redirect",
        protocol: "HTTPS",
        port: "443",
        host: "#{host}",
        path: "/#{path}",
        query: "#{query}",
        statusCode: "HTTP_301",
      },
    },
    {
      why: "a redirect that sets nothing keeps every component, as a 301 (the schema's default)",
      spec: { redirect: {} },
      aws: [{ Type: "redirect", RedirectConfig: { StatusCode: "HTTP_301" } }],
      canonical: {
        type: "redirect",
        protocol: "#{protocol}",
        port: "#{port}",
        host: "#{host}",
        path: "/#{path}",
        query: "#{query}",
        statusCode: "HTTP_301",
      },
    },
    {
      why: "a redirect to another host and path keeps them as given",
      spec: { redirect: { host: "www.example.com", path: "/new/#{path}", query: "from=old", statusCode: "HTTP_302" } },
      aws: [
        {
          Type: "redirect",
          RedirectConfig: {
            Protocol: "#{protocol}",
            Port: "#{port}",
            Host: "www.example.com",
            Path: "/new/#{path}",
            Query: "from=old",
            StatusCode: "HTTP_302",
          },
        },
      ],
      canonical: {
        type: "redirect",
        protocol: "#{protocol}",
        port: "#{port}",
        host: "www.example.com",
        path: "/new/#{path}",
        query: "from=old",
        statusCode: "HTTP_302",
      },
    },
    {
      why: "a fixed response carries its status, content type and body",
      spec: { fixedResponse: { statusCode: "503", contentType: "application/json", messageBody: '{"down":true}' } },
      aws: [
        {
          Type: "fixed-response",
          FixedResponseConfig: { StatusCode: "503", ContentType: "application/json", MessageBody: '{"down":true}' },
        },
      ],
      canonical: { type: "fixedResponse", statusCode: "503", contentType: "application/json", messageBody: '{"down":true}' },
    },
    {
      why: "an empty message body is no body",
      spec: { fixedResponse: { statusCode: "404" } },
      aws: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "404", MessageBody: "" } }],
      canonical: { type: "fixedResponse", statusCode: "404" },
    },
  ])("$why", ({ spec, aws, canonical }) => {
    expect(fromSpec(spec)).toEqual(canonical);
    expect(actionFromAws(aws)).toEqual(canonical);
  });

  it.each<{ why: string; spec: unknown; aws: Action[] }>([
    {
      why: "another weight is a change",
      spec: { forward: { targetGroups: [{ targetGroup: "a", weight: 2 }, { targetGroup: "b" }] } },
      aws: [
        {
          Type: "forward",
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: TG_A, Weight: 1 },
              { TargetGroupArn: TG_B, Weight: 1 },
            ],
          },
        },
      ],
    },
    {
      why: "stickiness turned on is a change",
      spec: { forward: { targetGroups: [{ targetGroup: "a" }], stickinessSeconds: 60 } },
      aws: [{ Type: "forward", TargetGroupArn: TG_A }],
    },
    {
      why: "a 302 where the spec says 301 is a change",
      spec: { redirect: { protocol: "HTTPS" } },
      aws: [{ Type: "redirect", RedirectConfig: { Protocol: "HTTPS", StatusCode: "HTTP_302" } }],
    },
    {
      why: "a content type the spec does not set is a change (the action is replaced whole)",
      spec: { fixedResponse: { statusCode: "404" } },
      aws: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "404", ContentType: "text/plain" } }],
    },
    {
      why: "an authentication before the forward is something the spec cannot say: a change",
      spec: { forward: "a" },
      aws: [
        { Type: "authenticate-oidc", Order: 1 },
        { Type: "forward", TargetGroupArn: TG_A, Order: 2 },
      ],
    },
  ])("$why", ({ spec, aws }) => {
    expect(actionFromAws(aws)).not.toEqual(fromSpec(spec));
  });

  it("names the actions it cannot express, in their order", () => {
    expect(
      actionFromAws([
        { Type: "forward", TargetGroupArn: TG_A, Order: 2 },
        { Type: "authenticate-cognito", Order: 1 },
      ]),
    ).toEqual({ type: "other", actions: ["authenticate-cognito", "forward"] });
    expect(actionFromAws([])).toBeUndefined();
  });

  it("a target group still to be created is UNKNOWN, and sorts after the known ones", () => {
    expect(fromSpec({ forward: { targetGroups: [{ targetGroup: "new" }, { targetGroup: "b" }] } })).toEqual({
      type: "forward",
      targetGroups: [
        { arn: TG_B, weight: 1 },
        { arn: UNKNOWN, weight: 1 },
      ],
    });
  });
});

describe("rule conditions in one canonical form", () => {
  const fromSpec = (conditions: unknown) =>
    conditionsFromSpec(listenerRule.parse({ priority: 1, conditions, action: { forward: "a" } }).conditions);

  it.each<{ why: string; spec: unknown; aws: RuleCondition[] }>([
    {
      why: "path patterns in AWS's older Values form",
      spec: { pathPatterns: ["/img/*"] },
      aws: [{ Field: "path-pattern", Values: ["/img/*"] }],
    },
    {
      why: "path patterns in the PathPatternConfig form",
      spec: { pathPatterns: ["/img/*", "/css/*"] },
      aws: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/css/*", "/img/*"] } }],
    },
    {
      why: "AWS's echo of both forms counts each value once",
      spec: { pathPatterns: ["/img/*"] },
      aws: [{ Field: "path-pattern", Values: ["/img/*"], PathPatternConfig: { Values: ["/img/*"] } }],
    },
    {
      why: "a value the spec repeats counts once",
      spec: { hostHeaders: ["a.example.com", "a.example.com"] },
      aws: [{ Field: "host-header", HostHeaderConfig: { Values: ["a.example.com"] } }],
    },
    {
      why: "host headers as a set, from either form",
      spec: { hostHeaders: ["b.example.com", "a.example.com"] },
      aws: [
        {
          Field: "host-header",
          Values: ["a.example.com", "b.example.com"],
          HostHeaderConfig: { Values: ["b.example.com", "a.example.com"] },
        },
      ],
    },
    {
      why: "HTTP headers sorted by name, each one's values as a set; conditions of several fields together",
      spec: {
        pathPatterns: ["/api/*"],
        httpHeaders: [
          { name: "X-Env", values: ["prod", "canary"] },
          { name: "User-Agent", values: ["*Mobile*"] },
        ],
      },
      aws: [
        { Field: "http-header", HttpHeaderConfig: { HttpHeaderName: "User-Agent", Values: ["*Mobile*"] } },
        { Field: "path-pattern", PathPatternConfig: { Values: ["/api/*"] } },
        { Field: "http-header", HttpHeaderConfig: { HttpHeaderName: "X-Env", Values: ["canary", "prod"] } },
      ],
    },
  ])("$why", ({ spec, aws }) => {
    expect(conditionsFromAws(aws)).toEqual(fromSpec(spec));
  });

  it("a condition the spec cannot say is kept by field, so that it shows as a change", () => {
    expect(
      conditionsFromAws([
        { Field: "path-pattern", Values: ["/a"] },
        { Field: "source-ip", SourceIpConfig: { Values: ["10.0.0.0/8"] } },
      ]),
    ).toEqual({ pathPatterns: ["/a"], others: ["source-ip"] });
  });
});

describe("listener nodes", () => {
  const spec = specWith({
    web: {
      name: "albCurso107",
      adopt: true,
      securityGroups: ["alb"],
      listeners: {
        http: {
          protocol: "HTTP",
          port: 8080,
          defaultAction: { forward: "a" },
          rules: {
            api: {
              priority: 10,
              conditions: { pathPatterns: ["/api/*"] },
              action: { forward: { targetGroups: [{ targetGroup: "b" }, { targetGroup: "a" }] } },
            },
            old: { priority: 20, conditions: { pathPatterns: ["/old/*"] }, action: { redirect: { path: "/new/#{path}" } } },
          },
        },
        https: {
          protocol: "HTTPS",
          port: 443,
          certificates: [CERT_A, CERT_C, CERT_B],
          defaultAction: { forward: "c" },
        },
      },
    },
  });

  it("makes one node per listener, named after its load balancer, depending on it and on every group it forwards to", () => {
    const nodes = listenersReconciler.nodes(spec);
    expect(nodes.map((n) => ({ ...n, build: undefined }))).toEqual([
      {
        kind: "listeners",
        logical: "web.http",
        address: "listeners.web.http",
        name: "albCurso107 HTTP:8080",
        dependsOn: ["loadBalancers.web", "targetGroups.a", "targetGroups.b"],
        adopt: true,
        readOnly: false,
        build: undefined,
      },
      {
        kind: "listeners",
        logical: "web.https",
        address: "listeners.web.https",
        name: "albCurso107 HTTPS:443",
        dependsOn: ["loadBalancers.web", "targetGroups.c"],
        adopt: true,
        readOnly: false,
        build: undefined,
      },
    ]);
  });

  it("builds the desired state: ownership tags on the listener and on each rule, the first certificate as the default", () => {
    const built = desiredOf(spec, outputsOf({ "loadBalancers.web": { arn: LB_ARN }, "targetGroups.a": { arn: TG_A } }));
    expect(built["web.http"]).toEqual({
      name: "albCurso107 HTTP:8080",
      loadBalancerArn: LB_ARN,
      protocol: "HTTP",
      port: 8080,
      additionalCertificates: [],
      defaultAction: { type: "forward", targetGroups: [{ arn: TG_A, weight: 1 }] },
      rules: {
        api: {
          priority: 10,
          conditions: { pathPatterns: ["/api/*"] },
          action: {
            type: "forward",
            targetGroups: [
              { arn: TG_A, weight: 1 },
              { arn: UNKNOWN, weight: 1 },
            ],
          },
          tags: ruleTags("api"),
        },
        old: {
          priority: 20,
          conditions: { pathPatterns: ["/old/*"] },
          action: {
            type: "redirect",
            protocol: "#{protocol}",
            port: "#{port}",
            host: "#{host}",
            path: "/new/#{path}",
            query: "#{query}",
            statusCode: "HTTP_301",
          },
          tags: ruleTags("old"),
        },
      },
      tags: LISTENER_TAGS,
    });
    expect(built["web.https"]).toMatchObject({ defaultCertificate: CERT_A, additionalCertificates: [CERT_C, CERT_B] });
    expect(built["web.https"]!.sslPolicy).toBeUndefined();
  });

  it("a load balancer still to be created leaves the listener's ARN unknown", () => {
    expect(desiredOf(spec, outputsOf({}))["web.http"]!.loadBalancerArn).toBe(UNKNOWN);
  });

  it("previews the create lines: protocol, port, default action, each rule by priority, tags", () => {
    expect(listenersReconciler.preview!(desired)).toEqual([
      { path: "loadBalancerArn", after: LB_ARN },
      { path: "protocol", after: "HTTP" },
      { path: "port", after: 80 },
      { path: "defaultAction", after: { type: "forward", targetGroups: [{ arn: TG_A, weight: 1 }] } },
      {
        path: "rules.api",
        after: {
          priority: 10,
          conditions: { pathPatterns: ["/api/*"] },
          action: { type: "forward", targetGroups: [{ arn: TG_B, weight: 1 }] },
        },
      },
      {
        path: "rules.docs",
        after: { priority: 20, conditions: { hostHeaders: ["docs.example.com"] }, action: { type: "fixedResponse", statusCode: "404" } },
      },
      { path: "tags.env", after: "test" },
      { path: "tags.reconcile:stack", after: "demo" },
      { path: "tags.reconcile:id", after: "listeners/web.http" },
    ]);
    expect(listenersReconciler.outputs(observed)).toEqual({ arn: LISTENER_ARN });
  });
});

describe("listener diff", () => {
  const https: Partial<ListenerDesired> = {
    protocol: "HTTPS",
    port: 443,
    defaultCertificate: CERT_A,
    additionalCertificates: [CERT_C, CERT_B],
  };
  const liveHttps: Partial<ObservedListener> = {
    protocol: "HTTPS",
    port: 443,
    defaultCertificate: CERT_A,
    additionalCertificates: [CERT_C, CERT_B],
  };
  const foreign = (priority: number, tags: Tags = {}): ObservedListenerRule => ({
    arn: ruleArn(`foreign${priority}`),
    priority,
    conditions: { pathPatterns: ["/theirs/*"] },
    action: { type: "fixedResponse", statusCode: "418" },
    tags,
  });

  it.each<{ why: string; desired?: Partial<ListenerDesired>; observed?: Partial<ObservedListener>; diffs: FieldDiff[] }>([
    { why: "the same listener and rules are no change", diffs: [] },
    {
      why: "a port changed in the spec is changed in place",
      desired: { port: 8080 },
      diffs: [{ path: "port", before: 80, after: 8080 }],
    },
    {
      why: "a protocol changed in the spec is changed in place, with its certificate",
      desired: { ...https, additionalCertificates: [] },
      diffs: [
        { path: "protocol", before: "HTTP", after: "HTTPS" },
        { path: "port", before: 80, after: 443 },
        { path: "defaultCertificate", after: CERT_A },
      ],
    },
    {
      why: "another load balancer forces a replacement (the listener is created on the new one)",
      observed: { loadBalancerArn: OTHER_LB_ARN },
      diffs: [{ path: "loadBalancerArn", before: OTHER_LB_ARN, after: LB_ARN, forcesReplacement: true }],
    },
    {
      why: "the default action's target group still to be created shows as known after apply",
      desired: { defaultAction: { type: "forward", targetGroups: [{ arn: UNKNOWN, weight: 1 }] } },
      diffs: [
        {
          path: "defaultAction",
          before: { type: "forward", targetGroups: [{ arn: TG_A, weight: 1 }] },
          after: { type: "forward", targetGroups: [{ arn: UNKNOWN, weight: 1 }] },
        },
      ],
    },
    {
      why: "a default action changed to a redirect",
      desired: {
        defaultAction: {
          type: "redirect",
          protocol: "HTTPS",
          port: "443",
          host: "#{host}",
          path: "/#{path}",
          query: "#{query}",
          statusCode: "HTTP_301",
        },
      },
      diffs: [
        {
          path: "defaultAction",
          before: { type: "forward", targetGroups: [{ arn: TG_A, weight: 1 }] },
          after: {
            type: "redirect",
            protocol: "HTTPS",
            port: "443",
            host: "#{host}",
            path: "/#{path}",
            query: "#{query}",
            statusCode: "HTTP_301",
          },
        },
      ],
    },
    {
      why: "an SSL policy the spec leaves out is not drift",
      desired: https,
      observed: { ...liveHttps, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" },
      diffs: [],
    },
    {
      why: "an SSL policy the spec sets is enforced",
      desired: { ...https, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" },
      observed: { ...liveHttps, sslPolicy: "ELBSecurityPolicy-2016-08" },
      diffs: [{ path: "sslPolicy", before: "ELBSecurityPolicy-2016-08", after: "ELBSecurityPolicy-TLS13-1-2-2021-06" }],
    },
    {
      why: "another default certificate is changed in place",
      desired: { ...https, defaultCertificate: CERT_B, additionalCertificates: [CERT_C] },
      observed: { ...liveHttps, additionalCertificates: [CERT_C] },
      diffs: [{ path: "defaultCertificate", before: CERT_A, after: CERT_B }],
    },
    {
      why: "an additional certificate added or removed shows as the new set",
      desired: { ...https, additionalCertificates: [CERT_C] },
      observed: liveHttps,
      diffs: [{ path: "additionalCertificates", before: [CERT_C, CERT_B], after: [CERT_C] }],
    },
    {
      why: "an HTTP listener has no certificates to compare",
      observed: { defaultCertificate: CERT_A, additionalCertificates: [CERT_B] },
      diffs: [],
    },
    {
      why: "a tag added out of band is removed; AWS's own are left",
      observed: { tags: { ...LISTENER_TAGS, owner: "someone", "aws:cloudformation:stack-name": "legacy" } },
      diffs: [{ path: "tags.owner", before: "someone" }],
    },
    {
      why: "a rule the spec adds is shown whole",
      observed: { rules: [docsRule] },
      diffs: [
        {
          path: "rules.api",
          after: {
            priority: 10,
            conditions: { pathPatterns: ["/api/*"] },
            action: { type: "forward", targetGroups: [{ arn: TG_B, weight: 1 }] },
          },
        },
      ],
    },
    {
      why: "a rule of the listener's the spec no longer has is shown whole, to be removed",
      desired: { rules: { api: desired.rules.api! } },
      diffs: [{ path: "rules.docs", before: { priority: 20, conditions: docsRule.conditions, action: docsRule.action } }],
    },
    {
      why: "a moved rule changes its priority alone",
      observed: { rules: [{ ...apiRule, priority: 15 }, docsRule] },
      diffs: [{ path: "rules.api.priority", before: 15, after: 10 }],
    },
    {
      why: "two rules swapping priorities are two moves",
      observed: {
        rules: [
          { ...apiRule, priority: 20 },
          { ...docsRule, priority: 10 },
        ],
      },
      diffs: [
        { path: "rules.api.priority", before: 20, after: 10 },
        { path: "rules.docs.priority", before: 10, after: 20 },
      ],
    },
    {
      why: "a changed condition names its field",
      observed: { rules: [{ ...apiRule, conditions: { pathPatterns: ["/v1/*"] } }, docsRule] },
      diffs: [{ path: "rules.api.conditions.pathPatterns", before: ["/v1/*"], after: ["/api/*"] }],
    },
    {
      why: "a condition field added beside the spec's is removed",
      observed: { rules: [{ ...apiRule, conditions: { pathPatterns: ["/api/*"], hostHeaders: ["x.example.com"] } }, docsRule] },
      diffs: [{ path: "rules.api.conditions.hostHeaders", before: ["x.example.com"] }],
    },
    {
      why: "a changed rule action",
      observed: { rules: [{ ...apiRule, action: { type: "forward", targetGroups: [{ arn: TG_A, weight: 1 }] } }, docsRule] },
      diffs: [
        {
          path: "rules.api.action",
          before: { type: "forward", targetGroups: [{ arn: TG_A, weight: 1 }] },
          after: { type: "forward", targetGroups: [{ arn: TG_B, weight: 1 }] },
        },
      ],
    },
    {
      why: "a rule's tags follow the stack's",
      observed: { rules: [{ ...apiRule, tags: { ...ruleTags("api"), env: "old" } }, docsRule] },
      diffs: [{ path: "rules.api.tags.env", before: "old", after: "test" }],
    },
    {
      why: "a rule someone else added, untagged or another stack's, is neither shown nor removed",
      observed: {
        rules: [
          apiRule,
          docsRule,
          foreign(30),
          foreign(40, { "reconcile:stack": "other", "reconcile:id": "listeners/web.http/rules/api" }),
        ],
      },
      diffs: [],
    },
    {
      why: "a rule of the stack tagged as another listener's is not this listener's",
      observed: { rules: [apiRule, docsRule, { ...foreign(30), tags: ruleTags("api", "listeners/web.https") }] },
      diffs: [],
    },
    {
      why: "a second copy of a rule is removed, named by its id",
      observed: { rules: [apiRule, docsRule, { ...apiRule, arn: ruleArn("copy2"), priority: 30 }] },
      diffs: [{ path: "rules.api[copy2]", before: { priority: 30, conditions: apiRule.conditions, action: apiRule.action } }],
    },
    {
      why: "several drifts in a stable order: listener fields, rules by name, tags",
      desired: { port: 81 },
      observed: {
        tags: { ...LISTENER_TAGS, zeta: "z" },
        rules: [
          { ...docsRule, priority: 25 },
          { ...apiRule, priority: 11 },
        ],
      },
      diffs: [
        { path: "port", before: 80, after: 81 },
        { path: "rules.api.priority", before: 11, after: 10 },
        { path: "rules.docs.priority", before: 25, after: 20 },
        { path: "tags.zeta", before: "z" },
      ],
    },
  ])("$why", (row) => {
    expect(diffListener({ ...desired, ...row.desired }, { ...observed, ...row.observed }).lines).toEqual(row.diffs);
  });
});

describe("the typed change update carries out", () => {
  const none = { set: {}, remove: [] };
  const noRules = { create: [], remove: [], move: [], modify: [], retag: [], blocked: [] };
  const unchanged: ListenerChange = { name: "demo-web HTTP:80", tags: none, rules: noRules };
  const fixed = (statusCode: string): CanonicalAction => ({ type: "fixedResponse", statusCode });

  it.each<{ why: string; desired?: Partial<ListenerDesired>; observed?: Partial<ObservedListener>; change: ListenerChange }>([
    { why: "the same listener and rules: nothing to call", change: unchanged },
    {
      why: "port and default action changed: ModifyListener with exactly those fields",
      desired: { port: 8080, defaultAction: fixed("503") },
      change: { ...unchanged, modify: { port: 8080, defaultAction: fixed("503") } },
    },
    {
      why: "a default action forwarding to a group still to be created carries its ARN unknown until apply",
      desired: { defaultAction: { type: "forward", targetGroups: [{ arn: UNKNOWN, weight: 1 }] } },
      change: { ...unchanged, modify: { defaultAction: { type: "forward", targetGroups: [{ arn: UNKNOWN, weight: 1 }] } } },
    },
    {
      why: "HTTPS: a new default certificate is ModifyListener's; the others are added and removed apart",
      desired: { protocol: "HTTPS", defaultCertificate: CERT_B, additionalCertificates: [CERT_C] },
      observed: { protocol: "HTTPS", defaultCertificate: CERT_A, additionalCertificates: [CERT_A, CERT_B] },
      change: { ...unchanged, modify: { defaultCertificate: CERT_B }, certificates: { add: [CERT_C], remove: [CERT_A, CERT_B] } },
    },
    {
      why: "an SSL policy the spec leaves out is not sent, whatever AWS chose",
      observed: { sslPolicy: "ELBSecurityPolicy-2016-08" },
      change: unchanged,
    },
    {
      why: "a rule added is created; one the spec no longer has is removed",
      desired: { rules: { api: desired.rules.api! } },
      observed: { rules: [docsRule] },
      change: { ...unchanged, rules: { ...noRules, create: [{ name: "api", rule: desired.rules.api! }], remove: [docsRule] } },
    },
    {
      why: "rules swapping priorities are moves; a changed condition alone is a ModifyRule of the conditions",
      observed: {
        rules: [
          { ...apiRule, priority: 20, conditions: { pathPatterns: ["/v1/*"] } },
          { ...docsRule, priority: 10 },
        ],
      },
      change: {
        ...unchanged,
        rules: {
          ...noRules,
          move: [
            { name: "api", arn: apiRule.arn, priority: 10 },
            { name: "docs", arn: docsRule.arn, priority: 20 },
          ],
          modify: [{ arn: apiRule.arn, conditions: { pathPatterns: ["/api/*"] } }],
        },
      },
    },
    {
      why: "a rule's action alone is a ModifyRule of the action; its tags follow the stack's",
      observed: { rules: [apiRule, { ...docsRule, action: fixed("503"), tags: { ...ruleTags("docs"), env: "old", extra: "x" } }] },
      change: {
        ...unchanged,
        rules: {
          ...noRules,
          modify: [{ arn: docsRule.arn, action: fixed("404") }],
          retag: [{ arn: docsRule.arn, tags: { set: { env: "test" }, remove: ["extra"] } }],
        },
      },
    },
    {
      why: "the listener's own tags are a tag change of the listener",
      observed: { tags: { ...LISTENER_TAGS, env: "old", owner: "someone" } },
      change: { ...unchanged, tags: { set: { env: "test" }, remove: ["owner"] } },
    },
    {
      why: "a rule to create on the priority of a rule the stack does not own is blocked, naming that rule",
      observed: { rules: [docsRule, { ...apiRule, arn: ruleArn("byhand"), tags: {} }] },
      change: {
        ...unchanged,
        rules: {
          ...noRules,
          create: [{ name: "api", rule: desired.rules.api! }],
          blocked: [{ name: "api", priority: 10, holder: { ...apiRule, arn: ruleArn("byhand"), tags: {} } }],
        },
      },
    },
  ])("$why", (row) => {
    expect(diffListener({ ...desired, ...row.desired }, { ...observed, ...row.observed }).change).toEqual(row.change);
  });
});

describe("AWS's documented answers compare equal to the matching spec", () => {
  it("DescribeListeners and DescribeRules from the API reference examples (an HTTPS and an HTTP listener, host and path rules)", () => {
    const { Listeners } = fixture<{ Listeners: AwsListener[] }>("describe-listeners-of-load-balancer.json");
    const { Rules } = fixture<{ Rules: AwsRule[] }>("describe-rules-of-listener.json");
    const spec = specWith(
      {
        web: {
          name: "my-load-balancer",
          securityGroups: ["alb"],
          listeners: {
            https: {
              protocol: "HTTPS",
              port: 443,
              certificates: ["arn:aws:iam::123456789012:server-certificate/my-server-cert"],
              sslPolicy: "ELBSecurityPolicy-2015-05",
              defaultAction: { forward: "main" },
            },
            http: {
              protocol: "HTTP",
              port: 80,
              defaultAction: { forward: "main" },
              rules: {
                example: { priority: 5, conditions: { hostHeaders: ["*.example.com"] }, action: { forward: "one" } },
                images: { priority: 10, conditions: { pathPatterns: ["/img/*"] }, action: { forward: "two" } },
              },
            },
          },
        },
      },
      {},
    );
    const wanted = desiredOf(
      spec,
      outputsOf({
        "loadBalancers.web": { arn: Listeners[0]!.LoadBalancerArn! },
        "targetGroups.main": { arn: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067" },
        "targetGroups.one": { arn: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets-1/b6bba954d1361c78" },
        "targetGroups.two": { arn: "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets-2/113872332242cd5b" },
      }),
    );
    const tagsOf = (d: ListenerDesired) => d.tags;

    const httpsLive = parseListener(Listeners[0]!, tagsOf(wanted["web.https"]!), [], []);
    expect(httpsLive.name).toBe("my-load-balancer HTTPS:443");
    expect(diffListener(wanted["web.https"]!, httpsLive).lines).toEqual([]);

    // DescribeRules lists the default rule too; observe leaves it out (DescribeListeners gives the default action).
    const ruleNames: Record<string, string> = { "5": "example", "10": "images" };
    const rules = Rules.filter((r) => !r.IsDefault).map((r) => parseRule(r, wanted["web.http"]!.rules[ruleNames[r.Priority!]!]!.tags));
    const httpLive = parseListener(Listeners[1]!, tagsOf(wanted["web.http"]!), [], rules);
    expect(httpLive.rules.map((r) => r.priority)).toEqual([5, 10]);
    expect(diffListener(wanted["web.http"]!, httpLive).lines).toEqual([]);
  });

  it("DescribeListeners of a current account (ForwardConfig echoed beside TargetGroupArn, Order, a redirect's filled keywords)", () => {
    // AWS's API reference examples predate ForwardConfig and Order; this answer was captured from a live account
    // (published in a public lab write-up) and shows what AWS returns today for a plain forward and an HTTPS redirect.
    const { Listeners } = fixture<{ Listeners: AwsListener[] }>("describe-listeners-forward-config.json");
    const spec = specWith(
      {
        lab: {
          name: "lab-alb01",
          securityGroups: ["alb"],
          listeners: {
            http: { protocol: "HTTP", port: 80, defaultAction: { redirect: { protocol: "HTTPS", port: 443 } } },
            https: {
              protocol: "HTTPS",
              port: 443,
              certificates: ["arn:aws:acm:us-east-1:778185677715:certificate/242aad40-1328-4049-a0c8-0efa24fade61"],
              defaultAction: { forward: "lab" },
            },
          },
        },
      },
      {},
    );
    const wanted = desiredOf(
      spec,
      outputsOf({
        "loadBalancers.lab": { arn: Listeners[0]!.LoadBalancerArn! },
        "targetGroups.lab": { arn: "arn:aws:elasticloadbalancing:us-east-1:778185677715:targetgroup/lab-tg01/2cf7a65ef36a133f" },
      }),
    );
    for (const [logical, listener] of [
      ["lab.http", Listeners[0]!],
      ["lab.https", Listeners[1]!],
    ] as const) {
      const live = parseListener(listener, wanted[logical]!.tags, [], []);
      expect(diffListener(wanted[logical]!, live).lines).toEqual([]);
    }
    // The spec leaves the SSL policy out, so AWS's choice (ELBSecurityPolicy-TLS13-1-2-2021-06) is no drift.
    expect(parseListener(Listeners[1]!, {}, [], []).sslPolicy).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
  });

  it("DescribeListenerCertificates' answer minus the default one is the additional certificates", () => {
    const [https] = fixture<{ Listeners: AwsListener[] }>("describe-listeners-of-load-balancer.json").Listeners;
    const live = parseListener(https!, {}, [CERT_C, CERT_B, "arn:aws:iam::123456789012:server-certificate/my-server-cert"], []);
    expect(live.defaultCertificate).toBe("arn:aws:iam::123456789012:server-certificate/my-server-cert");
    expect(live.additionalCertificates).toEqual([CERT_C, CERT_B]);
  });
});

describe("which live listener each node is", () => {
  const listener = (id: string, port: number, lb = LB_ARN): AwsListener => ({
    ListenerArn: `${lb.replace(":loadbalancer/", ":listener/")}/${id}`,
    LoadBalancerArn: lb,
    Port: port,
    Protocol: "HTTP",
  });
  const nodes = desiredOf(
    specWith({
      web: {
        securityGroups: ["alb"],
        listeners: {
          http: { protocol: "HTTP", port: 80, defaultAction: { forward: "a" } },
          admin: { protocol: "HTTP", port: 8080, defaultAction: { forward: "a" } },
        },
      },
    }),
  );
  const desired = [
    { address: "listeners.web.http", value: nodes["web.http"]! },
    { address: "listeners.web.admin", value: nodes["web.admin"]! },
  ];
  const tagged = (logical: string): Tags => ({ "reconcile:stack": "demo", "reconcile:id": `listeners/${logical}` });

  it.each<{ why: string; live: AwsListener[]; tags: Record<string, Tags>; picked: Record<string, string> }>([
    {
      why: "the one on the spec's port when none is tagged (the planner judges ownership from its tags)",
      live: [listener("l80", 80), listener("l8080", 8080), listener("l443", 443)],
      tags: {},
      picked: { "listeners.web.http": "l80", "listeners.web.admin": "l8080" },
    },
    {
      why: "the one tagged as the node, even on another port (the spec moved it)",
      live: [listener("l80", 80), listener("l81", 81)],
      tags: { l81: tagged("web.http") },
      picked: { "listeners.web.http": "l81" },
    },
    {
      why: "not one another node claims by its tag, though it is on this node's port",
      live: [listener("l80", 80), listener("l8080", 8080)],
      tags: { l80: tagged("web.admin") },
      picked: { "listeners.web.admin": "l80" },
    },
    {
      why: "not one tagged by another stack as this node: the port decides then",
      live: [listener("l90", 90), listener("l80", 80)],
      tags: { l90: { "reconcile:stack": "other", "reconcile:id": "listeners/web.http" } },
      picked: { "listeners.web.http": "l80" },
    },
    {
      why: "only listeners of the node's own load balancer",
      live: [listener("l80", 80, OTHER_LB_ARN)],
      tags: {},
      picked: {},
    },
  ])("$why", ({ live, tags, picked }) => {
    const byArn = new Map(Object.entries(tags).map(([id, t]) => [live.find((l) => l.ListenerArn!.endsWith(`/${id}`))!.ListenerArn!, t]));
    const result = pickListeners(desired, live, byArn);
    expect(
      Object.fromEntries([...result].map(([address, l]) => [address, l.ListenerArn!.slice(l.ListenerArn!.lastIndexOf("/") + 1)])),
    ).toEqual(picked);
  });
});

describe("rule changes against a stand-in ELB client", () => {
  /** An ELBv2 client that answers every call itself (nothing leaves the process) and records what it was sent. */
  function standIn() {
    const sent: Array<{ action: string; input: Record<string, unknown> }> = [];
    const client = new ElasticLoadBalancingV2Client({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" } });
    client.middlewareStack.add(
      (_next, context) => async (args) => {
        const action = context.commandName!.replace(/Command$/, "");
        sent.push({ action, input: args.input as Record<string, unknown> });
        const output: Record<string, unknown> =
          action === "DescribeListeners"
            ? { Listeners: [{ ListenerArn: LISTENER_ARN, LoadBalancerArn: LB_ARN, Port: 80, Protocol: "HTTP", DefaultActions: [] }] }
            : action === "CreateRule"
              ? { Rules: [{ RuleArn: ruleArn("new"), Priority: "1", Conditions: [], Actions: [] }] }
              : {};
        return { output: { ...output, $metadata: {} } } as never;
      },
      { step: "initialize", name: "standIn" },
    );
    const ctx = { stack: "demo", region: "us-east-1", clients: { elbv2: client } } as unknown as Context;
    return { ctx, sent, writes: () => sent.filter((c) => !/^Describe/.test(c.action)) };
  }

  it("two rules swapping priorities move in ONE SetRulePriorities (AWS applies it atomically; moto refuses it)", async () => {
    const { ctx, writes } = standIn();
    const live = {
      ...observed,
      rules: [
        { ...apiRule, priority: 20 },
        { ...docsRule, priority: 10 },
      ],
    };
    await listenersReconciler.update(diffListener(desired, live).change, live, ctx);
    expect(writes()).toEqual([
      {
        action: "SetRulePriorities",
        input: {
          RulePriorities: [
            { RuleArn: apiRule.arn, Priority: 10 },
            { RuleArn: docsRule.arn, Priority: 20 },
          ],
        },
      },
    ]);
  });

  it("a rule removed from the spec whose priority a new rule takes goes first; the new one carries its tags", async () => {
    const { ctx, writes } = standIn();
    const oldRule = { ...apiRule, arn: ruleArn("old1"), tags: ruleTags("old") };
    const live = { ...observed, rules: [oldRule, docsRule] };
    await listenersReconciler.update(diffListener(desired, live).change, live, ctx);
    expect(writes()).toEqual([
      { action: "DeleteRule", input: { RuleArn: oldRule.arn } },
      {
        action: "CreateRule",
        input: {
          ListenerArn: LISTENER_ARN,
          Priority: 10,
          Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/api/*"] } }],
          Actions: [{ Type: "forward", TargetGroupArn: TG_B }],
          Tags: [
            { Key: "env", Value: "test" },
            { Key: "reconcile:stack", Value: "demo" },
            { Key: "reconcile:id", Value: "listeners/web.http/rules/api" },
          ],
        },
      },
    ]);
  });

  it("a rule removed from the spec whose priority nobody wants goes last, after the rules that replace it are in", async () => {
    const { ctx, writes } = standIn();
    const oldRule = { ...apiRule, arn: ruleArn("old1"), priority: 5, tags: ruleTags("old") };
    const live = { ...observed, rules: [oldRule, docsRule] };
    await listenersReconciler.update(diffListener(desired, live).change, live, ctx);
    expect(writes().map((c) => c.action)).toEqual(["CreateRule", "DeleteRule"]);
  });

  it("a condition and an action changed on one rule make one ModifyRule with both; a condition alone sends only conditions", async () => {
    const { ctx, writes } = standIn();
    const live = {
      ...observed,
      rules: [
        { ...apiRule, conditions: { pathPatterns: ["/v1/*"] }, action: { type: "fixedResponse" as const, statusCode: "503" } },
        { ...docsRule, conditions: { hostHeaders: ["old.example.com"] } },
      ],
    };
    await listenersReconciler.update(diffListener(desired, live).change, live, ctx);
    expect(writes()).toEqual([
      {
        action: "ModifyRule",
        input: {
          RuleArn: apiRule.arn,
          Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/api/*"] } }],
          Actions: [{ Type: "forward", TargetGroupArn: TG_B }],
        },
      },
      {
        action: "ModifyRule",
        input: { RuleArn: docsRule.arn, Conditions: [{ Field: "host-header", HostHeaderConfig: { Values: ["docs.example.com"] } }] },
      },
    ]);
  });

  it("port, default action and SSL policy changed together make ONE ModifyListener with exactly those fields", async () => {
    const { ctx, writes } = standIn();
    const want: ListenerDesired = {
      ...desired,
      protocol: "HTTPS",
      port: 443,
      defaultCertificate: CERT_A,
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      defaultAction: {
        type: "forward",
        targetGroups: [
          { arn: TG_A, weight: 1 },
          { arn: TG_B, weight: 4 },
        ],
        stickinessSeconds: 60,
      },
    };
    await listenersReconciler.update(diffListener(want, observed).change, observed, ctx);
    expect(writes()).toEqual([
      {
        action: "ModifyListener",
        input: {
          ListenerArn: LISTENER_ARN,
          Protocol: "HTTPS",
          Port: 443,
          SslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
          Certificates: [{ CertificateArn: CERT_A }],
          DefaultActions: [
            {
              Type: "forward",
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: TG_A, Weight: 1 },
                  { TargetGroupArn: TG_B, Weight: 4 },
                ],
                TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 },
              },
            },
          ],
        },
      },
    ]);
  });

  it("additional certificates: AddListenerCertificates for the new, RemoveListenerCertificates for the gone", async () => {
    const { ctx, writes } = standIn();
    const want: ListenerDesired = { ...desired, protocol: "HTTPS", defaultCertificate: CERT_A, additionalCertificates: [CERT_C] };
    const live: ObservedListener = { ...observed, protocol: "HTTPS", defaultCertificate: CERT_A, additionalCertificates: [CERT_B] };
    await listenersReconciler.update(diffListener(want, live).change, live, ctx);
    expect(writes()).toEqual([
      { action: "AddListenerCertificates", input: { ListenerArn: LISTENER_ARN, Certificates: [{ CertificateArn: CERT_C }] } },
      { action: "RemoveListenerCertificates", input: { ListenerArn: LISTENER_ARN, Certificates: [{ CertificateArn: CERT_B }] } },
    ]);
  });

  it("only the change it is given: a tag alone on one rule is one AddTags on that rule", async () => {
    const { ctx, writes } = standIn();
    const live = {
      ...observed,
      rules: [
        { ...apiRule, tags: { ...ruleTags("api"), env: "old" } },
        { ...docsRule, priority: 25 },
      ],
    };
    const { change } = diffListener(desired, live);
    const tagOnly: ListenerChange = { ...change, rules: { ...change.rules, move: [] } };
    await listenersReconciler.update(tagOnly, live, ctx);
    expect(writes()).toEqual([{ action: "AddTags", input: { ResourceArns: [apiRule.arn], Tags: [{ Key: "env", Value: "test" }] } }]);
  });

  it.each<{ why: string; foreign: ObservedListenerRule; live: ObservedListenerRule[] }>([
    {
      why: "an untagged rule on the priority of a rule to create",
      foreign: { ...docsRule, arn: ruleArn("byhand"), priority: 10, tags: {} },
      live: [docsRule],
    },
    {
      why: "another stack's rule on the priority a rule moves to",
      foreign: { ...docsRule, arn: ruleArn("theirs"), priority: 10, tags: { "reconcile:stack": "other" } },
      live: [{ ...apiRule, priority: 15 }, docsRule],
    },
  ])("refuses, before any call, $why", async ({ foreign, live }) => {
    const { ctx, sent } = standIn();
    const current = { ...observed, port: 81, rules: [...live, foreign] };
    await expect(listenersReconciler.update(diffListener(desired, current).change, current, ctx)).rejects.toThrow(
      `listener demo-web HTTP:80: rule "api" needs priority 10, which rule ${foreign.arn} holds`,
    );
    expect(sent).toEqual([]);
  });

  it("a change AWS cannot make in place is not in the change: update given it makes no write", async () => {
    const { ctx, writes } = standIn();
    const live = { ...observed, loadBalancerArn: OTHER_LB_ARN };
    const { lines, change } = diffListener(desired, live);
    expect(lines).toEqual([{ path: "loadBalancerArn", before: OTHER_LB_ARN, after: LB_ARN, forcesReplacement: true }]);
    await listenersReconciler.update(change, live, ctx);
    expect(writes()).toEqual([]);
  });
});
