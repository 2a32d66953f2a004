// Types for scripts/moto.mjs (plain JavaScript, so that it runs before npm dependencies exist).
export declare const MOTO_VERSION: string;

export interface MotoServer {
  /** e.g. http://127.0.0.1:40123 */
  endpoint: string;
  port: number;
  /** Kills moto and waits for it to exit. */
  stop(): Promise<void>;
}

export declare function ensureVenv(options?: { quiet?: boolean }): Promise<void>;
export declare function startMoto(options?: { port?: number; timeoutMs?: number; ecsServiceRunning?: number }): Promise<MotoServer>;

/** The running count the demo's moto reports for every ECS service (MOTO_ECS_SERVICE_RUNNING). */
export declare const DEMO_RUNNING_TASKS: number;
/** The environment a process needs to use the moto at `endpoint`: endpoint, dummy credentials, region, no SDK Node-version notice. */
export declare function motoEnvironment(endpoint: string): Record<string, string>;
