import type { Logger } from '@alertgate/logging';
import { descriptorSetBase64 } from '@alertgate/proto';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

import type { GrpcSecurity } from './grpc-security.js';
import type { GrpcService } from './grpc-service.js';
import { createReflectionServices, DescriptorIndex } from './reflection-service.js';

export interface GrpcServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly logger: Logger;
  /** How long in-flight calls may finish after shutdown starts before they are cancelled. */
  readonly shutdownGraceMs: number;
  /**
   * A client's connection is closed (GOAWAY, its calls finishing within the shutdown grace) after
   * this long, so that long-lived clients reconnect, resolve the Service's pods again and spread
   * over replicas added since (GRPC_MAX_CONNECTION_AGE).
   */
  readonly maxConnectionAgeMs: number;
  /** TLS or plaintext, for this server and, with TLS, a plaintext probe port (GrpcSecurity). */
  readonly security: GrpcSecurity;
}

export const HEALTH_SERVICE = 'grpc.health.v1.Health';
/**
 * Health entry for liveness probes: SERVING while the process runs, whatever its dependencies
 * do (a Redis outage must make a pod unready, not restart it). Readiness probes use "" instead.
 */
export const LIVENESS_SERVICE = 'liveness';

let sharedIndex: DescriptorIndex | undefined;
function descriptorIndex(): DescriptorIndex {
  sharedIndex ??= new DescriptorIndex(Buffer.from(descriptorSetBase64, 'base64'));
  return sharedIndex;
}

/**
 * A gRPC server with what every alertgate service offers besides its own API:
 * grpc.health.v1 (overall "" and per service; NOT_SERVING while a dependency is down or during
 * shutdown), server reflection from buf's descriptors, and graceful shutdown.
 */
export class GrpcServerHost {
  private readonly server: Server;
  /** Health alone, in plaintext, for kubelet probes when the server speaks TLS. */
  private probeServer: Server | undefined;
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING' });
  private readonly services: GrpcService[] = [];
  private boundPort: number | undefined;
  private boundProbePort: number | undefined;

  constructor(private readonly options: GrpcServerOptions) {
    this.server = new Server({
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
      'grpc.max_connection_age_ms': options.maxConnectionAgeMs,
      'grpc.max_connection_age_grace_ms': Math.max(1_000, options.shutdownGraceMs),
      interceptors: options.security.interceptors(),
    });
    this.health.addToServer(this.server);
    const index = descriptorIndex();
    for (const reflection of createReflectionServices(index, () => [
      ...this.services.map((s) => s.name),
      HEALTH_SERVICE,
      'grpc.reflection.v1.ServerReflection',
    ])) {
      reflection.addToServer(this.server);
    }
  }

  add(service: GrpcService): this {
    service.addToServer(this.server);
    this.services.push(service);
    this.health.setStatus(service.name, 'NOT_SERVING');
    return this;
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error('server not started');
    return this.boundPort;
  }

  async start(): Promise<number> {
    const { host, port, logger, security } = this.options;
    this.boundPort = await bind(this.server, `${host}:${port}`, security.serverCredentials());
    const { probePort } = security;
    if (probePort !== undefined) {
      this.probeServer = new Server();
      this.health.addToServer(this.probeServer);
      this.boundProbePort = await bind(this.probeServer, `${host}:${probePort}`, ServerCredentials.createInsecure());
      logger.info({ address: `${host}:${this.boundProbePort}` }, 'gRPC health for probes, in plaintext');
    }
    this.health.setStatus(LIVENESS_SERVICE, 'SERVING');
    logger.info({ address: `${host}:${this.boundPort}`, tls: security.settings.enabled, services: this.services.map((s) => s.name) }, 'gRPC server listening');
    return this.boundPort;
  }

  /** The plaintext health port for probes, once started with TLS and GRPC_PROBE_PORT. */
  get probePort(): number | undefined {
    return this.boundProbePort;
  }

  /** Health of the whole server and of each service (driven by the app's dependency checks). */
  setServing(serving: boolean): void {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', status);
    for (const service of this.services) this.health.setStatus(service.name, status);
  }

  async shutdown(): Promise<void> {
    this.setServing(false);
    this.health.setStatus(LIVENESS_SERVICE, 'NOT_SERVING');
    this.probeServer?.forceShutdown();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.options.logger.warn({ graceMs: this.options.shutdownGraceMs }, 'grace period over; cancelling in-flight calls');
        this.server.forceShutdown();
        resolve();
      }, this.options.shutdownGraceMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function bind(server: Server, address: string, creds: ServerCredentials): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(address, creds, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}
