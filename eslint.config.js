// The architecture's rules, checked on every `npm test` (see docs/ARCHITECTURE.md):
// - a kind (src/reconcilers/<service>/<kind>/) never imports another kind, nor another service's files; what two
//   kinds share goes down a layer: its service's files (src/reconcilers/<service>/*.ts), the reconcilers' base
//   (the files directly in src/reconcilers: the contract, diff helpers, the Tagging API query), or src/schema;
// - nothing below the catalogue (src/reconcilers/index.ts) imports a kind, and no kind imports the catalogue;
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
    // First match wins: the files directly in src/reconcilers (the base and the catalogue) are the layer "reconcilers".
    "boundaries/elements": [
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
            from: { element: { types: { anyOf: ["kind", "service"] } } },
            disallow: {
              to: [
                { element: { type: "kind" } },
                { element: { types: { anyOf: ["kind", "service"] }, captured: { service: "!{{ from.element.captured.service }}" } } },
              ],
            },
            message:
              "a kind never imports another kind or another service's files: move what they share down a layer (its service's api.ts or model.ts, the files directly in src/reconcilers, schema)",
          },
          {
            // The reconcilers' base is kept off the kinds by the rule below; what is left there is the catalogue.
            from: { element: { type: "layer", captured: { layer: "!reconcilers" } } },
            disallow: { to: { element: { type: "kind" } } },
            message: "only the catalogue (src/reconcilers/index.ts) knows the kinds",
          },
        ],
      },
    ],
  },
};

/** The reconcilers' base sits below the services; the catalogue, above them, is the one file that lists the kinds. */
const baseAndCatalogue = [
  {
    files: ["src/reconcilers/*.ts"],
    ignores: ["src/reconcilers/index.ts"],
    languageOptions: { parser: tseslint.parser },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        2,
        { patterns: [{ regex: "^\\./[^/]+/", message: "the reconcilers' base imports no service or kind: it is the layer they share" }] },
      ],
    },
  },
  {
    files: ["src/reconcilers/*/**/*.ts"],
    languageOptions: { parser: tseslint.parser },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        2,
        {
          patterns: [
            { regex: "^(\\.\\./)+index\\.js$", message: "no kind or service imports the catalogue: it is the one that lists them" },
          ],
        },
      ],
    },
  },
];

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

export default [{ ignores: ["dist/", "node_modules/", ".venv/", "coverage/"] }, kindsAndTheirLayers, ...baseAndCatalogue, pureParts];
