import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

/**
 * The lint rules of eslint.config.js that keep the layers apart, run on code written as if it were in the named
 * file: each row is an import the architecture forbids (or allows), checked through ESLint itself.
 */
const eslint = new ESLint();

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe("architecture lint rules", () => {
  it.each([
    [
      "a kind importing another kind",
      "src/reconcilers/ecs/services/index.ts",
      'import { targetGroupsReconciler } from "../../elb/target-groups/index.js";',
      "boundaries/dependencies",
    ],
    [
      "a kind importing the catalogue",
      "src/reconcilers/ecs/clusters/index.ts",
      'import { CATALOGUE } from "../../index.js";',
      "@typescript-eslint/no-restricted-imports",
    ],
    [
      "a kind importing another service's files",
      "src/reconcilers/ecs/services/index.ts",
      'import { writeElbTags } from "../../elb/api.js";',
      "boundaries/dependencies",
    ],
    [
      "a service's files importing another service's",
      "src/reconcilers/autoscaling/api.ts",
      'import { writeEcsTags } from "../ecs/api.js";',
      "boundaries/dependencies",
    ],
    [
      "the reconcilers' base importing a service's files",
      "src/reconcilers/tagged-resources.ts",
      'import { writeEcsTags } from "./ecs/api.js";',
      "@typescript-eslint/no-restricted-imports",
    ],
    [
      "a service's shared file importing a kind",
      "src/reconcilers/ecs/api.ts",
      'import { servicesReconciler } from "./services/index.js";',
      "boundaries/dependencies",
    ],
    [
      "the engine importing a kind",
      "src/engine/planner.ts",
      'import { servicesReconciler } from "../reconcilers/ecs/services/index.js";',
      "boundaries/dependencies",
    ],
    [
      "a kind's pure part importing an SDK client",
      "src/reconcilers/ecs/services/model.ts",
      'import { ECSClient } from "@aws-sdk/client-ecs";',
      "@typescript-eslint/no-restricted-imports",
    ],
    [
      "a kind's pure part importing its service's calls",
      "src/reconcilers/ecs/services/model.ts",
      'import { writeEcsTags } from "../api.js";',
      "@typescript-eslint/no-restricted-imports",
    ],
  ])("refuses %s", async (_, file, code, rule) => {
    const found = await problems(file, `${code}\nexport const used = [${code.match(/\{ (\w+) \}/)![1]}];\n`);
    expect(found).toEqual([expect.stringContaining(`${rule}: `)]);
  });

  it.each([
    ["a kind importing its service's calls", "src/reconcilers/ecs/services/index.ts", 'import { writeEcsTags } from "../api.js";'],
    [
      "a kind's pure part importing its service's pure part",
      "src/reconcilers/ecs/services/model.ts",
      'import { toEcsTags } from "../model.js";',
    ],
    ["a service's files importing the reconcilers' base", "src/reconcilers/ecs/api.ts", 'import { inBatches } from "../collections.js";'],
    ["a kind importing the contract", "src/reconcilers/ecs/services/model.ts", 'import { desiredNode } from "../../contract.js";'],
    ["a kind importing a spec query", "src/reconcilers/ecs/services/index.ts", 'import { clusterOf } from "../../../schema/queries.js";'],
    [
      "a kind's pure part importing SDK types",
      "src/reconcilers/ecs/services/model.ts",
      'import type { Service } from "@aws-sdk/client-ecs";',
    ],
    ["the catalogue importing a kind", "src/reconcilers/index.ts", 'import { servicesReconciler } from "./ecs/services/index.js";'],
  ])("allows %s", async (_, file, code) => {
    expect(await problems(file, `${code}\nexport type Used = typeof ${code.match(/\{ (\w+) \}/)![1]};\n`)).toEqual([]);
  });
});
