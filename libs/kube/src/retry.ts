import { AlertgateError, Code } from '@alertgate/errors';

export interface RetryPolicy {
  readonly attempts: number;
  readonly baseMs: number;
  readonly capMs: number;
}

/** Four tries within about 1.5 s: short enough to answer within the gateway's deadline. */
export const KUBE_RETRY: RetryPolicy = { attempts: 4, baseMs: 100, capMs: 800 };

/**
 * Runs `fn` again while it fails with a transient AlertgateError (429, 5xx, timeouts,
 * connection errors), waiting a capped exponential backoff with full jitter between tries.
 * Anything else fails at once, a conflict (Aborted) included: sending the same write again would
 * carry the same stale resourceVersion, so the caller reads afresh and merges instead.
 */
export async function withRetry<T>(policy: RetryPolicy, fn: () => Promise<T>, onRetry?: (err: AlertgateError, attempt: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const error = AlertgateError.from(err);
      if (!error.retryable || error.code === Code.Aborted || attempt >= policy.attempts) throw error;
      onRetry?.(error, attempt);
      const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}
