export { createClients, type AwsClients, type AwsCredentials, type AwsOptions } from "./clients.js";
export { probeServices, type ProbeResult } from "./probe.js";
