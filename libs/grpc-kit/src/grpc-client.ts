import { credentials, type CallOptions, type Client, type ClientUnaryCall, type Metadata, type ServiceError } from '@grpc/grpc-js';

import { fromServiceError } from './status-mapping.js';

type ClientConstructor<C extends Client> = new (address: string, creds: ReturnType<typeof credentials.createInsecure>, options?: object) => C;

export interface ClientOptions {
  /** Applied to every call; no call to another service is ever left without a deadline. */
  readonly deadlineMs: number;
}

/** A typed client of another alertgate service, with keepalive so a dead peer is noticed. */
export function createClient<C extends Client>(Ctor: ClientConstructor<C>, address: string): C {
  return new Ctor(address, credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.enable_retries': 0,
  });
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
  return new Promise<Res>((resolve, reject) => {
    method.call(client, request, metadata, { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error) reject(fromServiceError(error, target));
      else resolve(response);
    });
  });
}
