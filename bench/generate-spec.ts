/**
 * The bench's spec of N web services behind one load balancer: each service has its own target group, listener
 * rule, task definition, service with target tracking, and Cloud Map discovery service; the network, security
 * groups, execution role, log group, cluster, load balancer, listener and namespace are shared.
 */
export function generateSpec(services: number, stack = `bench${services}`): string {
  const lines: string[] = [
    `stack: ${stack}`,
    "region: us-east-1",
    "tags: { app: bench }",
    "network:",
    "  vpc: default",
    "  subnets: { availabilityZones: [us-east-1a, us-east-1b] }",
    "securityGroups:",
    "  lb:",
    `    name: ${stack}-lb`,
    "    description: the load balancer",
    "    ingress: [{ protocol: tcp, port: 80, cidr: 0.0.0.0/0 }]",
    "  tasks:",
    `    name: ${stack}-tasks`,
    "    description: the tasks of the services",
    "    ingress: [{ protocol: tcp, port: 8080, securityGroup: lb }]",
    "roles:",
    "  taskExecution:",
    `    name: ${stack}-exec`,
    "    trustedServices: [ecs-tasks.amazonaws.com]",
    "    managedPolicies: [AmazonECSTaskExecutionRolePolicy]",
    "logGroups:",
    `  app: { name: /bench/${stack}, retentionDays: 7 }`,
    "clusters:",
    `  main: { name: ${stack} }`,
    "namespaces:",
    `  internal: { name: ${stack}.local }`,
    "targetGroups:",
  ];
  const ids = Array.from({ length: services }, (_, i) => `s${i + 1}`);
  for (const id of ids)
    lines.push(
      `  ${id}:`,
      `    name: ${stack}-${id}`.slice(0, 36),
      "    targetType: ip",
      "    protocol: HTTP",
      "    port: 8080",
      "    healthCheck: { path: /health }",
    );
  lines.push(
    "loadBalancers:",
    "  web:",
    `    name: ${stack}`,
    "    securityGroups: [lb]",
    "    listeners:",
    "      http:",
    "        protocol: HTTP",
    "        port: 80",
    "        defaultAction: { fixedResponse: { statusCode: '404' } }",
    "        rules:",
  );
  ids.forEach((id, i) =>
    lines.push(
      `          ${id}:`,
      `            priority: ${i + 1}`,
      `            conditions: { pathPatterns: [/${id}/*] }`,
      `            action: { forward: ${id} }`,
    ),
  );
  lines.push("taskDefinitions:");
  for (const id of ids)
    lines.push(
      `  ${id}:`,
      `    family: ${stack}-${id}`,
      "    cpu: 256",
      "    memory: 512",
      "    executionRole: taskExecution",
      "    containers:",
      "      app:",
      "        image: public.ecr.aws/nginx/nginx:1.27",
      "        portMappings: [{ containerPort: 8080 }]",
      `        logging: { awslogs: { logGroup: app, region: us-east-1, streamPrefix: ${id} } }`,
    );
  lines.push("discoveryServices:");
  for (const id of ids) lines.push(`  ${id}: { namespace: internal, name: ${id}, dnsRecords: [{ type: A, ttl: 10 }] }`);
  lines.push("services:");
  for (const id of ids)
    lines.push(
      `  ${id}:`,
      `    name: ${id}`,
      "    cluster: main",
      `    taskDefinition: ${id}`,
      "    desiredCount: 2",
      "    network: { securityGroups: [tasks], assignPublicIp: ENABLED }",
      `    loadBalancers: [{ targetGroup: ${id}, container: app, port: 8080 }]`,
      `    serviceDiscovery: { service: ${id} }`,
      "    autoScaling:",
      "      minCapacity: 2",
      "      maxCapacity: 4",
      "      targetTracking: { cpu: { metric: cpu, targetValue: 60 } }",
    );
  return lines.join("\n") + "\n";
}
