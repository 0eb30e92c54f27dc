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
  help: 'gRPC calls refused before reaching a service, by reason: unauthenticated (no verified client certificate) or not_allowed (it names no client of GRPC_TLS_ALLOWED_CLIENTS).',
  labelNames: ['method', 'reason'],
});

/** Health stays open to any TLS client: probes and peers check it, and it tells nothing else. */
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

  /**
   * With mutual TLS the handshake asks for a client certificate but lets one that is missing or
   * fails verification through to the interceptor, which refuses the call with UNAUTHENTICATED
   * and says why: a refused handshake shows grpcurl only a dial timeout. Node verifies the
   * certificate either way; grpc-js hands on only a verified one (getAuthContext).
   */
  serverCredentials(): ServerCredentials {
    if (!this.files) return ServerCredentials.createInsecure();
    return experimental.createCertificateProviderServerCredentials(this.files, this.files, false);
  }

  private get mutual(): boolean {
    return this.settings.enabled && this.settings.clientAuth === 'require';
  }

  channelCredentials(): ChannelCredentials {
    if (!this.files) return credentials.createInsecure();
    return experimental.createCertificateProviderChannelCredentials(this.files, this.files);
  }

  /**
   * With mutual TLS: refuses calls without a verified client certificate (UNAUTHENTICATED), and
   * those whose certificate names none of GRPC_TLS_ALLOWED_CLIENTS (PERMISSION_DENIED).
   */
  interceptors(): ServerInterceptor[] {
    if (!this.mutual || !this.settings.enabled) return [];
    const allowed = this.settings.allowedClients.length > 0 ? new Set(this.settings.allowedClients) : undefined;
    const refuse = (
      call: Parameters<ServerInterceptor>[1],
      method: string,
      reason: 'unauthenticated' | 'not_allowed',
      code: status,
      details: string,
      names: string[],
    ): void => {
      refusedCalls.inc({ method, reason });
      this.logger?.warn({ method, peer: call.getPeer(), names, reason }, 'gRPC call refused');
      call.sendStatus({ code, details });
    };
    return [
      (method, call) => {
        const listener = new ServerListenerBuilder()
          .withOnReceiveMetadata((metadata, next) => {
            if (method.path.startsWith(OPEN_PREFIX)) return next(metadata);
            const context = call.getAuthContext();
            if (context.transportSecurityType !== 'ssl' || !context.sslPeerCertificate) {
              refuse(
                call,
                method.path,
                'unauthenticated',
                status.UNAUTHENTICATED,
                `${method.path}: a client certificate from this service's CA (GRPC_TLS_DIR/ca.crt) is required; none was sent, or it is expired, not yet valid or from another CA`,
                [],
              );
              return;
            }
            const names = certificateNames(context.sslPeerCertificate);
            if (!allowed || names.some((name) => allowed.has(name))) return next(metadata);
            refuse(
              call,
              method.path,
              'not_allowed',
              status.PERMISSION_DENIED,
              `${method.path}: the client certificate (${names.join(', ') || 'no DNS or URI name'}) is not allowed to call this service (GRPC_TLS_ALLOWED_CLIENTS)`,
              names,
            );
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
  return san.split(', ').flatMap((entry) => {
    const match = /^(DNS|URI):(.+)$/.exec(entry.trim());
    return match?.[2] ? [match[2]] : [];
  });
}
