// The architecture's rules, checked on every `npm test` (see docs/ARCHITECTURE.md):
// - a kind (src/reconcilers/<service>/<kind>/) never imports another kind; what two kinds share goes down a
//   layer: its service's files (src/reconcilers/<service>/*.ts), src/reconcilers/shared, or src/schema;
// - the shared layers never import a kind, and only the catalogue (src/reconcilers/index.ts) lists them all;
// - a kind's pure part (every file of its folder but index.ts) imports no AWS SDK client, only its types, and no
//   module that makes calls (a service's api.ts, its waiters, the Tagging API query, src/aws).
import boundaries from "eslint-plugin-boundaries";
import tseslint from "typescript-eslint";

const kindsAndTheirLayers = {
  files: ["src/**/*.ts"],
  languageOptions: { parser: tseslint.parser },
  plugins: { boundaries },
  settings: {
    "import/resolver": { typescript: { project: "tsconfig.json" } },
    "boundaries/include": ["src/**/*.ts"],
    // First match wins. What is left of src/reconcilers after the first three is its index.ts: the catalogue.
    "boundaries/elements": [
      { type: "reconcilers-shared", pattern: "src/reconcilers/shared", partialMatch: false },
      { type: "kind", pattern: "src/reconcilers/*/*", partialMatch: false, capture: ["service", "kind"] },
      { type: "service", pattern: "src/reconcilers/*", partialMatch: false, capture: ["service"] },
      { type: "layer", pattern: "src/*", partialMatch: false, capture: ["layer"] },
    ],
  },
  rules: {
    "boundaries/dependencies": [
      2,
      {
        default: "allow",
        policies: [
          {
            from: { element: { type: "kind" } },
            disallow: { to: [{ element: { type: "kind" } }, { element: { type: "layer", captured: { layer: "reconcilers" } } }] },
            message:
              "a kind never imports another kind: move what they share down a layer (its service's api.ts, reconcilers/shared, schema)",
          },
          {
            from: [
              { element: { types: { anyOf: ["service", "reconcilers-shared"] } } },
              { element: { type: "layer", captured: { layer: "!reconcilers" } } },
            ],
            disallow: { to: { element: { type: "kind" } } },
            message: "only the catalogue (src/reconcilers/index.ts) knows the kinds",
          },
        ],
      },
    ],
  },
};

const pureParts = {
  files: ["src/reconcilers/*/*/*.ts"],
  ignores: ["src/reconcilers/*/*/index.ts"],
  languageOptions: { parser: tseslint.parser },
  plugins: { "@typescript-eslint": tseslint.plugin },
  rules: {
    "@typescript-eslint/no-restricted-imports": [
      2,
      {
        patterns: [
          {
            group: ["@aws-sdk/client-*", "@smithy/*"],
            allowTypeImports: true,
            message: "a kind's pure part imports only types from the SDK: calls belong in its index.ts or its service's api.ts",
          },
          {
            group: ["**/api.js", "**/network-lookup.js", "**/stability.js", "**/tagged-resources.js", "**/aws/*"],
            allowTypeImports: true,
            message:
              "a kind's pure part imports no module that makes AWS calls: what it needs of its service goes in the service's model.ts",
          },
        ],
      },
    ],
  },
};

export default [{ ignores: ["dist/", "node_modules/", ".venv/", "coverage/"] }, kindsAndTheirLayers, pureParts];
