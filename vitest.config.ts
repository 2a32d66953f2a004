import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Integration tests talk to a local moto server; first calls to a moto backend can take seconds.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
