import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Faults that moto never produces (it does not throttle, fail or drop connections), injected by a small HTTP
 * proxy between the SDK and moto:
 * - `unavailable`: HTTP 503 with an empty body, as a load balancer in front of an AWS endpoint may answer;
 * - `throttle`: the service's own throttling error in its wire format (EC2: RequestLimitExceeded, HTTP 503;
 *   other query services: Throttling, HTTP 400; JSON services: ThrottlingException, HTTP 400);
 * - `drop`: the connection is closed without an answer (the SDK sees ECONNRESET, "socket hang up").
 */
export type Fault = "unavailable" | "throttle" | "drop";

export interface FaultRule {
  /** The AWS action to fault, such as `GetRole` or `ListClusters`. */
  action: string;
  fault: Fault;
  /** How many of the next matching requests get the fault (default 1); later ones reach moto. */
  times?: number;
}

/** A request as the proxy saw it. */
export interface SeenRequest {
  /** From the SigV4 credential scope: `iam`, `ec2`, `ecs`, `logs`, … */
  service: string;
  action: string;
  body: string;
  /** The fault it got, or undefined when it was passed on to moto. */
  fault?: Fault;
  /** When the proxy had the whole request, and when it had sent the whole answer (performance.now()). */
  startedAt: number;
  endedAt?: number;
}

export interface FaultProxyOptions {
  /** Held before each request is passed on, so that calls take about as long as real AWS calls (default 0). */
  latencyMs?: number;
  /**
   * Actions moto does not implement, answered here as AWS would (JSON protocols only): the action's name, and the
   * answer's body for the request's. A rule's fault still comes first.
   */
  standIns?: Record<string, (request: Record<string, unknown>) => unknown>;
}

export interface FaultProxy {
  /** Point clients here instead of at moto. */
  readonly endpoint: string;
  inject(rule: FaultRule): void;
  /** Requests seen so far, oldest first. */
  readonly seen: readonly SeenRequest[];
  /** Forgets rules still pending and requests seen. */
  reset(): void;
  close(): Promise<void>;
}

type Protocol = { kind: "json"; contentType: string } | { kind: "query" };

interface ParsedRequest {
  service: string;
  action: string;
  protocol: Protocol;
}

function parse(headers: IncomingHttpHeaders, body: string): ParsedRequest {
  const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(headers.authorization ?? ""));
  const service = scope?.[1] ?? "unknown";
  const target = headers["x-amz-target"];
  if (typeof target === "string") {
    const contentType = String(headers["content-type"] ?? "application/x-amz-json-1.1");
    return { service, action: target.slice(target.lastIndexOf(".") + 1), protocol: { kind: "json", contentType } };
  }
  return { service, action: new URLSearchParams(body).get("Action") ?? "", protocol: { kind: "query" } };
}

const REQUEST_ID = "00000000-0000-4000-8000-00000000fa17";

function throttle(res: ServerResponse, { service, protocol }: ParsedRequest): void {
  if (protocol.kind === "json") {
    const body = JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" });
    res.writeHead(400, { "content-type": protocol.contentType, "x-amzn-errortype": "ThrottlingException", "x-amzn-requestid": REQUEST_ID });
    res.end(body);
  } else if (service === "ec2") {
    res.writeHead(503, { "content-type": "text/xml" });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code>` +
        `<Message>Request limit exceeded.</Message></Error></Errors><RequestID>${REQUEST_ID}</RequestID></Response>`,
    );
  } else {
    res.writeHead(400, { "content-type": "text/xml" });
    res.end(
      `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>` +
        `<RequestId>${REQUEST_ID}</RequestId></ErrorResponse>`,
    );
  }
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);

function forward(target: URL, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const upstream = httpRequest(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      answer.on("end", () => {
        const payload = Buffer.concat(chunks);
        const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
        res.writeHead(answer.statusCode ?? 502, { ...headers, "content-length": payload.length });
        res.end(payload);
      });
    },
  );
  upstream.on("error", (error) => {
    res.writeHead(502, { "content-type": "text/plain" });
    res.end(`fault proxy: moto unreachable: ${error.message}`);
  });
  upstream.end(body);
}

/** Starts the proxy on a free loopback port in front of `target` (the moto endpoint). */
export async function startFaultProxy(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: Required<FaultRule>[] = [];
  const seen: SeenRequest[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const parsed = parse(req.headers, body.toString("utf8"));
      const rule = rules.find((r) => r.action === parsed.action && r.times > 0);
      if (rule) rule.times--;
      const request: SeenRequest = {
        service: parsed.service,
        action: parsed.action,
        body: body.toString("utf8"),
        ...(rule && { fault: rule.fault }),
        startedAt: performance.now(),
      };
      seen.push(request);
      res.on("finish", () => (request.endedAt = performance.now()));
      const standIn = options.standIns?.[parsed.action];
      if (!rule && standIn && parsed.protocol.kind === "json") {
        res.writeHead(200, { "content-type": parsed.protocol.contentType, "x-amzn-requestid": REQUEST_ID });
        return void res.end(JSON.stringify(standIn(JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>)));
      }
      const latency = options.latencyMs ?? 0;
      if (!rule) return latency > 0 ? void setTimeout(() => forward(upstream, req, body, res), latency) : forward(upstream, req, body, res);
      if (rule.fault === "drop") return req.socket.destroy();
      if (rule.fault === "throttle") return throttle(res, parsed);
      res.writeHead(503, { "content-length": 0 });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    inject: (rule) => rules.push({ times: 1, ...rule }),
    seen,
    reset() {
      rules.length = 0;
      seen.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * The longest chain of requests each received after the previous one was answered: how many round trips a
 * run waits for one after the other, whatever runs beside them. Requests still unanswered are left out.
 */
export function sequentialRoundTrips(requests: readonly SeenRequest[]): number {
  const answered = requests.filter((r): r is SeenRequest & { endedAt: number } => r.endedAt !== undefined);
  const byEnd = [...answered].sort((a, b) => a.endedAt - b.endedAt);
  const chain = new Map<SeenRequest, number>();
  let longest = 0;
  for (const request of [...answered].sort((a, b) => a.startedAt - b.startedAt)) {
    let before = 0;
    for (const earlier of byEnd) {
      if (earlier.endedAt > request.startedAt) break;
      before = Math.max(before, chain.get(earlier) ?? 0);
    }
    chain.set(request, before + 1);
    longest = Math.max(longest, before + 1);
  }
  return longest;
}
