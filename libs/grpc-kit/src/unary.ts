import { AlertgateError, Code } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import { FAST_BUCKETS, histogram } from '@alertgate/metrics';
import { status, type handleUnaryCall, type ServerUnaryCall } from '@grpc/grpc-js';

import { toStatusObject } from './status-mapping.js';

const rpcDuration = histogram({
  name: 'alertgate_rpc_server_duration_seconds',
  help: 'Time to answer a gRPC call, by method and status code (requests, errors and latency per RPC).',
  labelNames: ['method', 'code'],
  buckets: FAST_BUCKETS,
});

/**
 * Adapts an async handler to grpc-js. Every failure leaves through toStatusObject, so a handler
 * only throws AlertgateErrors (or anything, which becomes INTERNAL and is logged as a bug).
 */
export function unary<Req, Res>(
  method: string,
  logger: Logger,
  handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const stop = rpcDuration.startTimer({ method });
    handler(call.request, call).then(
      (response) => {
        stop({ code: status[status.OK] });
        callback(null, response);
      },
      (err: unknown) => {
        const error = AlertgateError.from(err);
        if (error.code === Code.Internal) logger.error({ err, method }, 'handler failed');
        else logger.warn({ method, code: error.code, message: error.message }, 'request failed');
        const wire = toStatusObject(error);
        stop({ code: status[wire.code ?? status.UNKNOWN] });
        callback(wire, null);
      },
    );
  };
}
