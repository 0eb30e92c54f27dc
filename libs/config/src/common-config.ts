/** Settings every alertgate process shares, read by each app's config.ts. */
import type { EnvReader } from './env-reader.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface CommonConfig {
  readonly logLevel: LogLevel;
  /** Where gRPC servers and HTTP listeners bind. */
  readonly host: string;
  readonly shutdownGraceMs: number;
  /** gRPC servers close each client connection after this long, so that clients rebalance over replicas. */
  readonly grpcMaxConnectionAgeMs: number;
}

export function readCommonConfig(env: EnvReader): CommonConfig {
  return {
    logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    host: env.string('BIND_HOST', '0.0.0.0'),
    shutdownGraceMs: env.durationMs('SHUTDOWN_GRACE', 10_000, { min: 0, max: 300_000 }),
    grpcMaxConnectionAgeMs: env.durationMs('GRPC_MAX_CONNECTION_AGE', 300_000, { min: 1_000, max: 86_400_000 }),
  };
}
