import { readFileSync } from "node:fs";
import type { Namespace, Operation, Service } from "@aws-sdk/client-servicediscovery";
import { describe, expect, it } from "vitest";
import type { AwsClients } from "../../src/aws/index.js";
import { UNKNOWN, type FieldDiff } from "../../src/plan/model.js";
import { CloudMapOperationError, followOperation } from "../../src/reconcilers/cloudmap/api.js";
import { discoveryServicesReconciler } from "../../src/reconcilers/cloudmap/discovery-services/index.js";
import {
  afterServiceUpdate,
  diffDiscoveryService,
  toObservedDiscoveryService,
  type DiscoveryServiceChange,
  type DiscoveryServiceDesired,
  type ObservedDiscoveryService,
} from "../../src/reconcilers/cloudmap/discovery-services/model.js";
import { namespacesReconciler } from "../../src/reconcilers/cloudmap/namespaces/index.js";
import {
  diffNamespace,
  toObservedNamespace,
  type NamespaceChange,
  type NamespaceDesired,
  type ObservedNamespace,
} from "../../src/reconcilers/cloudmap/namespaces/model.js";
import type { Context, Outputs } from "../../src/reconcilers/contract.js";
import { specSchema } from "../../src/schema/index.js";

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../fixtures/aws/${name}`, import.meta.url), "utf8")) as T;

const SERVICE_OWNERSHIP = { "reconcile:stack": "demo", "reconcile:id": "discoveryServices/db" };
const NAMESPACE_OWNERSHIP = { "reconcile:stack": "demo", "reconcile:id": "namespaces/internal" };

/** Outputs of the network and of one namespace, as the engine gives them once both exist. */
const outputsOf = (values: Record<string, string>): Outputs => ({
  string: (address, output) => values[`${address}.${output}`] ?? UNKNOWN,
  list: () => UNKNOWN,
});

function specWith(extra: Record<string, unknown>) {
  return specSchema.parse({
    stack: "demo",
    region: "us-east-1",
    network: { vpc: "default", subnets: { availabilityZones: ["us-east-1a"] } },
    namespaces: { internal: { name: "example.com" } },
    ...extra,
  });
}

const desiredService: DiscoveryServiceDesired = {
  name: "db",
  namespaceId: "ns-ylexjili4cdxy3xm",
  routingPolicy: "MULTIVALUE",
  dnsRecords: [{ type: "A", ttl: 10 }],
  customHealthCheck: { failureThreshold: 1 },
  tags: SERVICE_OWNERSHIP,
};
const observedService: ObservedDiscoveryService = {
  name: "db",
  id: "srv-p5zdwlg5uvvzjita",
  arn: "arn:aws:servicediscovery:us-west-2:123456789012:service/srv-p5zdwlg5uvvzjita",
  namespaceId: "ns-ylexjili4cdxy3xm",
  description: "",
  routingPolicy: "MULTIVALUE",
  dnsRecords: [{ type: "A", ttl: 10 }],
  customHealthCheck: { failureThreshold: 1 },
  tags: SERVICE_OWNERSHIP,
};

describe("discovery service diff", () => {
  it.each<{ why: string; desired?: Partial<DiscoveryServiceDesired>; observed?: Partial<ObservedDiscoveryService>; diffs: FieldDiff[] }>([
    { why: "the same records, policy, health check and tags are no change", diffs: [] },
    {
      why: "a TTL change is made in place, on its record type's path",
      desired: { dnsRecords: [{ type: "A", ttl: 60 }] },
      diffs: [{ path: "dnsRecords.A.ttl", before: 10, after: 60 }],
    },
    {
      why: "a record type added changes the set of types, which AWS cannot update: replacement",
      desired: {
        dnsRecords: [
          { type: "A", ttl: 10 },
          { type: "SRV", ttl: 10 },
        ],
      },
      diffs: [{ path: "dnsRecords.types", before: ["A"], after: ["A", "SRV"], forcesReplacement: true }],
    },
    {
      why: "a record type swapped is a replacement too; no TTL path for a type only one side has",
      desired: { dnsRecords: [{ type: "SRV", ttl: 30 }] },
      diffs: [{ path: "dnsRecords.types", before: ["A"], after: ["SRV"], forcesReplacement: true }],
    },
    {
      why: "the routing policy is not in DnsConfigChange: replacement",
      desired: { routingPolicy: "WEIGHTED" },
      diffs: [{ path: "routingPolicy", before: "MULTIVALUE", after: "WEIGHTED", forcesReplacement: true }],
    },
    {
      why: "a custom health check cannot be added to an existing service: replacement",
      observed: { customHealthCheck: undefined },
      diffs: [{ path: "customHealthCheck", before: false, after: true, forcesReplacement: true }],
    },
    {
      why: "a custom health check cannot be removed either",
      desired: { customHealthCheck: undefined },
      diffs: [{ path: "customHealthCheck", before: true, after: false, forcesReplacement: true }],
    },
    {
      why: "FailureThreshold is no longer supported (AWS always reports 1): a spec's 3 is no drift",
      desired: { customHealthCheck: { failureThreshold: 3 } },
      diffs: [],
    },
    {
      why: "another namespace is another service",
      desired: { namespaceId: "ns-other" },
      diffs: [{ path: "namespaceId", before: "ns-ylexjili4cdxy3xm", after: "ns-other", forcesReplacement: true }],
    },
    {
      why: "a namespace still to be created shows as known after apply, and forces a new service",
      desired: { namespaceId: UNKNOWN },
      diffs: [{ path: "namespaceId", before: "ns-ylexjili4cdxy3xm", after: UNKNOWN, forcesReplacement: true }],
    },
    {
      why: "a description the spec sets is set in place",
      desired: { description: "the database" },
      diffs: [{ path: "description", before: "", after: "the database" }],
    },
    { why: "a description the spec leaves out is not drift", observed: { description: "set by hand" }, diffs: [] },
    {
      why: "a tag added out of band is removed; AWS's own are kept",
      observed: { tags: { ...SERVICE_OWNERSHIP, owner: "someone", "aws:cloudformation:stack-name": "x" } },
      diffs: [{ path: "tags.owner", before: "someone" }],
    },
  ])("$why", ({ desired, observed, diffs }) => {
    expect(diffDiscoveryService({ ...desiredService, ...desired }, { ...observedService, ...observed }).lines).toEqual(diffs);
  });
});

const NO_TAG_WRITES = { set: {}, remove: [] };

describe("discovery service change", () => {
  it.each<{
    why: string;
    desired?: Partial<DiscoveryServiceDesired>;
    observed?: Partial<ObservedDiscoveryService>;
    change: DiscoveryServiceChange;
  }>([
    { why: "no difference: nothing to send", change: { tags: NO_TAG_WRITES } },
    {
      why: "a TTL change is one UpdateService with the record; no description when the spec sets none",
      desired: { dnsRecords: [{ type: "A", ttl: 60 }] },
      change: {
        service: { Id: observedService.id, Service: { DnsConfig: { DnsRecords: [{ Type: "A", TTL: 60 }] } } },
        tags: NO_TAG_WRITES,
      },
    },
    {
      why: "UpdateService replaces the records wholesale: one TTL changed, every record is sent",
      desired: {
        dnsRecords: [
          { type: "A", ttl: 10 },
          { type: "SRV", ttl: 60 },
        ],
      },
      observed: {
        dnsRecords: [
          { type: "A", ttl: 10 },
          { type: "SRV", ttl: 30 },
        ],
      },
      change: {
        service: {
          Id: observedService.id,
          Service: {
            DnsConfig: {
              DnsRecords: [
                { Type: "A", TTL: 10 },
                { Type: "SRV", TTL: 60 },
              ],
            },
          },
        },
        tags: NO_TAG_WRITES,
      },
    },
    {
      why: "a description change is an UpdateService carrying the records as they are",
      desired: { description: "the database" },
      change: {
        service: {
          Id: observedService.id,
          Service: { Description: "the database", DnsConfig: { DnsRecords: [{ Type: "A", TTL: 10 }] } },
        },
        tags: NO_TAG_WRITES,
      },
    },
    {
      why: "a TTL change sends the description the spec sets too, even when it is unchanged",
      desired: { description: "db", dnsRecords: [{ type: "A", ttl: 60 }] },
      observed: { description: "db" },
      change: {
        service: { Id: observedService.id, Service: { Description: "db", DnsConfig: { DnsRecords: [{ Type: "A", TTL: 60 }] } } },
        tags: NO_TAG_WRITES,
      },
    },
    {
      why: "tags alone need no UpdateService: a spec tag is set, an out-of-band one removed, AWS's own kept",
      desired: { tags: { ...SERVICE_OWNERSHIP, team: "core" } },
      observed: { tags: { ...SERVICE_OWNERSHIP, owner: "someone", "aws:cloudformation:stack-name": "x" } },
      change: { tags: { set: { team: "core" }, remove: ["owner"] } },
    },
    {
      why: "a new record type is a replacement, never an update: nothing to send in place",
      desired: { dnsRecords: [{ type: "SRV", ttl: 30 }] },
      change: { tags: NO_TAG_WRITES },
    },
    {
      why: "a spec's failureThreshold of 3 is no drift, so no UpdateService either",
      desired: { customHealthCheck: { failureThreshold: 3 } },
      change: { tags: NO_TAG_WRITES },
    },
  ])("$why", ({ desired, observed, change }) => {
    expect(diffDiscoveryService({ ...desiredService, ...desired }, { ...observedService, ...observed }).change).toStrictEqual(change);
  });

  it("once UpdateService succeeds, the service has the input's records and description, and nothing else changed", () => {
    const observed = { ...observedService, dnsRecords: [{ type: "A", ttl: 10 }] };
    const { change } = diffDiscoveryService({ ...desiredService, description: "db", dnsRecords: [{ type: "A", ttl: 60 }] }, observed);
    expect(afterServiceUpdate(observed, change.service!)).toEqual({ ...observed, description: "db", dnsRecords: [{ type: "A", ttl: 60 }] });
    const { change: ttlOnly } = diffDiscoveryService({ ...desiredService, dnsRecords: [{ type: "A", ttl: 60 }] }, observed);
    expect(afterServiceUpdate({ ...observed, description: "set by hand" }, ttlOnly.service!).description).toBe("set by hand");
  });
});

describe("discovery service desired state", () => {
  it("is built from the spec: default name, sorted records, namespace id from the namespace's outputs", () => {
    const spec = specWith({
      discoveryServices: {
        db: {
          namespace: "internal",
          dnsRecords: [
            { type: "SRV", ttl: 30 },
            { type: "A", ttl: 10 },
          ],
          healthCheck: {},
        },
      },
    });
    const [node] = discoveryServicesReconciler.nodes(spec);
    expect(node).toMatchObject({ address: "discoveryServices.db", name: "db", dependsOn: ["namespaces.internal"] });
    expect(node!.build(outputsOf({ "namespaces.internal.id": "ns-1" }))).toEqual({
      name: "db",
      namespaceId: "ns-1",
      routingPolicy: "MULTIVALUE",
      dnsRecords: [
        { type: "A", ttl: 10 },
        { type: "SRV", ttl: 30 },
      ],
      customHealthCheck: { failureThreshold: 1 },
      tags: SERVICE_OWNERSHIP,
    });
    expect(node!.build(outputsOf({})).namespaceId).toBe(UNKNOWN);
  });
});

/** The namespace whose ListServices (filtered by it) listed the service: what a summary's namespace is taken to be. */
const LISTED_IN = "ns-listed";

describe("discovery services as AWS reports them", () => {
  it.each<{
    why: string;
    file: string;
    service: (json: { Service?: Service; Services?: Service[] }) => Service;
    expected: Partial<ObservedDiscoveryService>;
  }>([
    {
      why: "a DNS service with one A record (CreateService's documented answer, the shape GetService answers)",
      file: "create-service-servicediscovery-dns.json",
      service: (json) => json.Service!,
      expected: {
        name: "myservice",
        id: "srv-p5zdwlg5uvvzjita",
        namespaceId: "ns-ylexjili4cdxy3xm",
        description: "",
        routingPolicy: "MULTIVALUE",
        dnsRecords: [{ type: "A", ttl: 60 }],
      },
    },
    {
      why: "a ListServices summary carries the same DnsConfig; it does not name the namespace, the listing's filter does",
      file: "list-services-servicediscovery-dns.json",
      service: (json) => json.Services![0]!,
      expected: {
        name: "myservice",
        id: "srv-p5zdwlg5uvvzjita",
        namespaceId: LISTED_IN,
        routingPolicy: "MULTIVALUE",
        dnsRecords: [{ type: "A", ttl: 60 }],
      },
    },
    {
      why: "GetService's documented example (an HTTP service: no DnsConfig, a Route 53 health check that is not a custom one)",
      file: "get-service-http-health-check.json",
      service: (json) => json.Service!,
      expected: {
        name: "example-http-service",
        namespaceId: "ns-e4anhexample0004",
        description: "Example.com AWS Cloud Map HTTP Service",
        dnsRecords: [],
      },
    },
  ])("$why", ({ file, service, expected }) => {
    const observed = toObservedDiscoveryService(service(fixture(file)), SERVICE_OWNERSHIP, LISTED_IN);
    expect(observed).toMatchObject(expected);
    expect(observed.customHealthCheck).toBeUndefined();
  });

  it("a spec and AWS's echo of it compare equal", () => {
    const spec = specWith({ discoveryServices: { myservice: { namespace: "internal", dnsRecords: [{ type: "A", ttl: 60 }] } } });
    const desired = discoveryServicesReconciler.nodes(spec)[0]!.build(outputsOf({ "namespaces.internal.id": "ns-ylexjili4cdxy3xm" }));
    const echo = toObservedDiscoveryService(
      fixture<{ Service: Service }>("create-service-servicediscovery-dns.json").Service,
      desired.tags,
      "ns-ylexjili4cdxy3xm",
    );
    expect(diffDiscoveryService(desired, echo).lines).toEqual([]);
  });
});

const desiredNamespace: NamespaceDesired = { name: "example.com", vpcId: "vpc-1", tags: NAMESPACE_OWNERSHIP };
const observedNamespace: ObservedNamespace = {
  name: "example.com",
  id: "ns-ylexjili4cdxy3xm",
  arn: "arn:aws:servicediscovery:us-west-2:123456789012:namespace/ns-ylexjili4cdxy3xm",
  description: "",
  hostedZoneId: "Z09983722P0QME1B3KC8I",
  tags: NAMESPACE_OWNERSHIP,
};

describe("namespace diff", () => {
  it.each<{ why: string; desired?: Partial<NamespaceDesired>; observed?: Partial<ObservedNamespace>; diffs: FieldDiff[] }>([
    { why: "the same description and tags are no change", diffs: [] },
    {
      why: "a description the spec sets is changed in place",
      desired: { description: "internal names" },
      diffs: [{ path: "description", before: "", after: "internal names" }],
    },
    { why: "a description the spec leaves out is not drift", observed: { description: "set by hand" }, diffs: [] },
    {
      why: "the VPC is not compared: GetNamespace does not report it",
      desired: { vpcId: "vpc-other" },
      diffs: [],
    },
    {
      why: "a VPC still unknown is no diff either (it matters only at creation)",
      desired: { vpcId: UNKNOWN },
      diffs: [],
    },
    {
      why: "a spec tag missing from AWS is added",
      desired: { tags: { ...NAMESPACE_OWNERSHIP, team: "core" } },
      diffs: [{ path: "tags.team", after: "core" }],
    },
  ])("$why", ({ desired, observed, diffs }) => {
    expect(diffNamespace({ ...desiredNamespace, ...desired }, { ...observedNamespace, ...observed }).lines).toEqual(diffs);
  });

  it.each<{ why: string; desired?: Partial<NamespaceDesired>; observed?: Partial<ObservedNamespace>; change: NamespaceChange }>([
    { why: "no difference: nothing to send", change: { tags: NO_TAG_WRITES } },
    {
      why: "a description the spec sets is one UpdatePrivateDnsNamespace input (its request id is made when sent)",
      desired: { description: "internal names" },
      change: { namespace: { Id: observedNamespace.id, Namespace: { Description: "internal names" } }, tags: NO_TAG_WRITES },
    },
    { why: "a description the spec leaves out is not sent", observed: { description: "set by hand" }, change: { tags: NO_TAG_WRITES } },
    {
      why: "a VPC the spec changes is not sent: it cannot be compared",
      desired: { vpcId: "vpc-other" },
      change: { tags: NO_TAG_WRITES },
    },
    {
      why: "tags: a spec tag is set, an out-of-band one removed, AWS's own kept",
      desired: { tags: { ...NAMESPACE_OWNERSHIP, team: "core" } },
      observed: { tags: { ...NAMESPACE_OWNERSHIP, owner: "someone", "aws:cloudformation:stack-name": "x" } },
      change: { tags: { set: { team: "core" }, remove: ["owner"] } },
    },
  ])("change: $why", ({ desired, observed, change }) => {
    expect(diffNamespace({ ...desiredNamespace, ...desired }, { ...observedNamespace, ...observed }).change).toStrictEqual(change);
  });

  it("is built from the spec: the explicit name, the network's VPC, the ownership tags", () => {
    const [node] = namespacesReconciler.nodes(specWith({}));
    expect(node).toMatchObject({ address: "namespaces.internal", name: "example.com", dependsOn: ["network"] });
    expect(node!.build(outputsOf({ "network.vpcId": "vpc-1" }))).toEqual(desiredNamespace);
  });
});

describe("namespaces as AWS reports them", () => {
  it("GetNamespace's documented example: its description and no hosted zone (an HTTP namespace)", () => {
    const { Namespace: namespace } = fixture<{ Namespace: Namespace }>("get-namespace-http.json");
    expect(toObservedNamespace(namespace!, {})).toEqual({
      name: "example-http.com",
      id: "ns-e1tpmexample0001",
      arn: "arn:aws:servicediscovery:us-west-2: 123456789120:namespace/ns-e1tpmexample0001",
      description: "Example.com AWS Cloud Map HTTP Namespace",
      tags: {},
    });
  });

  it("a private namespace of ListNamespaces' documented example, with no description, equals a spec that sets none", () => {
    const { Namespaces } = fixture<{ Namespaces: Namespace[] }>("list-namespaces-servicediscovery-private.json");
    const listed = Namespaces.find((n) => n.Name === "example.com" && n.Type === "DNS_PRIVATE")!;
    const observed = toObservedNamespace(listed, NAMESPACE_OWNERSHIP);
    expect(observed).toEqual(observedNamespace);
    expect(diffNamespace(desiredNamespace, observed).lines).toEqual([]);
  });
});

/** A context whose Cloud Map client answers GetOperation from a script, one answer per call. */
function scriptedContext(answers: Array<Partial<Operation>>, news: string[]): { ctx: Context; calls: () => number } {
  let calls = 0;
  const send = async () => ({ Operation: answers[Math.min(calls++, answers.length - 1)] });
  const clients = { serviceDiscovery: { send } } as unknown as AwsClients;
  const ctx: Context = { stack: "demo", region: "us-east-1", clients, progress: (resource, line) => news.push(`${resource}: ${line}`) };
  return { ctx, calls: () => calls };
}

const FAST = { minDelaySeconds: 0.01, maxDelaySeconds: 0.02 };
/** News is labelled with the address its ownership tag names: namespaces.internal. */
const WHAT = { name: "example.com", tags: NAMESPACE_OWNERSHIP, description: "namespace example.com" };

describe("following a Cloud Map operation", () => {
  it("returns the documented SUCCESS answer after one GetOperation, with the namespace's id in its targets", async () => {
    const { Operation: done } = fixture<{ Operation: Operation }>("get-operation-create-namespace.json");
    const news: string[] = [];
    const { ctx, calls } = scriptedContext([done!], news);
    const operation = await followOperation(ctx, done!.Id!, WHAT, { timeoutMs: 1000, ...FAST });
    expect(operation.Targets?.["NAMESPACE"]).toBe("ns-ylexjili4cdxy3xm");
    expect(calls()).toBe(1);
    expect(news).toEqual(["namespaces.internal: operation SUCCESS"]);
  });

  it("reports the status only when it changes", async () => {
    const news: string[] = [];
    const { ctx, calls } = scriptedContext(
      [{ Status: "SUBMITTED" }, { Status: "PENDING" }, { Status: "PENDING" }, { Status: "SUCCESS", Targets: { NAMESPACE: "ns-1" } }],
      news,
    );
    await followOperation(ctx, "op-1", WHAT, { timeoutMs: 2000, ...FAST });
    expect(calls()).toBe(4);
    expect(news).toEqual([
      "namespaces.internal: operation SUBMITTED",
      "namespaces.internal: operation PENDING",
      "namespaces.internal: operation SUCCESS",
    ]);
  });

  it("a FAIL is an error naming the resource, the operation, and Cloud Map's code and message", async () => {
    const { ctx } = scriptedContext(
      [{ Type: "CREATE_NAMESPACE", Status: "FAIL", ErrorCode: "CANNOT_CREATE_HOSTED_ZONE", ErrorMessage: "the VPC is not found" }],
      [],
    );
    const failure = followOperation(ctx, "op-1", WHAT, { timeoutMs: 1000, ...FAST });
    await expect(failure).rejects.toThrow(CloudMapOperationError);
    await expect(failure).rejects.toThrow(
      "namespace example.com: CREATE_NAMESPACE op-1 failed: CANNOT_CREATE_HOSTED_ZONE: the VPC is not found",
    );
  });

  it("an operation still PENDING when the time is up is an error saying so", async () => {
    const { ctx } = scriptedContext([{ Type: "CREATE_NAMESPACE", Status: "PENDING" }], []);
    await expect(followOperation(ctx, "op-1", WHAT, { timeoutMs: 300, ...FAST })).rejects.toThrow(
      /namespace example.com: CREATE_NAMESPACE op-1 was still PENDING after 0.3 s/,
    );
  });
});
