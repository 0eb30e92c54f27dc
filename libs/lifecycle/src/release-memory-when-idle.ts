import { cpuUsage } from 'node:process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleReleaseOptions {
  /** How often the process's CPU use is looked at. */
  readonly intervalMs: number;
  /** The share of one core, over an interval, above which the process counts as busy. */
  readonly busyCpuShare: number;
}

/** What the release looks at and does; the process's own by default (a fake in tests). */
export interface IdleProbe {
  /** CPU time used so far, user + system, µs. */
  cpuMicros(): number;
  collect(): void;
}

/** The options V8's exposed `gc` takes. */
interface GcOptions {
  readonly type: 'major' | 'minor';
  readonly execution: 'sync' | 'async';
  readonly flavor: 'regular' | 'last-resort';
}

/**
 * A plain full collection frees the heap's objects but keeps their pages in V8's page pool, still
 * resident: after the fuzz run the heap's total fell to 47 MiB while the RSS stayed at 382 MiB.
 * The last-resort flavour is the collection V8 runs under memory pressure; it also releases the
 * pooled pages.
 */
const LAST_RESORT: GcOptions = { type: 'major', execution: 'sync', flavor: 'last-resort' };

function processProbe(): IdleProbe {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: GcOptions) => void;
  return {
    cpuMicros: () => {
      const { user, system } = cpuUsage();
      return user + system;
    },
    collect: () => gc(LAST_RESORT),
  };
}

export const IDLE_RELEASE_DEFAULTS: IdleReleaseOptions = { intervalMs: 10_000, busyCpuShare: 0.2 };

/**
 * Gives memory back once the process turns idle after a busy spell. V8 13 (Node 24) runs no
 * garbage collection while nothing allocates, so a heap grown by a burst, and the RSS with it,
 * stays at its high-water mark (docs/reliability.md, the fuzz run). One full collection in the
 * first quiet interval after a busy one returns it; a process that stays busy or stays quiet
 * never pays for it. Returns the function that stops it.
 */
export function releaseMemoryWhenIdle(options: IdleReleaseOptions = IDLE_RELEASE_DEFAULTS, probe: IdleProbe = processProbe()): () => void {
  let last = probe.cpuMicros();
  let busy = false;
  const timer = setInterval(() => {
    const now = probe.cpuMicros();
    const share = (now - last) / 1_000 / options.intervalMs;
    last = now;
    if (share >= options.busyCpuShare) busy = true;
    else if (busy) {
      busy = false;
      probe.collect();
    }
  }, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
