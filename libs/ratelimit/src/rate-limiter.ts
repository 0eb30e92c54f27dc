import { createHash } from 'node:crypto';

import { AlertgateError, Code } from '@alertgate/errors';
import { KEY_CLASSES, mapRedisError, RedisScript, type KeySchema, type RedisClient } from '@alertgate/redis';

import { GCRA_LUA } from './gcra.lua.js';
import { policyOf, type Limit, type RateLimits } from './rate-limits.js';

export interface QuotaResult {
  readonly admitted: boolean;
  /** Units granted (for creation budgets: how many of the demanded creations may go ahead). */
  readonly granted: number;
  readonly limit: number;
  readonly remaining: number;
  readonly resetAfterMs: number;
  readonly retryAfterMs: number;
  readonly policy: string;
}

export interface CreationDemand {
  readonly namespace: string;
  readonly count: number;
}

const SOURCE = /^[A-Za-z0-9:._\-[\]]{1,128}$/;
/** Fields sampled per write to remove idle limiters (see gcra.lua.ts). */
const PRUNE_SAMPLES = 3;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Shared rate limits in Redis: one GCRA key per active limiter, its TTL the time until it is
 * full again. Time is Redis' (TIME inside the script), so replicas on skewed clocks agree.
 */
export class RateLimiter {
  private readonly script = new RedisScript('gcra', GCRA_LUA);

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly limits: RateLimits,
  ) {}

  /**
   * Where a limiter lives: 64 bits of a hash of its kind and id; the first 8 bits pick one of
   * 256 shard hashes (`ag:{r3f}`), the rest is the field. The id itself (an address, a
   * namespace) is in logs and headers, not in Redis.
   */
  private locate(kind: 's' | 'n', id: string): { key: string; field: string } {
    const hash = createHash('sha256').update(`${kind}\n${id}`).digest('hex');
    return { key: this.keys.key(KEY_CLASSES.ratelimit, hash.slice(0, 2), ''), field: hash.slice(2, 16) };
  }

  private async run(where: { key: string; field: string }, limit: Limit, cost: number, partial: boolean, name: string): Promise<QuotaResult> {
    const interval = 1000 / limit.perSecond;
    let reply: unknown;
    try {
      reply = await this.script.run(this.redis, [where.key], [interval, limit.burst, cost, partial ? 1 : 0, where.field, PRUNE_SAMPLES]);
    } catch (err) {
      throw mapRedisError(err, 'rate limit');
    }
    const [granted = 0, remaining = 0, resetAfterMs = 0, retryAfterMs = 0] = reply as number[];
    return { admitted: granted === cost, granted, limit: limit.burst, remaining, resetAfterMs, retryAfterMs, policy: policyOf(name, limit) };
  }

  async checkSource(source: string): Promise<QuotaResult> {
    if (!SOURCE.test(source)) throw new AlertgateError(Code.InvalidArgument, 'source must be 1 to 128 characters of [A-Za-z0-9:._-[]]', { details: { field: 'source' } });
    const limit = this.limits.sourceOverrides.get(source) ?? this.limits.source;
    return this.run(this.locate('s', source), limit, 1, false, 'source');
  }

  /** Grants per namespace what fits of the demanded creations (one round trip for all). */
  async reserveCreations(demands: readonly CreationDemand[]): Promise<QuotaResult[]> {
    demands.forEach((demand, i) => {
      if (!NAMESPACE.test(demand.namespace)) {
        throw new AlertgateError(Code.InvalidArgument, `demands[${i}].namespace is not a namespace name`, { details: { field: `demands[${i}].namespace` } });
      }
      if (!Number.isInteger(demand.count) || demand.count < 1 || demand.count > 10_000) {
        throw new AlertgateError(Code.InvalidArgument, `demands[${i}].count must be 1 to 10000`, { details: { field: `demands[${i}].count` } });
      }
    });
    // One script per namespace (each its own Cluster slot), sent together: auto-pipelining makes
    // them one round trip on a single server.
    return Promise.all(
      demands.map((demand) => {
        const limit = this.limits.namespaceOverrides.get(demand.namespace) ?? this.limits.namespace;
        return this.run(this.locate('n', demand.namespace), limit, demand.count, true, 'namespace');
      }),
    );
  }
}
