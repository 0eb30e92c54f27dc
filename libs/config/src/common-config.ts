/** Settings every alertgate process shares, read by each app's config.ts. */
import { ConfigError, type EnvReader } from './env-reader.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface CommonConfig {
  readonly logLevel: LogLevel;
  /** Where gRPC servers and HTTP listeners bind. */
  readonly host: string;
  readonly shutdownGraceMs: number;
  /** gRPC servers close each client connection after this long, so that clients rebalance over replicas. */
  readonly grpcMaxConnectionAgeMs: number;
  readonly grpcTls: GrpcTlsSettings;
}

/**
 * TLS for every gRPC hop, this process's servers and clients alike. One directory in the layout
 * cert-manager writes a Secret in (tls.crt, tls.key, ca.crt): the certificate is this process's
 * identity both as a server and as a client, and ca.crt is what its peers' certificates must
 * chain to.
 */
export type GrpcTlsSettings =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      readonly dir: string;
      /** 'require': a client without a valid certificate from ca.crt is refused (mutual TLS). */
      readonly clientAuth: 'require' | 'none';
      /** DNS or URI SANs of the clients allowed to call this process's services; empty: any from ca.crt. */
      readonly allowedClients: readonly string[];
      /** How often the files are read again, so that a rotated certificate is used without a restart. */
      readonly reloadIntervalMs: number;
      /** A plaintext port that serves grpc.health.v1 only, for kubelet probes (which speak no TLS); undefined: none. */
      readonly probePort: number | undefined;
    };

export function readGrpcTls(env: EnvReader): GrpcTlsSettings {
  const dir = env.optional('GRPC_TLS_DIR');
  if (dir === undefined || dir === '') return { enabled: false };
  const clientAuth = env.oneOf('GRPC_TLS_CLIENT_AUTH', ['require', 'none'], 'require');
  const allowedClients = env.list('GRPC_TLS_ALLOWED_CLIENTS', []);
  if (clientAuth === 'none' && allowedClients.length > 0) {
    throw new ConfigError('GRPC_TLS_ALLOWED_CLIENTS', 'needs GRPC_TLS_CLIENT_AUTH=require: without client certificates there is no identity to check');
  }
  const probe = env.optional('GRPC_PROBE_PORT');
  return {
    enabled: true,
    dir,
    clientAuth,
    allowedClients,
    reloadIntervalMs: env.durationMs('GRPC_TLS_RELOAD_INTERVAL', 10_000, { min: 100, max: 3_600_000 }),
    probePort: probe === undefined || probe === '' ? undefined : env.int('GRPC_PROBE_PORT', 0, { min: 0, max: 65535 }),
  };
}

export function readCommonConfig(env: EnvReader): CommonConfig {
  return {
    logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    host: env.string('BIND_HOST', '0.0.0.0'),
    shutdownGraceMs: env.durationMs('SHUTDOWN_GRACE', 10_000, { min: 0, max: 300_000 }),
    grpcMaxConnectionAgeMs: env.durationMs('GRPC_MAX_CONNECTION_AGE', 300_000, { min: 1_000, max: 86_400_000 }),
    grpcTls: readGrpcTls(env),
  };
}
