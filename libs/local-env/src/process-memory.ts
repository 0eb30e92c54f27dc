import { readFileSync } from 'node:fs';

const MIB = 1024 * 1024;

/** A process's resident memory in MiB (one decimal), from /proc; 0 when it is not running. */
export function residentMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Math.round((Number(match?.[1] ?? 0) * 1024 * 10) / MIB) / 10;
  } catch {
    return 0;
  }
}

/** A service's V8 heap in use in MiB, from its /metrics (prom-client's nodejs_heap_size_used_bytes); 0 when unreadable. */
export async function heapUsedMiB(metricsUrl: string): Promise<number> {
  try {
    const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) })).text();
    const match = /^nodejs_heap_size_used_bytes (\d+(\.\d+)?)/m.exec(text);
    return Math.round((Number(match?.[1] ?? 0) * 10) / MIB) / 10;
  } catch {
    return 0;
  }
}
