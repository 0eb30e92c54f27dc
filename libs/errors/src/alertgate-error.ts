import { errorMessage } from './error-message.js';

/**
 * The one error class of alertgate. Every failure that crosses a module boundary is an
 * AlertgateError with a Code; transports map it exactly once at their edge (gRPC status in
 * libs/grpc-kit, HTTP problem+json in libs/ingest). Node and library errors (ioredis, grpc-js,
 * the Kubernetes client) are wrapped where they enter, never passed through raw.
 */
export enum Code {
  /** Input that can never succeed as sent. */
  InvalidArgument = 'invalid_argument',
  Unauthenticated = 'unauthenticated',
  PermissionDenied = 'permission_denied',
  NotFound = 'not_found',
  AlreadyExists = 'already_exists',
  FailedPrecondition = 'failed_precondition',
  /** A limit or quota is used up (rate limit, Redis maxmemory). */
  ResourceExhausted = 'resource_exhausted',
  /** A dependency (Redis, a service, the Kubernetes API) cannot be reached right now. */
  Unavailable = 'unavailable',
  DeadlineExceeded = 'deadline_exceeded',
  /** A conflicting concurrent write; retrying with fresh state succeeds. */
  Aborted = 'aborted',
  Internal = 'internal',
}

/**
 * Codes after which the same request can succeed later, with the reason. The gateway answers
 * them with 503 + Retry-After because Alertmanager retries 5xx and drops every 4xx
 * (docs/design.md §2).
 */
export const RETRYABLE_CODES: ReadonlyMap<Code, string> = new Map([
  [Code.Unavailable, 'the dependency may come back (restart, failover, network)'],
  [Code.DeadlineExceeded, 'the work may finish in time when the system is less loaded'],
  [Code.ResourceExhausted, 'quotas refill and Redis memory is freed as incidents expire'],
  [Code.Aborted, 'a concurrent writer won; a retry reads the fresh state'],
]);

export function isRetryable(code: Code): boolean {
  return RETRYABLE_CODES.has(code);
}

export interface AlertgateErrorOptions {
  readonly cause?: unknown;
  /** Extra machine-readable detail, e.g. the offending field for InvalidArgument. */
  readonly details?: Readonly<Record<string, string | number>>;
}

export class AlertgateError extends Error {
  override readonly name = 'AlertgateError';
  readonly code: Code;
  readonly details: Readonly<Record<string, string | number>>;

  constructor(code: Code, message: string, options: AlertgateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  get retryable(): boolean {
    return isRetryable(this.code);
  }

  /** Wraps anything thrown into an AlertgateError, keeping an existing one as is. */
  static from(err: unknown, fallback: Code = Code.Internal): AlertgateError {
    if (err instanceof AlertgateError) return err;
    const message = errorMessage(err);
    return new AlertgateError(fallback, message, { cause: err });
  }
}
