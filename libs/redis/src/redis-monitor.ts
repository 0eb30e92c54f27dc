import { errorMessage } from '@alertgate/errors';
import { gauge } from '@alertgate/metrics';
import { Cluster, type Redis } from 'ioredis';

import type { RedisClient } from './create-redis-client.js';
import { inspectKeyspace, parseInfo } from './inspect-keyspace.js';

interface MonitorLogger {
  warn(object: object, message: string): void;
}

// Per server (label node = host:port; on Redis Cluster one series per master): each has its own
// maxmemory and policy, so the alert on used / maxmemory must compare them server by server.
const memory = gauge({
  name: 'alertgate_redis_memory_bytes',
  help: 'Redis INFO memory per server: used, rss, peak, maxmemory (0 = unlimited), scripts.',
  labelNames: ['node', 'kind'],
});
const fragmentation = gauge({
  name: 'alertgate_redis_fragmentation_ratio',
  help: 'Redis mem_fragmentation_ratio (rss / used) per server.',
  labelNames: ['node'],
});
const policy = gauge({
  name: 'alertgate_redis_maxmemory_policy',
  help: 'Redis maxmemory-policy in force per server (value 1, policy as label).',
  labelNames: ['node', 'policy'],
});
const evictionRisk = gauge({
  name: 'alertgate_redis_eviction_risk',
  help: "1 when a server's maxmemory-policy can evict alertgate keys (anything but noeviction: all of them have TTLs, so volatile-* policies evict them too). An evicted dedup key turns the next alert into a duplicate resource.",
  labelNames: ['node'],
});
const evicted = gauge({ name: 'alertgate_redis_evicted_keys', help: 'Redis INFO stats evicted_keys per server (since it started).', labelNames: ['node'] });
const expired = gauge({ name: 'alertgate_redis_expired_keys', help: 'Redis INFO stats expired_keys per server (since it started).', labelNames: ['node'] });
// Every class spreads over a Cluster's masters: a master far from its share is a hot spot.
const nodeKeys = gauge({ name: 'alertgate_redis_node_keys', help: 'alertgate keys per server and class (SCAN on each).', labelNames: ['node', 'class'] });
const PER_SERVER = [memory, fragmentation, policy, evictionRisk, evicted, expired, nodeKeys];
// The keyspace account below is summed over the servers.
const keys = gauge({ name: 'alertgate_redis_keys', help: 'alertgate keys in Redis by class (SCAN).', labelNames: ['class'] });
const classBytes = gauge({
  name: 'alertgate_redis_class_bytes',
  help: 'Estimated bytes of alertgate keys by class (MEMORY USAGE of a sample × count).',
  labelNames: ['class'],
});
const entries = gauge({
  name: 'alertgate_redis_class_entries',
  help: 'Entries by class (open incidents, active limiters), estimated from the sample.',
  labelNames: ['class'],
});
const withoutTtl = gauge({ name: 'alertgate_redis_keys_without_ttl', help: 'alertgate keys with no TTL (must be 0).' });
const unknownKeys = gauge({ name: 'alertgate_redis_unknown_keys', help: 'Keys under the prefix that belong to no known class (must be 0).' });

/** How a server is named in the node label: host:port, or the Sentinel master's name. */
function nodeName(server: Redis): string {
  const { host, port, sentinels, name } = server.options;
  return sentinels && sentinels.length > 0 ? `sentinel/${name ?? ''}` : `${host ?? ''}:${port ?? ''}`;
}

interface ServerFigures {
  readonly node: string;
  readonly info: Record<string, string>;
  readonly keysByClass: ReadonlyMap<string, number>;
}

/**
 * Watches Redis memory for the dashboards and alerts (k8s/monitoring): INFO memory and stats of
 * every server (the one server, or every master of a Redis Cluster), and an account of
 * alertgate's keys per class from SCAN and sampled MEMORY USAGE on each. Warns once per server
 * whose maxmemory-policy can evict alertgate's keys.
 */
export class RedisMonitor {
  private timer: NodeJS.Timeout | undefined;
  private readonly warned = new Set<string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly logger: MonitorLogger,
    private readonly sample = 200,
  ) {}

  async collect(): Promise<void> {
    const servers = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    if (servers.length === 0) throw new Error('Redis Cluster: no master known yet');
    const figures: ServerFigures[] = [];
    const totals = new Map<string, { keys: number; bytes: number; entries: number }>();
    let noTtl = 0;
    let unknown = 0;
    // Every server is asked first and the gauges set after, in one synchronous step, so a scrape
    // never sees a server's series missing halfway through a collection.
    for (const server of servers) {
      const [memoryInfo, statsInfo] = await Promise.all([server.info('memory'), server.info('stats')]);
      const report = await inspectKeyspace(server, this.prefix, { measurePerClass: this.sample });
      const keysByClass = new Map(report.classes.map((cls) => [cls.name, cls.keys]));
      figures.push({ node: nodeName(server), info: { ...parseInfo(memoryInfo), ...parseInfo(statsInfo) }, keysByClass });
      for (const cls of report.classes) {
        const scale = cls.measured > 0 ? cls.keys / cls.measured : 0;
        const total = totals.get(cls.name) ?? { keys: 0, bytes: 0, entries: 0 };
        total.keys += cls.keys;
        total.bytes += Math.round(cls.bytes * scale);
        total.entries += Math.round(cls.entries * scale);
        totals.set(cls.name, total);
      }
      noTtl += report.withoutTtl.length;
      unknown += report.unknown.keys;
    }
    for (const metric of PER_SERVER) metric.reset();
    for (const { node, info, keysByClass } of figures) {
      for (const [name, count] of keysByClass) nodeKeys.set({ node, class: name }, count);
      for (const [kind, field] of [
        ['used', 'used_memory'],
        ['rss', 'used_memory_rss'],
        ['peak', 'used_memory_peak'],
        ['maxmemory', 'maxmemory'],
        ['scripts', 'used_memory_scripts'],
      ] as const) {
        memory.set({ node, kind }, Number(info[field] ?? 0));
      }
      fragmentation.set({ node }, Number(info['mem_fragmentation_ratio'] ?? 0));
      const current = info['maxmemory_policy'] ?? 'unknown';
      policy.set({ node, policy: current }, 1);
      const risky = current !== 'noeviction';
      evictionRisk.set({ node }, risky ? 1 : 0);
      if (risky && !this.warned.has(node)) {
        this.warned.add(node);
        this.logger.warn(
          { node, policy: current },
          'Redis maxmemory-policy can evict alertgate keys; an evicted dedup key becomes a duplicate resource. Use noeviction.',
        );
      }
      evicted.set({ node }, Number(info['evicted_keys'] ?? 0));
      expired.set({ node }, Number(info['expired_keys'] ?? 0));
    }
    for (const [name, total] of totals) {
      keys.set({ class: name }, total.keys);
      classBytes.set({ class: name }, total.bytes);
      entries.set({ class: name }, total.entries);
    }
    withoutTtl.set(noTtl);
    unknownKeys.set(unknown);
  }

  start(intervalMs: number): void {
    const tick = (): void => {
      this.collect().catch((err: unknown) => this.logger.warn({ err: errorMessage(err) }, 'Redis monitor could not collect'));
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
