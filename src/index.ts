/** The library behind the `reconcile` command: load a spec, plan it against AWS, apply or delete, render. */
export { loadSpec, specJsonSchema, type Spec, type ValidationResult, type Diagnostic } from "./schema/index.js";
export { openStack, planStack, applyPlan, PlanError, type StackSession, type StackConnection, type EnginePlan } from "./engine/index.js";
export { hasChanges, type Plan, type ResourceChange, type FieldDiff, type ResourceResult, type RunReport } from "./plan/model.js";
export { renderPlanText } from "./plan/render-text.js";
export { planToJson, renderPlanJson, type PlanJson } from "./plan/render-json.js";
export { createClients, type AwsClients, type AwsOptions } from "./aws/index.js";
