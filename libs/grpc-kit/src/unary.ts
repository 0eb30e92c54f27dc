import { AlertgateError, Code } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import type { handleUnaryCall, ServerUnaryCall } from '@grpc/grpc-js';

import { toStatusObject } from './status-mapping.js';

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
    handler(call.request, call).then(
      (response) => callback(null, response),
      (err: unknown) => {
        const error = AlertgateError.from(err);
        if (error.code === Code.Internal) logger.error({ err, method }, 'handler failed');
        else logger.warn({ method, code: error.code, message: error.message }, 'request failed');
        callback(toStatusObject(error), null);
      },
    );
  };
}
