import { AlertgateError, Code } from '@alertgate/errors';
import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';

/** The one mapping between alertgate's error codes and gRPC status codes, both directions. */
const CODE_TO_STATUS: ReadonlyMap<Code, status> = new Map([
  [Code.InvalidArgument, status.INVALID_ARGUMENT],
  [Code.Unauthenticated, status.UNAUTHENTICATED],
  [Code.PermissionDenied, status.PERMISSION_DENIED],
  [Code.NotFound, status.NOT_FOUND],
  [Code.AlreadyExists, status.ALREADY_EXISTS],
  [Code.FailedPrecondition, status.FAILED_PRECONDITION],
  [Code.ResourceExhausted, status.RESOURCE_EXHAUSTED],
  [Code.Unavailable, status.UNAVAILABLE],
  [Code.DeadlineExceeded, status.DEADLINE_EXCEEDED],
  [Code.Aborted, status.ABORTED],
  [Code.Internal, status.INTERNAL],
]);

const STATUS_TO_CODE: ReadonlyMap<status, Code> = new Map([
  ...[...CODE_TO_STATUS].map(([code, grpcStatus]): [status, Code] => [grpcStatus, code]),
  // A peer that went away mid-call or never answered: the call may be retried.
  [status.CANCELLED, Code.Unavailable],
  [status.UNKNOWN, Code.Internal],
  [status.OUT_OF_RANGE, Code.InvalidArgument],
  [status.UNIMPLEMENTED, Code.Internal],
  [status.DATA_LOSS, Code.Internal],
]);

/** Server side: what a handler's failure becomes on the wire. */
export function toStatusObject(err: unknown): Partial<StatusObject> {
  const error = AlertgateError.from(err);
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(error.details)) metadata.set(`x-alertgate-${key.toLowerCase()}`, String(value));
  return { code: CODE_TO_STATUS.get(error.code) ?? status.INTERNAL, details: error.message, metadata };
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

/** Client side: a failed call to another alertgate service, as an AlertgateError. */
export function fromServiceError(err: unknown, target: string): AlertgateError {
  if (err instanceof AlertgateError) return err;
  if (!isServiceError(err)) return AlertgateError.from(err, Code.Unavailable);
  const code = STATUS_TO_CODE.get(err.code) ?? Code.Internal;
  return new AlertgateError(code, `${target}: ${err.details || err.message}`, { cause: err });
}
