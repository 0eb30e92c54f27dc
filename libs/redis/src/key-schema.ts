/**
 * Every Redis key alertgate writes is built here, so the whole keyspace can be listed and
 * measured (tools/redis-report) and no key escapes the rules of docs/design.md §7:
 *   <prefix>{<class><tag>}<rest>   e.g.  ag:{d3fa}
 * - a short class letter says what the key holds (KEY_CLASSES);
 * - the {hash tag} decides the Redis Cluster slot: each shard or storm key is a tag of its own,
 *   so every class spreads over all masters (scripts run once per master: run-per-node.ts);
 * - every write sets a TTL (enforced by the test suite's leak check).
 */
export interface KeyClass {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /**
   * A class whose keys share another class's hash tags (so that one script reaches both on a
   * Cluster node) is told apart by what follows the tag.
   */
  readonly suffix?: string;
}

export const KEY_CLASSES = {
  dedup: {
    id: 'd',
    name: 'dedup',
    description: 'Open incidents: a hash per fingerprint shard, field = fingerprint rest, value = first seen, last seen, count.',
  },
  pods: {
    id: 'd',
    suffix: 'p',
    name: 'pods',
    description: "A workload incident's pods: a hash beside its dedup shard (same tag), field = pod, value = its last firing, or r once resolved.",
  },
  storm: {
    id: 's',
    name: 'storm',
    description: 'Storm detection and storm state per storm key: window counters, members, links, the storm while on.',
  },
  ratelimit: {
    id: 'r',
    name: 'ratelimit',
    description: 'GCRA limiters: a hash per shard of hashed limiter ids, field = id rest, value = theoretical arrival time (µs).',
  },
} as const satisfies Record<string, KeyClass>;

export class KeySchema {
  constructor(readonly prefix: string) {
    if (/[{}]/.test(prefix)) throw new Error('key prefix must not contain braces');
  }

  key(keyClass: KeyClass, tag: string, rest: string): string {
    return `${this.prefix}{${keyClass.id}${tag}}${rest}`;
  }

  /** SCAN pattern matching every key of one class. */
  pattern(keyClass: KeyClass): string {
    return `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}{${keyClass.id}*`;
  }
}
