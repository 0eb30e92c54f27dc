import { gauge } from '@alertgate/metrics';
import type { Redis } from 'ioredis';

import { inspectKeyspace, parseInfo } from './inspect-keyspace.js';

interface MonitorLogger {
  warn(object: object, message: string): void;
}

const memory = gauge({ name: 'alertgate_redis_memory_bytes', help: 'Redis INFO memory: used, rss, peak, maxmemory (0 = unlimited), scripts.', labelNames: ['kind'] });
const fragmentation = gauge({ name: 'alertgate_redis_fragmentation_ratio', help: 'Redis mem_fragmentation_ratio (rss / used).' });
const policy = gauge({ name: 'alertgate_redis_maxmemory_policy', help: 'Redis maxmemory-policy in force (value 1, policy as label).', labelNames: ['policy'] });
const evictionRisk = gauge({
  name: 'alertgate_redis_eviction_risk',
  help: '1 when maxmemory-policy can evict alertgate keys (anything but noeviction: all of them have TTLs, so volatile-* policies evict them too). An evicted dedup key turns the next alert into a duplicate resource.',
});
const evicted = gauge({ name: 'alertgate_redis_evicted_keys', help: 'Redis INFO stats evicted_keys (since the server started).' });
const expired = gauge({ name: 'alertgate_redis_expired_keys', help: 'Redis INFO stats expired_keys (since the server started).' });
const keys = gauge({ name: 'alertgate_redis_keys', help: 'alertgate keys in Redis by class (SCAN).', labelNames: ['class'] });
const classBytes = gauge({ name: 'alertgate_redis_class_bytes', help: 'Estimated bytes of alertgate keys by class (MEMORY USAGE of a sample × count).', labelNames: ['class'] });
const entries = gauge({ name: 'alertgate_redis_class_entries', help: 'Entries by class (open incidents, active limiters), estimated from the sample.', labelNames: ['class'] });
const withoutTtl = gauge({ name: 'alertgate_redis_keys_without_ttl', help: 'alertgate keys with no TTL (must be 0).' });
const unknownKeys = gauge({ name: 'alertgate_redis_unknown_keys', help: 'Keys under the prefix that belong to no known class (must be 0).' });

/**
 * Watches Redis memory for the dashboards and alerts (k8s/monitoring): INFO memory and stats,
 * and an account of alertgate's keys per class from SCAN and sampled MEMORY USAGE. Warns once
 * when maxmemory-policy can evict alertgate's keys.
 */
export class RedisMonitor {
  private timer: NodeJS.Timeout | undefined;
  private warned = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: MonitorLogger,
    private readonly sample = 200,
  ) {}

  async collect(): Promise<void> {
    const [memoryInfo, statsInfo] = await Promise.all([this.redis.info('memory'), this.redis.info('stats')]);
    const info = { ...parseInfo(memoryInfo), ...parseInfo(statsInfo) };
    for (const [kind, field] of [
      ['used', 'used_memory'],
      ['rss', 'used_memory_rss'],
      ['peak', 'used_memory_peak'],
      ['maxmemory', 'maxmemory'],
      ['scripts', 'used_memory_scripts'],
    ] as const) {
      memory.set({ kind }, Number(info[field] ?? 0));
    }
    fragmentation.set(Number(info['mem_fragmentation_ratio'] ?? 0));
    const current = info['maxmemory_policy'] ?? 'unknown';
    policy.reset();
    policy.set({ policy: current }, 1);
    const risky = current !== 'noeviction';
    evictionRisk.set(risky ? 1 : 0);
    if (risky && !this.warned) {
      this.warned = true;
      this.logger.warn({ policy: current }, 'Redis maxmemory-policy can evict alertgate keys; an evicted dedup key becomes a duplicate resource. Use noeviction.');
    }
    evicted.set(Number(info['evicted_keys'] ?? 0));
    expired.set(Number(info['expired_keys'] ?? 0));
    const report = await inspectKeyspace(this.redis, this.prefix, { measurePerClass: this.sample });
    for (const cls of report.classes) {
      keys.set({ class: cls.name }, cls.keys);
      const scale = cls.measured > 0 ? cls.keys / cls.measured : 0;
      classBytes.set({ class: cls.name }, Math.round(cls.bytes * scale));
      entries.set({ class: cls.name }, Math.round(cls.entries * scale));
    }
    withoutTtl.set(report.withoutTtl.length);
    unknownKeys.set(report.unknown.keys);
  }

  start(intervalMs: number): void {
    const tick = (): void => {
      this.collect().catch((err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Redis monitor could not collect'));
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
