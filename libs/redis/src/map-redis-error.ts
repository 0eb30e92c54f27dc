import { AlertgateError, Code, errorMessage } from '@alertgate/errors';

/**
 * The one place where ioredis failures become AlertgateErrors. Connection trouble, timeouts,
 * failover (LOADING, READONLY, MASTERDOWN, TRYAGAIN, CLUSTERDOWN) and OOM are retryable: the
 * alert must be retried by the sender, not dropped. Anything else is a bug (Internal).
 */
const RETRYABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|BUSY|MOVED|ASK)\b/;

export function mapRedisError(err: unknown, what: string): AlertgateError {
  if (err instanceof AlertgateError) return err;
  const message = errorMessage(err);
  const name = err instanceof Error ? err.name : '';
  if (name === 'ReplyError') {
    if (message.startsWith('OOM')) {
      return new AlertgateError(Code.ResourceExhausted, `${what}: Redis is at maxmemory (${message})`, { cause: err });
    }
    if (RETRYABLE_REPLY.test(message)) {
      return new AlertgateError(Code.Unavailable, `${what}: Redis is not serving writes (${message})`, { cause: err });
    }
    return new AlertgateError(Code.Internal, `${what}: Redis replied ${message}`, { cause: err });
  }
  if (/timed? ?out/i.test(message)) {
    return new AlertgateError(Code.DeadlineExceeded, `${what}: Redis command timed out`, { cause: err });
  }
  return new AlertgateError(Code.Unavailable, `${what}: Redis unavailable (${message})`, { cause: err });
}
