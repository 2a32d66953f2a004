export { specSchema, type Spec, type SpecInput } from "./spec.js";
export { loadSpec, validateDocument, type ValidationResult } from "./validate.js";
export { loadSources, parseSpecText, type LoadOptions, type LoadedSource } from "./load.js";
export { DEFAULT_MAX_FILE_BYTES } from "./spec-file.js";
export { formatPath, hasErrors, type Diagnostic, type SourceLocation, type SpecPath } from "./diagnostics.js";
export { specJsonSchema } from "./json-schema.js";
export { defaultName, physicalName, type NamedKind } from "./names.js";
export { fargateSizeProblem } from "./fargate.js";
export type { NetworkSpec, SubnetSelector, VpcSelector } from "./network.js";
