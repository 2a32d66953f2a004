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
