// Bundles the CLI into dist/cli/main.js (the `reconcile` bin), over tsc's output of that one file: the spec's
// parser alone is some 300 modules (zod's locales among them), and Node spends longer finding and loading them than
// running `validate`. What a command loads on demand (the engine, the AWS SDK) stays in chunks of its own, loaded
// when that command runs; the AWS SDK is not bundled and loads from node_modules.
import { build } from "esbuild";
import { rmSync } from "node:fs";

// Chunks are named by their content's hash: those of an earlier build would pile up.
rmSync("dist/cli/chunks", { recursive: true, force: true });

await build({
  entryPoints: ["src/cli/main.ts"],
  outdir: "dist/cli",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  external: ["@aws-sdk/*", "@smithy/*"],
  // The bundled CommonJS packages (yaml, commander) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: "warning",
});
