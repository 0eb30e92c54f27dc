import { AlertgateError, Code } from '@alertgate/errors';

/**
 * How many replicas a write should reach before it is acknowledged. Redis replicates
 * asynchronously: a master that dies takes with it what its replica had not received, and the
 * replica promoted in its place (Sentinel, Cluster) answers from older state. A write followed
 * by WAIT, on the same connection, is answered once that many replicas have it, so what the
 * sender was acknowledged survives a failover.
 */
export interface ReplicaWait {
  /** 0: answer as soon as the master has the write (standalone Redis has no replica). */
  readonly replicas: number;
  /** How long to wait for them. */
  readonly timeoutMs: number;
  /**
   * Fewer replicas in time: 'connected' refuses the write, retryably, while the master has a
   * replica connected (one behind is what a failover would promote), and answers when it has
   * none (after a failover, until one is back); 'required' always refuses, as Redis'
   * min-replicas-to-write would; 'best-effort' always answers. Answered ones are counted.
   */
  readonly policy: ReplicaWaitPolicy;
}

export type ReplicaWaitPolicy = 'best-effort' | 'connected' | 'required';

export const NO_REPLICA_WAIT: ReplicaWait = { replicas: 0, timeoutMs: 0, policy: 'best-effort' };

/**
 * The failure when fewer replicas than required acknowledged a write in time: the master has it,
 * a failover may lose it, so the sender retries (a retried delivery counts again, never less).
 */
export function notReplicated(wait: ReplicaWait, acknowledged: number): AlertgateError {
  return new AlertgateError(
    Code.Unavailable,
    `written on the Redis master, but ${acknowledged} of the ${wait.replicas} replica(s) REDIS_WAIT_REPLICAS asks for acknowledged it within ${wait.timeoutMs} ms (REDIS_WAIT_POLICY=${wait.policy})`,
  );
}
