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

  /** Limiter ids longer than a short address are hashed: a key stays a few dozen bytes. */
  private key(kind: 's' | 'n', id: string): string {
    const short = id.length <= 40 ? id : createHash('sha256').update(id).digest('hex').slice(0, 24);
    return this.keys.key(KEY_CLASSES.ratelimit, `${kind}:${short}`, '');
  }

  private async run(key: string, limit: Limit, cost: number, partial: boolean, name: string): Promise<QuotaResult> {
    const interval = 1000 / limit.perSecond;
    let reply: unknown;
    try {
      reply = await this.script.run(this.redis, [key], [interval, limit.burst, cost, partial ? 1 : 0]);
    } catch (err) {
      throw mapRedisError(err, 'rate limit');
    }
    const [granted = 0, remaining = 0, resetAfterMs = 0, retryAfterMs = 0] = reply as number[];
    return { admitted: granted === cost, granted, limit: limit.burst, remaining, resetAfterMs, retryAfterMs, policy: policyOf(name, limit) };
  }

  async checkSource(source: string): Promise<QuotaResult> {
    if (!SOURCE.test(source)) throw new AlertgateError(Code.InvalidArgument, 'source must be 1 to 128 characters of [A-Za-z0-9:._-[]]', { details: { field: 'source' } });
    const limit = this.limits.sourceOverrides.get(source) ?? this.limits.source;
    return this.run(this.key('s', source), limit, 1, false, 'source');
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
        return this.run(this.key('n', demand.namespace), limit, demand.count, true, 'namespace');
      }),
    );
  }
}
