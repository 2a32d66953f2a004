import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Integration tests talk to a local moto server; first calls to a moto backend can take seconds.
    testTimeout: 30_000,
    // Two test files at a time: most of a test's time is spent waiting on moto and on the CLI's own processes, so
    // even on two cores the suite takes about a quarter less time than one file at a time.
    maxWorkers: 2,
    hookTimeout: 30_000,
    // The SDK's notice that its 2027 releases need Node.js 22 (see the README) would repeat in every run.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    // In CI the results are also written as JSON, from which .ci/run prints its closing "N passed, N failed" line.
    reporters: process.env.CI ? ["default", ["json", { outputFile: ".test-results.json" }]] : ["default"],
  },
});
