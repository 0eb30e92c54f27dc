import type { KeyspaceReport } from './inspect-keyspace.js';

export interface ReportSummary {
  readonly report: KeyspaceReport;
  /** Open incidents that fit in maxmemory at the measured bytes per incident (null: no maxmemory or no incidents). */
  readonly projectedIncidentCapacity: number | null;
  readonly bytesPerIncident: number | null;
  readonly ok: boolean;
}

export function summarizeKeyspace(report: KeyspaceReport): ReportSummary {
  const dedup = report.classes.find((cls) => cls.name === 'dedup');
  const bytesPerIncident = dedup && dedup.entries > 0 ? dedup.bytes / dedup.entries : null;
  const maxmemory = Number(report.memory['maxmemory'] ?? 0);
  const used = Number(report.memory['used_memory'] ?? 0);
  const dedupBytes = dedup ? dedup.bytes * (dedup.measured > 0 ? dedup.keys / dedup.measured : 0) : 0;
  // What is not dedup state (scripts, rate limits, overhead) stays; the rest of maxmemory holds incidents.
  const projectedIncidentCapacity = bytesPerIncident && maxmemory > 0 ? Math.max(0, Math.floor((maxmemory - (used - dedupBytes)) / bytesPerIncident)) : null;
  return {
    report,
    bytesPerIncident: bytesPerIncident === null ? null : Math.round(bytesPerIncident * 10) / 10,
    projectedIncidentCapacity,
    ok: report.withoutTtl.length === 0 && report.unknown.keys === 0,
  };
}

const human = (bytes: number): string =>
  bytes >= 1048576 ? `${(bytes / 1048576).toFixed(2)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;

export function formatKeyspaceReport({ report, bytesPerIncident, projectedIncidentCapacity, ok }: ReportSummary): string {
  const m = report.memory;
  const lines = [
    `Redis keyspace under "${report.prefix}": ${report.totalKeys} keys`,
    '',
    'class       keys   entries   total bytes   mean bytes   TTL <1m  <1h  <1d  ≥1d   no TTL',
  ];
  for (const cls of report.classes) {
    const scale = cls.measured > 0 ? cls.keys / cls.measured : 0;
    const total = Math.round(cls.bytes * scale);
    const mean = cls.measured > 0 ? Math.round(cls.bytes / cls.measured) : 0;
    lines.push(
      `${cls.name.padEnd(10)} ${String(cls.keys).padStart(5)} ${String(Math.round(cls.entries * scale)).padStart(9)} ${human(total).padStart(13)} ${String(mean).padStart(12)}   ${String(cls.ttl.under1m).padStart(6)} ${String(cls.ttl.under1h).padStart(4)} ${String(cls.ttl.under1d).padStart(4)} ${String(cls.ttl.over1d).padStart(4)} ${String(cls.withoutTtl).padStart(8)}`,
    );
  }
  lines.push(
    '',
    `used_memory ${human(Number(m['used_memory']))} (peak ${human(Number(m['used_memory_peak']))}, rss ${human(Number(m['used_memory_rss']))}), fragmentation ratio ${m['mem_fragmentation_ratio']}`,
    `maxmemory ${Number(m['maxmemory']) > 0 ? human(Number(m['maxmemory'])) : 'unlimited'}, policy ${m['maxmemory_policy']}${m['maxmemory_policy'] === 'noeviction' ? '' : '  ← can evict alertgate keys: use noeviction'}`,
    `bytes per open incident: ${bytesPerIncident ?? 'n/a'}; projected capacity: ${projectedIncidentCapacity === null ? 'n/a (no maxmemory or no incidents)' : `${projectedIncidentCapacity} open incidents`}`,
  );
  if (report.withoutTtl.length > 0) lines.push(`KEYS WITHOUT TTL: ${report.withoutTtl.slice(0, 10).join(', ')}${report.withoutTtl.length > 10 ? ' …' : ''}`);
  if (report.unknown.keys > 0) lines.push(`KEYS OF NO KNOWN CLASS: ${report.unknown.keys}, e.g. ${report.unknown.examples.join(', ')}`);
  lines.push(ok ? 'OK: every key has a TTL and a known class.' : 'FAIL: see above.');
  return lines.join('\n');
}
