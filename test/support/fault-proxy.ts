import { createHash } from "node:crypto";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Faults that moto never produces (it does not throttle, fail or drop connections), injected by a small HTTP
 * proxy between the SDK and moto:
 * - `unavailable`: HTTP 503 with an empty body, as a load balancer in front of an AWS endpoint may answer;
 * - `throttle`: the service's own throttling error in its wire format (EC2: RequestLimitExceeded, HTTP 503;
 *   other query services: Throttling, HTTP 400; JSON services: ThrottlingException, HTTP 400);
 * - `drop`: the connection is closed without an answer (the SDK sees ECONNRESET, "socket hang up");
 * - `lost`: the request is passed on to moto, which carries it out and answers, then the connection is closed
 *   without that answer: the write took effect, the caller saw a dropped connection (and the SDK retries it);
 * - `dependencyViolation`: EC2's DependencyViolation (HTTP 400), as AWS refuses DeleteSecurityGroup while a network
 *   interface or another group's rule uses the group (moto never does); EC2 actions only.
 */
export type Fault = "unavailable" | "throttle" | "drop" | "lost" | "dependencyViolation";

export interface FaultRule {
  /** The AWS action to fault, such as `GetRole` or `ListClusters`. */
  action: string;
  fault: Fault;
  /** How many of the next matching requests get the fault (default 1); later ones reach moto. */
  times?: number;
  /**
   * Only requests for which this answers true get the fault (asked as each one comes in, before it goes on); the
   * others pass and do not count down `times`.
   */
  when?: (request: { action: string; body: string }) => boolean | Promise<boolean>;
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
  /**
   * Loses the answer (fault `lost`) of this share of write requests (all actions but Describe*, List*, Get*), chosen
   * from the seed, the action and how many requests of that action came before: the same seed loses the same
   * requests of each action, however the run's concurrent calls interleave. Rules injected come first.
   */
  lostWrites?: { rate: number; seed: number };
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

function dependencyViolation(res: ServerResponse, body: string): void {
  const group = new URLSearchParams(body).get("GroupId") ?? "the resource";
  res.writeHead(400, { "content-type": "text/xml" });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>DependencyViolation</Code>` +
      `<Message>resource ${group} has a dependent object</Message></Error></Errors><RequestID>${REQUEST_ID}</RequestID></Response>`,
  );
}

/** The first rule of the action with faults left whose `when` (if any) holds for the request; it counts one down. */
async function matchingRule<R extends FaultRule & { times: number }>(rules: R[], action: string, body: string): Promise<R | undefined> {
  for (const rule of rules) {
    if (rule.action !== action || rule.times <= 0) continue;
    if (rule.when && !(await rule.when({ action, body }))) continue;
    // Another request may have taken the last fault while `when` was asked.
    if (rule.times <= 0) continue;
    rule.times--;
    return rule;
  }
  return undefined;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);

/**
 * Whether the `nth` request of `action` loses its answer under `lostWrites`: a hash of seed, action and n, so
 * that the choice does not depend on how concurrent requests of different actions interleave.
 */
function losesAnswer({ rate, seed }: { rate: number; seed: number }, action: string, nth: number): boolean {
  const digest = createHash("sha256").update(`${seed}/${action}/${nth}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < rate;
}

const isWrite = (action: string) => action !== "" && !/^(Describe|List|Get)/.test(action);

/** Passes the request on to moto and, once moto has answered, closes the client's connection without the answer. */
function forwardAndLose(target: URL, req: IncomingMessage, body: Buffer): void {
  const upstream = httpRequest(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      answer.resume();
      answer.on("end", () => req.socket.destroy());
    },
  );
  upstream.on("error", () => req.socket.destroy());
  upstream.end(body);
}

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
  const rules: Array<FaultRule & { times: number }> = [];
  const seen: SeenRequest[] = [];
  const writesSeen = new Map<string, number>();
  const lostWrite = (action: string): boolean => {
    if (!options.lostWrites || !isWrite(action)) return false;
    const nth = (writesSeen.get(action) ?? 0) + 1;
    writesSeen.set(action, nth);
    return losesAnswer(options.lostWrites, action, nth);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const parsed = parse(req.headers, body.toString("utf8"));
      const rule = await matchingRule(rules, parsed.action, body.toString("utf8"));
      const lost = !rule && lostWrite(parsed.action);
      const fault: Fault | undefined = rule?.fault ?? (lost ? "lost" : undefined);
      const request: SeenRequest = {
        service: parsed.service,
        action: parsed.action,
        body: body.toString("utf8"),
        ...(fault && { fault }),
        startedAt: performance.now(),
      };
      seen.push(request);
      res.on("finish", () => (request.endedAt = performance.now()));
      const standIn = options.standIns?.[parsed.action];
      if (!fault && standIn && parsed.protocol.kind === "json") {
        res.writeHead(200, { "content-type": parsed.protocol.contentType, "x-amzn-requestid": REQUEST_ID });
        return void res.end(JSON.stringify(standIn(JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>)));
      }
      const latency = options.latencyMs ?? 0;
      if (!fault)
        return latency > 0 ? void setTimeout(() => forward(upstream, req, body, res), latency) : forward(upstream, req, body, res);
      if (fault === "lost") return forwardAndLose(upstream, req, body);
      if (fault === "drop") return req.socket.destroy();
      if (fault === "throttle") return throttle(res, parsed);
      if (fault === "dependencyViolation") return dependencyViolation(res, body.toString("utf8"));
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
      writesSeen.clear();
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
