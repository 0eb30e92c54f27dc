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
   * Fewer replicas in time: 'best-effort' answers anyway and counts the write as unreplicated
   * (a master left without a replica after a failover keeps serving); 'required' refuses it,
   * retryably, as Redis' min-replicas-to-write would.
   */
  readonly policy: ReplicaWaitPolicy;
}

export type ReplicaWaitPolicy = 'best-effort' | 'required';

export const NO_REPLICA_WAIT: ReplicaWait = { replicas: 0, timeoutMs: 0, policy: 'best-effort' };

/**
 * The failure when fewer replicas than required acknowledged a write in time: the master has it,
 * a failover may lose it, so the sender retries (a retried delivery counts again, never less).
 */
export function notReplicated(wait: ReplicaWait, acknowledged: number): AlertgateError {
  return new AlertgateError(
    Code.Unavailable,
    `written on the Redis master, but ${acknowledged} of the ${wait.replicas} replica(s) REDIS_WAIT_REPLICAS asks for acknowledged it within ${wait.timeoutMs} ms (REDIS_WAIT_POLICY=required)`,
  );
}
