// Bundles the CLI into dist/cli/main.js (the `reconcile` bin), over tsc's output of that one file: the spec's
// parser alone is some 300 modules (zod's locales among them), and Node spends longer finding and loading them than
// running `validate`. What a command loads on demand (the engine, the AWS SDK) stays in chunks of its own, loaded
// when that command runs; the AWS SDK is not bundled and loads from node_modules.
import { build } from "esbuild";
import { rmSync } from "node:fs";

// `--outdir DIR` (default dist/cli): the tests bundle the CLI they run into .test-cli/cli. It must stay two levels
// below the repository, where the CLI finds package.json.
const at = process.argv.indexOf("--outdir");
const outdir = at >= 0 ? process.argv[at + 1] : "dist/cli";

// Chunks are named by their content's hash: those of an earlier build would pile up.
rmSync(`${outdir}/chunks`, { recursive: true, force: true });

/**
 * zod's namespace re-exports its 40-odd message locales (about a third of the bundle's code to parse at start-up);
 * its schemas import English themselves, and the tool sets no other locale.
 */
const onlyEnglishZodMessages = {
  name: "only-english-zod-messages",
  setup(plugin) {
    plugin.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes("/zod/") ? { path: "zod-locales", namespace: "zod-locales" } : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: "zod-locales" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

await build({
  entryPoints: ["src/cli/main.ts"],
  outdir,
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
  // Less to parse at each start; stack traces map back with --enable-source-maps.
  minify: true,
  plugins: [onlyEnglishZodMessages],
  logLevel: "warning",
});
