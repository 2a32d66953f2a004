import { describe, expect, it } from "vitest";
import { renderEventJson, renderEventText, type LoopEvent, type TickOutcome } from "../../src/loop/events.js";

const AT = new Date("2025-03-04T05:06:07.089Z");

const finished: TickOutcome = {
  result: "changed",
  changes: 3,
  driftCorrected: 1,
  failures: [{ address: "services.web", error: "ECS UpdateService on services.web: ServiceNotActiveException" }],
  durationMs: 4_250,
  awsCalls: [
    { service: "ECS", action: "DescribeServices", calls: 4 },
    { service: "ECS", action: "UpdateService", calls: 1 },
  ],
};

// prettier-ignore
const cases: { event: LoopEvent; json: Record<string, unknown>; text: string }[] = [
  {
    event: { event: "tick-started", tick: 7 },
    json: { tick: 7 },
    text: "tick 7 started",
  },
  {
    event: { event: "plan", summary: { add: 1, change: 2, replace: 0, destroy: 0, conflict: 1, held: 0 } },
    json: { summary: { add: 1, change: 2, replace: 0, destroy: 0, conflict: 1, held: 0 } },
    text: "plan: 1 to add, 2 to change, 0 to replace, 0 to destroy, 1 conflict",
  },
  {
    event: { event: "plan", summary: { add: 0, change: 0, replace: 1, destroy: 2, conflict: 0, held: 1 } },
    json: { summary: { add: 0, change: 0, replace: 1, destroy: 2, conflict: 0, held: 1 } },
    text: "plan: 0 to add, 0 to change, 1 to replace, 2 to destroy, 1 held after a failed deployment",
  },
  {
    event: { event: "change-applied", address: "services.web", action: "update", elapsedMs: 1_240 },
    json: { address: "services.web", action: "update", elapsedMs: 1_240 },
    text: "services.web: updated in 1.2s",
  },
  {
    event: { event: "drift-corrected", address: "securityGroups.alb", action: "update" },
    json: { address: "securityGroups.alb", action: "update" },
    text: "securityGroups.alb: drift corrected (update)",
  },
  {
    event: { event: "failure", address: "services.web", error: "ECS UpdateService on services.web: throttled" },
    json: { address: "services.web", error: "ECS UpdateService on services.web: throttled" },
    text: "services.web: failed: ECS UpdateService on services.web: throttled",
  },
  {
    event: { event: "failure", error: "the spec is invalid:\n  web.yaml:3: unknown key" },
    json: { error: "the spec is invalid:\n  web.yaml:3: unknown key" },
    text: "tick failed: the spec is invalid: web.yaml:3: unknown key",
  },
  {
    event: { event: "lock-held", holder: { host: "worker-2", pid: 4242, command: "run" }, expiresAt: new Date("2025-03-04T05:08:00Z") },
    json: { holder: { host: "worker-2", pid: 4242, command: "run" }, expiresAt: "2025-03-04T05:08:00.000Z" },
    text: "lock held by worker-2 pid 4242 (run) until 2025-03-04T05:08:00.000Z: nothing done this tick",
  },
  {
    event: { event: "tick-finished", tick: 7, outcome: finished },
    json: { tick: 7, result: "changed", durationMs: 4_250, changes: 3, driftCorrected: 1, failures: 1, awsCalls: 5 },
    text: "tick 7 changed in 4.3s: 3 changes (1 drift corrected), 1 failure, 5 AWS calls",
  },
  {
    event: { event: "tick-finished", tick: 8, outcome: { ...finished, result: "unchanged", changes: 0, driftCorrected: 0, failures: [], awsCalls: [{ service: "ECS", action: "DescribeServices", calls: 1 }] } },
    json: { tick: 8, result: "unchanged", durationMs: 4_250, changes: 0, driftCorrected: 0, failures: 0, awsCalls: 1 },
    text: "tick 8 unchanged in 4.3s: 0 changes, 0 failures, 1 AWS call",
  },
  {
    event: { event: "sleeping", delayMs: 270_000, nextTickAt: new Date("2025-03-04T05:10:37.089Z") },
    json: { delayMs: 270_000, nextTickAt: "2025-03-04T05:10:37.089Z" },
    text: "next tick at 2025-03-04T05:10:37.089Z (in 4m30s)",
  },
  {
    event: { event: "sleeping", delayMs: 3_600_000, nextTickAt: new Date("2025-03-04T06:06:07.089Z") },
    json: { delayMs: 3_600_000, nextTickAt: "2025-03-04T06:06:07.089Z" },
    text: "next tick at 2025-03-04T06:06:07.089Z (in 1h)",
  },
  {
    event: { event: "stopping", reason: "SIGTERM" },
    json: { reason: "SIGTERM" },
    text: "stopping: SIGTERM",
  },
];

describe("renderEventJson", () => {
  it.each(cases)("$event.event: one line of JSON with the time, the event and its fields", ({ event, json }) => {
    const line = renderEventJson(event, AT);
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({ time: "2025-03-04T05:06:07.089Z", event: event.event, ...json });
  });

  it("writes the time and the event name first, for people reading the raw log", () => {
    const line = renderEventJson({ event: "change-applied", address: "services.web", action: "create", elapsedMs: 1 }, AT);
    expect(Object.keys(JSON.parse(line) as object)).toEqual(["time", "event", "address", "action", "elapsedMs"]);
  });

  it("keeps the per-action calls and failure messages of a finished tick out of its line (they have their own events and metrics)", () => {
    const line = renderEventJson({ event: "tick-finished", tick: 1, outcome: finished }, AT);
    expect(line).not.toContain("UpdateService");
    expect(line).not.toContain("ServiceNotActiveException");
  });

  it("writes only the fields an event's type names, whatever else the object it was built from holds", () => {
    const lease = { host: "worker-2", pid: 4242, command: "run", token: "0f3c…", stack: "web" };
    const line = renderEventJson({ event: "lock-held", holder: lease, expiresAt: AT }, AT);
    expect(JSON.parse(line)).toEqual({
      time: AT.toISOString(),
      event: "lock-held",
      holder: { host: "worker-2", pid: 4242, command: "run" },
      expiresAt: AT.toISOString(),
    });
    const failure = { address: "services.web", error: "ECS UpdateService: throttled", stack: "Error: at …" };
    expect(Object.keys(JSON.parse(renderEventJson({ event: "failure", ...failure }, AT)) as object)).toEqual([
      "time",
      "event",
      "address",
      "error",
    ]);
  });
});

describe("renderEventText", () => {
  it.each(cases)("$event.event: $text", ({ event, text }) => {
    expect(renderEventText(event, AT)).toBe(`2025-03-04T05:06:07.089Z ${text}`);
  });

  it("keeps a holder's command with a newline on one line", () => {
    const line = renderEventText({ event: "lock-held", holder: { host: "h", pid: 1, command: "run\n--once" }, expiresAt: AT }, AT);
    expect(line.split("\n")).toHaveLength(1);
  });
});
