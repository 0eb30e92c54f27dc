import type { LeaseElector } from './lease-elector.js';

/** Work that runs on one replica at a time. */
export interface LeaderTask {
  readonly isRunning: boolean;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Starts the task while this process holds the lease and stops it once it does not, checked
 * every interval. Resolves the returned stop once the task and the election have stopped (the
 * lease given up, so another replica takes over at once).
 */
export function whileLeader(elector: LeaseElector, task: LeaderTask, intervalMs: number): () => Promise<void> {
  elector.start();
  const timer = setInterval(() => {
    const leading = elector.isLeader();
    if (leading && !task.isRunning) task.start();
    else if (!leading && task.isRunning) void task.stop();
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await task.stop();
    await elector.stop();
  };
}
