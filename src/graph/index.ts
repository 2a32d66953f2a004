export { CycleError, DependencyGraph } from "./graph.js";
