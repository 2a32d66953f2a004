import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseByteSize } from "../../src/cli/commands/options.js";
import { loadSources, loadSpec } from "../../src/schema/index.js";
import { censusLimitExceeded } from "../../src/schema/yaml-census.js";
import { reconcile } from "../support/cli.js";
import { HOSTILE_SPECS } from "../support/hostile-specs.js";
import { validateTexts } from "../support/specs.js";

const dir = mkdtempSync(join(tmpdir(), "hostile-yaml-"));
const REFERENCE = readFileSync(new URL("../../examples/microblog.yaml", import.meta.url), "utf8");
/** Not a time to meet (that is the 2 s, measured and reported): a guard against a hang, which took minutes. */
const HANG_GUARD_MS = 20_000;
const times: string[] = [];

afterAll(() => console.log(`validate of each hostile file, wall time of the CLI process:\n${times.join("\n")}`));

describe("reconcile validate refuses a hostile file with exit 1, naming the file and line", () => {
  it.each(HOSTILE_SPECS)(
    "$why",
    ({ name, content, code, line }) => {
      const file = join(dir, name);
      writeFileSync(file, content);
      const started = performance.now();
      const run = reconcile(["validate", "-f", file]);
      times.push(`  ${name}: ${((performance.now() - started) / 1000).toFixed(2)} s`);
      expect(run.code, run.stderr + run.stdout).toBe(1);
      expect(run.stderr + run.stdout).toContain(`${file}:${line}:`);
      expect(run.stderr + run.stdout).toContain(`[${code}]`);
    },
    HANG_GUARD_MS,
  );

  it(
    "takes a file over 5 MB with --max-file-size raised",
    () => {
      const file = join(dir, "large-but-allowed.yaml");
      writeFileSync(file, `${REFERENCE}\n# ${"x".repeat(5 * 1024 * 1024)}\n`);
      const refused = reconcile(["validate", "-f", file]);
      expect(refused.stderr + refused.stdout).toContain("[file-too-large]");
      const raised = reconcile(["validate", "-f", file, "--max-file-size", "6MB"]);
      expect(raised.code, raised.stderr).toBe(0);
      expect(raised.stdout).toContain("valid:");
    },
    HANG_GUARD_MS * 2,
  );

  it("refuses a --max-file-size that is not a size, as wrong usage", () => {
    const run = reconcile(["validate", "-f", "examples/microblog.yaml", "--max-file-size", "big"]);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/expected a size such as 5MB/);
  });
});

describe("the limits leave ordinary YAML alone", () => {
  it("the census passes the examples and constructs that look like structure but are not", () => {
    for (const example of ["microblog.yaml", "microblog-shared-db.yaml"]) {
      expect(censusLimitExceeded(readFileSync(new URL(`../../examples/${example}`, import.meta.url), "utf8"))).toBeUndefined();
    }
    const deepButQuoted = "[".repeat(200);
    const lookalikes = [
      `a: "${deepButQuoted}"`,
      `b: '${deepButQuoted} it''s'`,
      `c: /path${deepButQuoted}`,
      `d: |\n  ${deepButQuoted}\n  {"json": [[[[1]]]]}\ne: >-\n    ${deepButQuoted}`,
      `f: x # ${deepButQuoted}`,
      `g: ${"[".repeat(60)}${"]".repeat(60)}`,
    ].join("\n");
    expect(censusLimitExceeded(lookalikes)).toBeUndefined();
    expect(censusLimitExceeded(`g: ${"[".repeat(65)}${"]".repeat(65)}`)).toMatchObject({ limit: "depth" });
  });

  it("a file of 45,000 values is read", async () => {
    const tags = Array.from({ length: 45_000 }, (_, i) => `  k${i}: v\n`).join("");
    const loaded = await loadSources(["big.yaml"], { readText: async () => `stack: demo\ntags:\n${tags}` });
    expect(loaded.diagnostics).toEqual([]);
    expect(Object.keys((loaded.value as { tags: object }).tags)).toHaveLength(45_000);
  });

  it("merge keys merge: explicit keys win, then earlier sources; a shared anchor expands wherever it is used", async () => {
    const text = [
      "defaults: &defaults { cpu: 256, memory: 512 }",
      "sizes: &sizes { memory: 1024, keepRevisions: 3 }",
      "one: { <<: *defaults, cpu: 512 }",
      "two: { <<: [*sizes, *defaults] }",
      "three: *defaults",
    ].join("\n");
    const loaded = await loadSources(["merge.yaml"], { readText: async () => text });
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.value).toMatchObject({
      one: { cpu: 512, memory: 512 },
      two: { memory: 1024, keepRevisions: 3, cpu: 256 },
      three: { cpu: 256, memory: 512 },
    });
    expect(loaded.sourceMap.valueAt(["two", "cpu"])).toMatchObject({ line: 1 });
  });

  it("a key named __proto__ is an entry, not the map's prototype", async () => {
    const loaded = await loadSources(["proto.yaml"], { readText: async () => "tags:\n  __proto__: { polluted: yes }\n" });
    const tags = (loaded.value as { tags: Record<string, unknown> }).tags;
    expect(Object.keys(tags)).toEqual(["__proto__"]);
    expect((tags as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("reads UTF-8 with a byte-order mark, CRLF line ends, and a U+FFFD written in the file", async () => {
    const text = `# a replacement character, as written: \uFFFD\n${REFERENCE}`.replace(/\n/g, "\r\n");
    const result = await loadSpec(["bom.yaml"], {
      readText: async () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
    });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.spec?.stack).toBe("microblog");
  });

  it("reports a key written twice once per repeat, at the repeat", async () => {
    const result = await validateTexts({ "twice.yaml": "stack: demo\nregion: us-east-1\nstack: other\nstack: third\n" });
    const repeats = result.diagnostics.filter((d) => d.code === "duplicate-key");
    expect(repeats.map((d) => d.location?.line)).toEqual([3, 4]);
  });
});

describe("--max-file-size reads sizes as people write them", () => {
  it.each([
    ["5MB", 5 * 1024 * 1024],
    ["512kB", 512 * 1024],
    ["1.5 MiB", 1.5 * 1024 * 1024],
    ["1048576", 1_048_576],
    ["2g", 2 * 1024 ** 3],
    ["big", NaN],
    ["-1MB", NaN],
  ])("%s", (text, bytes) => expect(parseByteSize(text)).toBe(bytes));
});
