import type { ChildProcess } from 'node:child_process';

/**
 * Children started by this process (services, Redis, Alertmanager). If this process exits
 * without stopping them (a crash, an uncaught signal), they are killed with it instead of
 * lingering on their ports.
 */
const children = new Set<ChildProcess>();
let hooked = false;

export function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const running of children) running.kill('SIGKILL');
    });
  }
}

/** Sends the signal and resolves once the child has exited (at once when it is not running). */
export function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
