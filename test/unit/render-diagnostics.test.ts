import { describe, expect, it } from "vitest";
import { renderDiagnostic } from "../../src/cli/render-diagnostics.js";
import { styleFor } from "../../src/cli/style.js";
import type { Diagnostic } from "../../src/schema/index.js";

const plain = styleFor({ isTTY: false } as NodeJS.WriteStream);
const texts = new Map([["spec.yaml", "stack: demo\nservices:\n  web: { desiredCount: two }\nenv:\n  DB_PASSWORD: hunter2\n"]]);
const at = (line: number, column: number) => ({ file: "spec.yaml", line, column });

describe("a diagnostic as text", () => {
  it("quotes the line with a caret under the column", () => {
    const d: Diagnostic = {
      severity: "error",
      code: "wrong-type",
      message: 'expected a number, got "two"',
      path: ["services", "web", "desiredCount"],
      location: at(3, 25),
    };
    expect(renderDiagnostic(d, plain, texts).split("\n")).toEqual([
      'spec.yaml:3:25: error: services.web.desiredCount: expected a number, got "two" [wrong-type]',
      " 3 |   web: { desiredCount: two }",
      "   |                         ^",
    ]);
  });

  it("never quotes an environment line, which may hold a secret in clear", () => {
    const d: Diagnostic = {
      severity: "warning",
      code: "plain-secret",
      message: "DB_PASSWORD looks secret",
      path: ["taskDefinitions", "t", "containers", "c", "environment", "DB_PASSWORD"],
      location: at(5, 3),
    };
    expect(renderDiagnostic(d, plain, texts)).not.toContain("hunter2");
  });

  it("is one line without the file's text", () => {
    const d: Diagnostic = {
      severity: "warning",
      code: "no-retention",
      message: "no retentionDays",
      path: ["logGroups", "app"],
      location: at(1, 1),
    };
    expect(renderDiagnostic(d, plain)).toBe("spec.yaml:1:1: warning: logGroups.app: no retentionDays [no-retention]");
  });

  it("is coloured on a terminal, and not with NO_COLOR", () => {
    const d: Diagnostic = { severity: "error", code: "x", message: "m", path: [] };
    expect(renderDiagnostic(d, styleFor({ isTTY: true } as NodeJS.WriteStream, {}))).toContain("\u001b[31merror\u001b[39m");
    expect(renderDiagnostic(d, styleFor({ isTTY: true } as NodeJS.WriteStream, { NO_COLOR: "1" }))).toBe("error: m [x]");
  });
});
