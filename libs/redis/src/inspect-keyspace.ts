import { KEY_CLASSES, type KeyClass } from './key-schema.js';
import type { Redis } from 'ioredis';

export interface ClassReport {
  readonly name: string;
  readonly description: string;
  keys: number;
  /** MEMORY USAGE summed over the keys measured (all, or a sample). */
  bytes: number;
  measured: number;
  withoutTtl: number;
  /** Keys by remaining TTL: < 1 min, < 1 h, < 1 d, ≥ 1 d. */
  ttl: { under1m: number; under1h: number; under1d: number; over1d: number };
  /** Entries (hash fields) in the measured keys: incidents, limiters. */
  entries: number;
}

export interface KeyspaceReport {
  readonly prefix: string;
  readonly classes: ClassReport[];
  readonly unknown: { keys: number; examples: string[] };
  readonly withoutTtl: string[];
  readonly totalKeys: number;
  readonly memory: Readonly<Record<string, string>>;
}

export interface InspectOptions {
  /** MEMORY USAGE at most this many keys per class (the rest are counted, not measured). */
  readonly measurePerClass?: number;
  readonly onProgress?: (scanned: number, total: number) => void;
}

const MEMORY_FIELDS = ['used_memory', 'used_memory_rss', 'used_memory_peak', 'mem_fragmentation_ratio', 'maxmemory', 'maxmemory_policy', 'used_memory_scripts'];

export function parseInfo(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\r\n')
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.includes(':') && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
  );
}

function classOf(key: string, prefix: string): KeyClass | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const afterTag = rest.slice(rest.indexOf('}') + 1);
  const classes: readonly KeyClass[] = Object.values(KEY_CLASSES);
  const tagged = classes.filter((cls) => rest.startsWith(`{${cls.id}`));
  return tagged.find((cls) => cls.suffix !== undefined && afterTag.startsWith(cls.suffix)) ?? tagged.find((cls) => cls.suffix === undefined);
}

/**
 * Walks the keyspace with SCAN (never KEYS) and accounts for every key under a prefix by class:
 * count, bytes (MEMORY USAGE), TTLs, keys without TTL, and keys of no known class. The memory
 * figures come from INFO memory. Used by `npm run redis-report`, the dedup service's Redis
 * monitor and the test suite's final report.
 */
export async function inspectKeyspace(redis: Redis, prefix: string, options: InspectOptions = {}): Promise<KeyspaceReport> {
  const measurePerClass = options.measurePerClass ?? Number.POSITIVE_INFINITY;
  const classes = new Map<string, ClassReport>(
    Object.values(KEY_CLASSES).map((cls) => [
      cls.name,
      {
        name: cls.name,
        description: cls.description,
        keys: 0,
        bytes: 0,
        measured: 0,
        withoutTtl: 0,
        entries: 0,
        ttl: { under1m: 0, under1h: 0, under1d: 0, over1d: 0 },
      },
    ]),
  );
  const unknown = { keys: 0, examples: [] as string[] };
  const withoutTtl: string[] = [];
  const total = await redis.dbsize();
  let scanned = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.pttl(key);
    const ttls = ((await pipeline.exec()) ?? []).map(([, value]) => Number(value));
    const measure = redis.pipeline();
    const measuredKeys: { key: string; report: ClassReport }[] = [];
    keys.forEach((key, i) => {
      const ttl = ttls[i] ?? -1;
      if (ttl === -1) withoutTtl.push(key);
      const cls = classOf(key, prefix);
      const report = cls ? classes.get(cls.name) : undefined;
      if (!report) {
        unknown.keys += 1;
        if (unknown.examples.length < 10) unknown.examples.push(key);
        return;
      }
      report.keys += 1;
      if (ttl === -1) report.withoutTtl += 1;
      else if (ttl < 60_000) report.ttl.under1m += 1;
      else if (ttl < 3_600_000) report.ttl.under1h += 1;
      else if (ttl < 86_400_000) report.ttl.under1d += 1;
      else report.ttl.over1d += 1;
      if (report.measured + measuredKeys.filter((m) => m.report === report).length < measurePerClass) {
        measure.memory('USAGE', key, 'SAMPLES', '0');
        measure.hlen(key);
        measuredKeys.push({ key, report });
      }
    });
    const results = (await measure.exec()) ?? [];
    measuredKeys.forEach(({ report }, i) => {
      report.bytes += Number(results[i * 2]?.[1] ?? 0);
      report.entries += Number(results[i * 2 + 1]?.[1] ?? 0);
      report.measured += 1;
    });
    scanned += keys.length;
    options.onProgress?.(scanned, total);
  } while (cursor !== '0');
  const info = parseInfo(await redis.info('memory'));
  return {
    prefix,
    classes: [...classes.values()],
    unknown,
    withoutTtl,
    totalKeys: scanned,
    memory: Object.fromEntries(MEMORY_FIELDS.map((field) => [field, info[field] ?? ''])),
  };
}
