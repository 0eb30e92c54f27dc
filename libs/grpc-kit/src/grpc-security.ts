import type { PeerCertificate } from 'node:tls';

import type { GrpcTlsSettings } from '@alertgate/config';
import type { Logger } from '@alertgate/logging';
import { counter } from '@alertgate/metrics';
import {
  credentials,
  experimental,
  ResponderBuilder,
  ServerCredentials,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status,
  type ChannelCredentials,
  type ServerInterceptor,
} from '@grpc/grpc-js';

import { TlsFileWatcher } from './tls-files.js';

const refusedCalls = counter({
  name: 'alertgate_grpc_refused_calls_total',
  help: 'gRPC calls refused before reaching a service: the client certificate names no client in GRPC_TLS_ALLOWED_CLIENTS.',
  labelNames: ['method'],
});

/** Health stays open to any client the TLS handshake admitted: probes and peers check it. */
const OPEN_PREFIX = '/grpc.health.v1.Health/';

/**
 * How this process's gRPC servers and clients protect their hops: plaintext, or TLS from one
 * directory (GRPC_TLS_DIR) that is read again on change. Made once per process, at start, and
 * handed to every GrpcServerHost and createClient.
 */
export class GrpcSecurity {
  private constructor(
    readonly settings: GrpcTlsSettings,
    private readonly files: TlsFileWatcher | undefined,
    private readonly logger: Logger | undefined,
  ) {}

  /** No TLS: what `npm start` and the dev overlay run. */
  static plaintext(): GrpcSecurity {
    return new GrpcSecurity({ enabled: false }, undefined, undefined);
  }

  /** Reads the TLS files once (a process does not start without a usable identity), then watches them. */
  static async start(settings: GrpcTlsSettings, logger: Logger): Promise<GrpcSecurity> {
    if (!settings.enabled) {
      logger.warn('gRPC without TLS: GRPC_TLS_DIR is not set, so any client that reaches a port can call it');
      return GrpcSecurity.plaintext();
    }
    const files = await new TlsFileWatcher({ dir: settings.dir, reloadIntervalMs: settings.reloadIntervalMs, logger }).start();
    logger.info({ dir: settings.dir, clientAuth: settings.clientAuth, allowedClients: settings.allowedClients }, 'gRPC over TLS');
    return new GrpcSecurity(settings, files, logger);
  }

  serverCredentials(): ServerCredentials {
    if (!this.files) return ServerCredentials.createInsecure();
    const mutual = this.settings.enabled && this.settings.clientAuth === 'require';
    return experimental.createCertificateProviderServerCredentials(this.files, this.files, mutual);
  }

  channelCredentials(): ChannelCredentials {
    if (!this.files) return credentials.createInsecure();
    return experimental.createCertificateProviderChannelCredentials(this.files, this.files);
  }

  /** Refuses calls from clients whose certificate names none of GRPC_TLS_ALLOWED_CLIENTS. */
  interceptors(): ServerInterceptor[] {
    if (!this.settings.enabled || this.settings.allowedClients.length === 0) return [];
    const allowed = new Set(this.settings.allowedClients);
    const logger = this.logger;
    return [
      (method, call) => {
        const listener = new ServerListenerBuilder()
          .withOnReceiveMetadata((metadata, next) => {
            const names = certificateNames(call.getAuthContext().sslPeerCertificate);
            if (method.path.startsWith(OPEN_PREFIX) || names.some((name) => allowed.has(name))) {
              next(metadata);
              return;
            }
            refusedCalls.inc({ method: method.path });
            logger?.warn({ method: method.path, peer: call.getPeer(), names }, 'gRPC call refused: the client certificate is not in GRPC_TLS_ALLOWED_CLIENTS');
            call.sendStatus({
              code: status.PERMISSION_DENIED,
              details: `${method.path}: the client certificate (${names.join(', ') || 'no DNS or URI name'}) is not allowed to call this service (GRPC_TLS_ALLOWED_CLIENTS)`,
            });
          })
          .build();
        return new ServerInterceptingCall(call, new ResponderBuilder().withStart((next) => next(listener)).build());
      },
    ];
  }

  /** The plaintext port for kubelet probes, when TLS is on and one is configured. */
  get probePort(): number | undefined {
    return this.settings.enabled ? this.settings.probePort : undefined;
  }

  stop(): void {
    this.files?.stop();
  }
}

/** The DNS and URI names of a certificate's subjectAltName ("DNS:a, URI:spiffe://b, IP Address:…"). */
export function certificateNames(certificate: PeerCertificate | undefined): string[] {
  const san = certificate?.subjectaltname ?? '';
  return san
    .split(', ')
    .flatMap((entry) => {
      const match = /^(DNS|URI):(.+)$/.exec(entry.trim());
      return match?.[2] ? [match[2]] : [];
    });
}
