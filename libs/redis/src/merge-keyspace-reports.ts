import type { ClassReport, KeyspaceReport } from './inspect-keyspace.js';

/** Fields of INFO memory that add up over servers; the rest are kept only when all servers agree. */
const ADDITIVE = new Set(['used_memory', 'used_memory_rss', 'used_memory_peak', 'maxmemory', 'used_memory_scripts']);

function mergeClasses(all: readonly ClassReport[][]): ClassReport[] {
  return (all[0] ?? []).map((first, c) => {
    const same = all.map((classes) => classes[c] ?? first);
    const sum = (pick: (cls: ClassReport) => number): number => same.reduce((total, cls) => total + pick(cls), 0);
    return {
      name: first.name,
      description: first.description,
      keys: sum((cls) => cls.keys),
      bytes: sum((cls) => cls.bytes),
      measured: sum((cls) => cls.measured),
      withoutTtl: sum((cls) => cls.withoutTtl),
      entries: sum((cls) => cls.entries),
      ttl: {
        under1m: sum((cls) => cls.ttl.under1m),
        under1h: sum((cls) => cls.ttl.under1h),
        under1d: sum((cls) => cls.ttl.under1d),
        over1d: sum((cls) => cls.ttl.over1d),
      },
    };
  });
}

/**
 * The account of several servers (a Redis Cluster's masters) as one: counts, bytes and memory
 * summed; the fragmentation ratio as total rss over total used; the policy when all agree.
 */
export function mergeKeyspaceReports(reports: readonly KeyspaceReport[]): KeyspaceReport {
  const fields = new Set(reports.flatMap((report) => Object.keys(report.memory)));
  const memory: Record<string, string> = {};
  for (const field of fields) {
    const values = reports.map((report) => report.memory[field] ?? '');
    if (ADDITIVE.has(field)) memory[field] = String(values.reduce((total, value) => total + Number(value || 0), 0));
    else memory[field] = values.every((value) => value === values[0]) ? (values[0] ?? '') : 'mixed';
  }
  const used = Number(memory['used_memory'] ?? 0);
  if (used > 0) memory['mem_fragmentation_ratio'] = (Number(memory['used_memory_rss'] ?? 0) / used).toFixed(2);
  const unknownExamples = reports.flatMap((report) => report.unknown.examples).slice(0, 5);
  return {
    prefix: reports[0]?.prefix ?? '',
    classes: mergeClasses(reports.map((report) => report.classes)),
    unknown: { keys: reports.reduce((total, report) => total + report.unknown.keys, 0), examples: unknownExamples },
    withoutTtl: reports.flatMap((report) => report.withoutTtl),
    totalKeys: reports.reduce((total, report) => total + report.totalKeys, 0),
    memory,
  };
}
