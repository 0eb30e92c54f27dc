import type { CallOptions, ChannelCredentials, Client, ClientUnaryCall, Metadata, ServiceError } from '@grpc/grpc-js';

import { FAST_BUCKETS, histogram } from '@alertgate/metrics';

import type { GrpcSecurity } from './grpc-security.js';
import { fromServiceError } from './status-mapping.js';

const clientDuration = histogram({
  name: 'alertgate_rpc_client_duration_seconds',
  help: 'Time a caller waited for each gRPC call, by target method and result (ok, or the error code): the server\'s time plus the transport\'s.',
  labelNames: ['target', 'result'],
  buckets: FAST_BUCKETS,
});

type ClientConstructor<C extends Client> = new (address: string, creds: ChannelCredentials, options?: object) => C;

export interface ClientOptions {
  /** Applied to every call; no call to another service is ever left without a deadline. */
  readonly deadlineMs: number;
}

/**
 * Channel settings for calls between alertgate's services: calls spread round robin over every
 * address the target resolves to (a headless Service's pods, or a multi-address target), where
 * grpc-js' default pick_first would send them all to one replica; keepalive so a dead peer is
 * noticed; and a short reconnect backoff (grpc-js defaults to up to 120 s) so that a restarted
 * peer is used again within a second instead of failing every webhook for minutes. A connection
 * that drops makes the channel resolve the name again, at most once a second: grpc-js' default of
 * 30 s left the gateway dialing a rolled Deployment's old pod addresses, refused, for that long.
 * The servers' maximum connection age (GRPC_MAX_CONNECTION_AGE) makes it happen for replicas
 * added later too.
 */
export const CHANNEL_OPTIONS = {
  'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
  'grpc.dns_min_time_between_resolutions_ms': 1_000,
  'grpc.enable_retries': 0,
} as const;

/** A typed client of another alertgate service, over TLS when the process has it (GrpcSecurity). */
export function createClient<C extends Client>(Ctor: ClientConstructor<C>, address: string, security: GrpcSecurity): C {
  return new Ctor(address, security.channelCredentials(), CHANNEL_OPTIONS);
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/**
 * Calls a unary method with a deadline and turns a failure into an AlertgateError (once, here).
 * `target` names the peer in error messages, e.g. "dedup.CheckBatch".
 */
export function callUnary<Req, Res>(
  client: Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  metadata: Metadata,
  target: string,
  { deadlineMs }: ClientOptions,
): Promise<Res> {
  const stop = clientDuration.startTimer({ target });
  return new Promise<Res>((resolve, reject) => {
    method.call(client, request, metadata, { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error) {
        const mapped = fromServiceError(error, target);
        stop({ result: mapped.code });
        reject(mapped);
      } else {
        stop({ result: 'ok' });
        resolve(response);
      }
    });
  });
}
