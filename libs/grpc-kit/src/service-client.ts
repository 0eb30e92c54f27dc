import { Client, Metadata, type ServiceError } from '@grpc/grpc-js';

import { FAST_BUCKETS, histogram } from '@alertgate/metrics';

import { CHANNEL_OPTIONS } from './channel-options.js';
import type { GrpcSecurity } from './grpc-security.js';
import { fromServiceError } from './status-mapping.js';

const clientDuration = histogram({
  name: 'alertgate_rpc_client_duration_seconds',
  help: "Time a caller waited for each gRPC call, by target method and result (ok, or the error code): the server's time plus the transport's.",
  labelNames: ['target', 'result'],
  buckets: FAST_BUCKETS,
});

/** One unary method of a generated service definition (ts-proto's `…Service` objects). */
interface UnaryDefinition<Req, Res> {
  readonly path: string;
  readonly requestStream: false;
  readonly responseStream: false;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly responseDeserialize: (value: Buffer) => Res;
}

export interface CallOptions {
  /** This call's deadline, when it must be shorter than the client's. */
  readonly deadlineMs?: number | undefined;
}

/** A service's unary methods as promises: `dedup.checkBatch(request)`. */
export type ServiceClient<D> = {
  readonly [K in keyof D]: D[K] extends UnaryDefinition<infer Req, infer Res> ? (request: Req, options?: CallOptions) => Promise<Res> : never;
};

export interface ServiceClientOptions {
  /** Names the peer in metrics and errors: "dedup" gives targets such as "dedup.CheckBatch". */
  readonly name: string;
  /** Every call's deadline; no call to another service is ever left without one. */
  readonly deadlineMs: number;
}

/**
 * A channel to another alertgate service at `address`, over TLS when the process has it
 * (GrpcSecurity), with CHANNEL_OPTIONS. One channel serves a ServiceClient and a HealthClient.
 */
export function openChannel(address: string, security: GrpcSecurity): Client {
  return new Client(address, security.channelCredentials(), CHANNEL_OPTIONS);
}

/**
 * A typed client of one service over `channel`, in the style of connect-es' createClient: each
 * unary method of `definition` becomes `(request, options?) => Promise<response>`, with the
 * client's deadline and duration metric, and a failure turned into an AlertgateError (once, here).
 */
export function serviceClient<D extends object>(definition: D, channel: Client, options: ServiceClientOptions): ServiceClient<D> {
  const methods = Object.entries(definition).map(([key, method]: [string, UnaryDefinition<unknown, unknown>]) => {
    const target = `${options.name}.${method.path.slice(method.path.lastIndexOf('/') + 1)}`;
    const call = (request: unknown, callOptions: CallOptions = {}): Promise<unknown> =>
      callUnary(channel, method, request, target, Math.min(options.deadlineMs, callOptions.deadlineMs ?? Infinity));
    return [key, call] as const;
  });
  return Object.fromEntries(methods) as ServiceClient<D>;
}

function callUnary<Req, Res>(channel: Client, method: UnaryDefinition<Req, Res>, request: Req, target: string, deadlineMs: number): Promise<Res> {
  const stop = clientDuration.startTimer({ target });
  return new Promise<Res>((resolve, reject) => {
    const done = (error: ServiceError | null, response?: Res): void => {
      if (error) {
        const mapped = fromServiceError(error, target);
        stop({ result: mapped.code });
        reject(mapped);
      } else {
        stop({ result: 'ok' });
        resolve(response as Res);
      }
    };
    channel.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      new Metadata(),
      { deadline: Date.now() + deadlineMs },
      done,
    );
  });
}
