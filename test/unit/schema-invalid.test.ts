import { describe, expect, it } from "vitest";
import { formatPath, loadSpec } from "../../src/schema/index.js";
import { HOSTILE_SPECS } from "../support/hostile-specs.js";
import { validateOverlay, validateTexts } from "../support/specs.js";

interface Case {
  why: string;
  /** Merged over test/fixtures/base.yaml as the file `case.yaml`. */
  overlay: string;
  path: string;
  line: number;
  message: RegExp;
}

// One row a case, kept on one line each so the table reads as a table.
// prettier-ignore
const cases: Case[] = [
  // The schema: unknown keys and wrong types.
  { why: "unknown top-level key", overlay: "stak: demo\n", path: "stak", line: 1, message: /unknown key `stak`: did you mean `stack`\?/ },
  { why: "misspelt nested key", overlay: "targetGroups:\n  web:\n    helthCheck: { path: / }\n", path: "targetGroups.web.helthCheck", line: 3, message: /did you mean `healthCheck`/ },
  { why: "unknown key in a container", overlay: "taskDefinitions:\n  web:\n    containers:\n      app:\n        imagee: nginx\n", path: "taskDefinitions.web.containers.app.imagee", line: 5, message: /unknown key `imagee`/ },
  { why: "stack name with capitals", overlay: "stack: Demo\n", path: "stack", line: 1, message: /stack name is 1-24 lower-case/ },
  { why: "region that is not one", overlay: "region: useast1\n", path: "region", line: 1, message: /AWS region/ },
  { why: "vpc selector misspelt", overlay: "network:\n  vpc: defualt\n", path: "network.vpc", line: 2, message: /expected "default", \{ id: … \} or \{ tags: … \}, got "defualt"/ },
  { why: "subnet selector of an unknown form", overlay: "network:\n  subnets: { zones: [us-east-1a] }\n", path: "network.subnets.zones", line: 2, message: /unknown key `zones` \(allowed here: availabilityZones, ids, tags\)/ },
  { why: "availability zone malformed", overlay: "network:\n  subnets: { availabilityZones: [east] }\n", path: "network.subnets.availabilityZones[0]", line: 2, message: /availability zone/ },
  { why: "desired count as a word", overlay: "services:\n  web:\n    desiredCount: two\n", path: "services.web.desiredCount", line: 3, message: /expected a number, got "two"/ },
  { why: "negative desired count", overlay: "services:\n  web:\n    desiredCount: -1\n", path: "services.web.desiredCount", line: 3, message: />=0/ },
  { why: "missing required key", overlay: "targetGroups:\n  api: { protocol: HTTP }\n", path: "targetGroups.api", line: 2, message: /missing required key `port`/ },
  { why: "a list where entries are keyed by name", overlay: "loadBalancers:\n  web:\n    listeners: [{ protocol: HTTP, port: 80, defaultAction: { forward: web } }]\n", path: "loadBalancers.web.listeners", line: 3, message: /expected a map keyed by name \(`name: …`\), got a list/ },
  // Security groups.
  { why: "rule with two peers", overlay: "securityGroups:\n  alb:\n    ingress: [{ port: 80, cidr: 0.0.0.0/0, securityGroup: tasks }]\n", path: "securityGroups.alb.ingress[0]", line: 3, message: /exactly one peer .*found cidr, securityGroup/ },
  { why: "tcp rule without a port", overlay: "securityGroups:\n  alb:\n    ingress: [{ cidr: 10.0.0.0/8 }]\n", path: "securityGroups.alb.ingress[0]", line: 3, message: /needs `port` or `ports`/ },
  { why: "CIDR that is not one", overlay: "securityGroups:\n  alb:\n    ingress: [{ port: 80, cidr: 10.0.0.0/33 }]\n", path: "securityGroups.alb.ingress[0].cidr", line: 3, message: /CIDR/i },
  { why: "rule from a group not in the spec", overlay: "securityGroups:\n  tasks:\n    ingress: [{ port: 8080, securityGroup: lb }]\n", path: "securityGroups.tasks.ingress[0].securityGroup", line: 3, message: /security group `lb` is not defined in `securityGroups` \(defined: alb, tasks\)/ },
  { why: "existing group given a description", overlay: "securityGroups:\n  default:\n    existing: { name: default }\n    description: mine\n", path: "securityGroups.default.description", line: 4, message: /does not apply to an existing group/ },
  { why: "two target groups with one physical name", overlay: "targetGroups:\n  api: { name: demo-web, port: 8081 }\n", path: "targetGroups.api", line: 2, message: /`api` and `web` would both be named `demo-web`/ },
  // IAM and logs.
  { why: "trusted principal that is not a service", overlay: "roles:\n  exec:\n    trustedServices: [ecs-tasks]\n", path: "roles.exec.trustedServices[0]", line: 3, message: /service principal/ },
  { why: "role name over 64 characters", overlay: `roles:\n  exec:\n    name: ${"r".repeat(65)}\n`, path: "roles.exec.name", line: 3, message: /1-64 characters/ },
  { why: "managed policy that is neither name nor ARN", overlay: "roles:\n  exec:\n    managedPolicies: ['not a policy']\n", path: "roles.exec.managedPolicies[0]", line: 3, message: /managed policy name .* or ARN/ },
  { why: "retention CloudWatch does not accept", overlay: "logGroups:\n  app: { retentionDays: 2 }\n", path: "logGroups.app.retentionDays", line: 2, message: /retention must be one of 1, 3, 5, 7/ },
  { why: "log group name with a space", overlay: "logGroups:\n  app: { name: my logs }\n", path: "logGroups.app.name", line: 2, message: /log group name/ },
  // Load balancing.
  { why: "target group name over 32 characters", overlay: `targetGroups:\n  web: { name: ${"t".repeat(33)} }\n`, path: "targetGroups.web.name", line: 2, message: /1-32 letters/ },
  { why: "target group name ending in a hyphen", overlay: "targetGroups:\n  web: { name: web- }\n", path: "targetGroups.web.name", line: 2, message: /not starting or ending with a hyphen/ },
  { why: "protocol version on a TCP group", overlay: "targetGroups:\n  web: { protocol: TCP, protocolVersion: HTTP2 }\n", path: "targetGroups.web.protocolVersion", line: 2, message: /only to HTTP and HTTPS/ },
  { why: "health check interval below AWS's minimum", overlay: "targetGroups:\n  web:\n    healthCheck: { intervalSeconds: 3 }\n", path: "targetGroups.web.healthCheck.intervalSeconds", line: 3, message: />=5/ },
  { why: "default target group name over 32 characters", overlay: "targetGroups:\n  averyveryverylongtargetgroupname: { port: 80 }\n", path: "targetGroups.averyveryverylongtargetgroupname", line: 2, message: /default name `demo-averyvery.*` .*1-32 letters.*set `name`/ },
  { why: "load balancer name over 32 characters", overlay: `loadBalancers:\n  web: { name: ${"a".repeat(33)} }\n`, path: "loadBalancers.web.name", line: 2, message: /1-32 letters/ },
  { why: "load balancer name starting internal-", overlay: "loadBalancers:\n  web: { name: internal-web }\n", path: "loadBalancers.web.name", line: 2, message: /must not start with `internal-`/ },
  { why: "load balancer in a group not in the spec", overlay: "loadBalancers:\n  web: { securityGroups: [public] }\n", path: "loadBalancers.web.securityGroups[0]", line: 2, message: /security group `public` is not defined/ },
  { why: "HTTPS listener without a certificate", overlay: "loadBalancers:\n  web:\n    listeners:\n      https: { protocol: HTTPS, port: 443, defaultAction: { forward: web } }\n", path: "loadBalancers.web.listeners.https.certificates", line: 4, message: /needs at least one certificate/ },
  { why: "forward to a target group not in the spec", overlay: "loadBalancers:\n  web:\n    listeners:\n      http: { defaultAction: { forward: api } }\n", path: "loadBalancers.web.listeners.http.defaultAction.forward", line: 4, message: /target group `api` is not defined in `targetGroups` \(defined: web\)/ },
  { why: "HTTP listener forwarding to a TCP group", overlay: "targetGroups:\n  tcp: { protocol: TCP, port: 5432 }\nloadBalancers:\n  web:\n    listeners:\n      db: { protocol: HTTP, port: 5432, defaultAction: { forward: tcp } }\n", path: "loadBalancers.web.listeners.db.defaultAction.forward", line: 6, message: /HTTP listener .* cannot forward to target group `tcp` of protocol TCP/ },
  { why: "two listeners on one port", overlay: "loadBalancers:\n  web:\n    listeners:\n      other: { protocol: HTTP, port: 80, defaultAction: { forward: web } }\n", path: "loadBalancers.web.listeners.other.port", line: 4, message: /listeners `http` and `other` both use port 80/ },
  { why: "two rules with one priority", overlay: "loadBalancers:\n  web:\n    listeners:\n      http:\n        rules:\n          a: { priority: 5, conditions: { pathPatterns: [/a] }, action: { forward: web } }\n          b: { priority: 5, conditions: { pathPatterns: [/b] }, action: { forward: web } }\n", path: "loadBalancers.web.listeners.http.rules.b.priority", line: 7, message: /both have priority 5/ },
  { why: "action that both forwards and redirects", overlay: "loadBalancers:\n  web:\n    listeners:\n      http:\n        defaultAction: { redirect: { protocol: HTTPS } }\n", path: "loadBalancers.web.listeners.http.defaultAction", line: 5, message: /exactly one of `forward`, `redirect`, `fixedResponse`/ },
  // Task definitions.
  { why: "cpu that Fargate does not offer", overlay: "taskDefinitions:\n  web: { cpu: 300 }\n", path: "taskDefinitions.web.cpu", line: 2, message: /task cpu 300 is not a Fargate size: use one of 256, 512, 1024/ },
  { why: "memory that does not fit the cpu", overlay: "taskDefinitions:\n  web: { memory: 4 GB }\n", path: "taskDefinitions.web.memory", line: 2, message: /task memory 4096 MiB does not fit cpu 256 .* use 512, 1024, 2048 MiB/ },
  { why: "keeping fewer than 2 revisions", overlay: "taskDefinitions:\n  web: { keepRevisions: 1 }\n", path: "taskDefinitions.web.keepRevisions", line: 2, message: />=2/ },
  { why: "cpu written in words", overlay: "taskDefinitions:\n  web: { cpu: lots }\n", path: "taskDefinitions.web.cpu", line: 2, message: /cannot read CPU "lots"/ },
  { why: "containers asking more cpu than the task", overlay: "taskDefinitions:\n  web:\n    containers:\n      app: { cpu: 512 }\n", path: "taskDefinitions.web.containers", line: 3, message: /512 cpu units in all, more than the task's 256/ },
  { why: "containers asking more memory than the task", overlay: "taskDefinitions:\n  web:\n    containers:\n      app: { memory: 1 GB }\n", path: "taskDefinitions.web.containers", line: 3, message: /1024 MiB in all, more than the task's 512 MiB/ },
  { why: "no essential container", overlay: "taskDefinitions:\n  web:\n    containers:\n      app: { essential: false }\n", path: "taskDefinitions.web.containers", line: 3, message: /at least one container must be essential/ },
  { why: "dependsOn a container not in the task", overlay: "taskDefinitions:\n  web:\n    containers:\n      app:\n        dependsOn: [{ container: db, condition: START }]\n", path: "taskDefinitions.web.containers.app.dependsOn[0].container", line: 5, message: /container `db` is not in this task definition \(containers: app\)/ },
  { why: "containers depending on each other", overlay: "taskDefinitions:\n  web:\n    containers:\n      app:\n        dependsOn: [{ container: side, condition: START }]\n      side:\n        image: busybox\n        dependsOn: [{ container: app, condition: START }]\n", path: "taskDefinitions.web.containers.app.dependsOn", line: 5, message: /cycle: app -> side -> app/ },
  { why: "HEALTHY condition on a container without a health check", overlay: "taskDefinitions:\n  web:\n    containers:\n      app:\n        dependsOn: [{ container: side, condition: HEALTHY }]\n      side: { image: busybox }\n", path: "taskDefinitions.web.containers.app.dependsOn[0].condition", line: 5, message: /HEALTHY needs a healthCheck on container `side`/ },
  { why: "host port unlike the container port", overlay: "taskDefinitions:\n  web:\n    containers:\n      app:\n        portMappings: [{ containerPort: 8080, hostPort: 80 }]\n", path: "taskDefinitions.web.containers.app.portMappings[0].hostPort", line: 5, message: /hostPort must equal containerPort/ },
  { why: "execution role not in the spec", overlay: "taskDefinitions:\n  web: { executionRole: execution }\n", path: "taskDefinitions.web.executionRole", line: 2, message: /role `execution` is not defined in `roles` \(defined: exec\)/ },
  { why: "log group not in the spec", overlay: "taskDefinitions:\n  web:\n    containers:\n      app:\n        logging: { awslogs: { logGroup: logs } }\n", path: "taskDefinitions.web.containers.app.logging.awslogs.logGroup", line: 5, message: /log group `logs` is not defined/ },
  { why: "secret from something that is not an SSM or Secrets Manager ARN", overlay: "taskDefinitions:\n  web:\n    containers:\n      app:\n        secrets: { DB_PASSWORD: { secretsManager: 'arn:aws:s3:::bucket' } }\n", path: "taskDefinitions.web.containers.app.secrets.DB_PASSWORD.secretsManager", line: 5, message: /Secrets Manager secret ARN/ },
  { why: "environment variable name with a dash", overlay: "taskDefinitions:\n  web:\n    containers:\n      app:\n        environment: { DB-HOST: x }\n", path: "taskDefinitions.web.containers.app.environment.DB-HOST", line: 5, message: /invalid environment variable name/ },
  // Services.
  { why: "task definition not in the spec", overlay: "services:\n  web: { taskDefinition: api }\n", path: "services.web.taskDefinition", line: 2, message: /task definition `api` is not defined in `taskDefinitions` \(defined: web\)/ },
  { why: "attachment naming a container the task lacks", overlay: "services:\n  web:\n    loadBalancers: [{ targetGroup: web, container: nginx, port: 8080 }]\n", path: "services.web.loadBalancers[0].container", line: 3, message: /container `nginx` is not in task definition `web` \(containers: app\)/ },
  { why: "attachment on a port no container maps", overlay: "services:\n  web:\n    loadBalancers: [{ targetGroup: web, container: app, port: 9090 }]\n", path: "services.web.loadBalancers[0].port", line: 3, message: /container `app` maps no port 9090/ },
  { why: "target group registering instances", overlay: "targetGroups:\n  web: { targetType: instance }\n", path: "services.web.loadBalancers[0].targetGroup", line: 45, message: /target type instance; Fargate tasks register by IP/ },
  { why: "no cluster named while the spec has two", overlay: "clusters:\n  other: {}\n", path: "services.web", line: 41, message: /set `cluster`: the spec has 2 clusters \(main, other\)/ },
  { why: "launch type and capacity provider strategy together", overlay: "services:\n  web:\n    launchType: FARGATE\n    capacityProviderStrategy: [{ capacityProvider: FARGATE }]\n", path: "services.web.capacityProviderStrategy", line: 4, message: /not both/ },
  { why: "auto scaling minimum above maximum", overlay: "services:\n  web:\n    autoScaling: { minCapacity: 4, maxCapacity: 2 }\n", path: "services.web.autoScaling.minCapacity", line: 3, message: /minCapacity must not exceed maxCapacity/ },
  { why: "a step and a target-tracking policy of one service under one name", overlay: "services:\n  web:\n    autoScaling:\n      minCapacity: 1\n      maxCapacity: 2\n      targetTracking:\n        cpu: { metric: cpu, targetValue: 50 }\n      stepScaling:\n        cpu:\n          steps: [{ lowerBound: 0, adjustment: 1 }]\n          alarm: { metric: cpu, comparison: GreaterThanThreshold, threshold: 80 }\n", path: "services.web.autoScaling.stepScaling.cpu", line: 9, message: /`cpu` is also a target-tracking policy of this service/ },
  { why: "schedule in no format AWS reads", overlay: "services:\n  web:\n    autoScaling:\n      minCapacity: 1\n      maxCapacity: 2\n      scheduled:\n        night: { schedule: every night, minCapacity: 1 }\n", path: "services.web.autoScaling.scheduled.night.schedule", line: 7, message: /cron\(m h dom mon dow yr\)/ },
  { why: "discovery registration on SRV records without a port", overlay: "discoveryServices:\n  web: { dnsRecords: [{ type: SRV }] }\nservices:\n  web:\n    serviceDiscovery: { service: web }\n", path: "services.web.serviceDiscovery", line: 5, message: /SRV records: set `container` and `port`/ },
  // Service discovery.
  { why: "two discovery services with one name in one namespace", overlay: "discoveryServices:\n  api: { namespace: internal, name: web }\n", path: "discoveryServices.api", line: 2, message: /`api` and `web` would both be named `web`/ },
  { why: "discovery service in a namespace not in the spec", overlay: "discoveryServices:\n  web: { namespace: private }\n", path: "discoveryServices.web.namespace", line: 2, message: /namespace `private` is not defined in `namespaces` \(defined: internal\)/ },
  { why: "namespace that is not a DNS name", overlay: "namespaces:\n  internal: { name: Demo_Local }\n", path: "namespaces.internal.name", line: 2, message: /DNS domain/ },
  // Tags.
  { why: "a tag key in the tool's reserved prefix", overlay: "tags:\n  reconcile:stack: other\n", path: `tags["reconcile:stack"]`, line: 2, message: /reconcile: are this tool's ownership tags/ },
  { why: "more tags than AWS allows beside the ownership tags", overlay: `logGroups:\n  app:\n    tags: { ${Array.from({ length: 49 }, (_, i) => `k${i}: v`).join(", ")} }\n`, path: "logGroups.app.tags", line: 3, message: /49 tags with the stack's: .* at most 48/ },
  // Loading.
  { why: "variable that is not set", overlay: "services:\n  web:\n    desiredCount: ${REPLICAS}\n", path: "services.web.desiredCount", line: 3, message: /environment variable REPLICAS is not set and has no default/ },
];

describe("an invalid spec is reported with its path, file and line", () => {
  it("has at least 40 cases", () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)("$why", async ({ overlay, path, line, message }) => {
    const result = await validateOverlay(overlay);
    expect(result.spec).toBeUndefined();
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    const match = errors.find((d) => formatPath(d.path) === path && message.test(d.message));
    expect(
      match,
      `expected an error at ${path} matching ${message}; got:\n${errors.map((d) => `${formatPath(d.path)}: ${d.message}`).join("\n")}`,
    ).toBeDefined();
    const inBase = line > overlay.split("\n").length;
    expect(match!.location).toMatchObject({ file: inBase ? "base.yaml" : "case.yaml", line });
  });
});

describe("problems in the files themselves", () => {
  it.each([
    {
      why: "YAML syntax error",
      text: "stack: demo\nregion: [us-east-1\n",
      line: 3,
      message: /flow sequence|Missing|end/i,
      code: "yaml-syntax",
    },
    {
      why: "a key written twice",
      text: "stack: demo\nstack: other\n",
      line: 2,
      message: /`stack` appears twice .*first on line 1/,
      code: "duplicate-key",
    },
    { why: "a list where the spec is a map", text: "- stack: demo\n", line: 1, message: /a spec file is a YAML map/, code: "not-a-map" },
  ])("$why", async ({ text, line, message, code }) => {
    const result = await validateTexts({ "broken.yaml": text });
    expect(result.spec).toBeUndefined();
    const error = result.diagnostics.find((d) => d.code === code);
    expect(error?.message).toMatch(message);
    expect(error?.location).toMatchObject({ file: "broken.yaml", line });
  });

  // Hostile files: each refused with the file and line (their CLI runs and times are in hostile-yaml.test.ts).
  it.each(HOSTILE_SPECS)("$why", async ({ content, line, message, code }) => {
    const result = await loadSpec(["hostile.yaml"], { readText: async () => content });
    expect(result.spec).toBeUndefined();
    const error = result.diagnostics.find((d) => d.code === code);
    expect(error?.message, result.diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n")).toMatch(message);
    expect(error?.location).toMatchObject({ file: "hostile.yaml", line });
  });

  it("names a file that cannot be read", async () => {
    const missing = await loadSpec(["/nonexistent/spec.yaml"]);
    expect(missing.diagnostics[0]).toMatchObject({ code: "unreadable-file", location: { file: "/nonexistent/spec.yaml", line: 1 } });
  });
});
