import { readFileSync } from 'node:fs';

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (clock ticks of
 * 1/100 s); 0 without a pid. Linux only, like the benchmarks that read it (bench, bench-transport).
 * A process that is gone fails with its `name`, so that a run that lost one says which.
 */
export function processCpuSeconds(pid: number | undefined, name = 'a process'): number {
  if (!pid) return 0;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    throw new Error(`${name} (pid ${pid}) is gone: its CPU cannot be read`, { cause: err });
  }
  const fields = stat.split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
