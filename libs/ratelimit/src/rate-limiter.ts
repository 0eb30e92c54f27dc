import { createHash } from 'node:crypto';

import { AlertgateError, Code } from '@alertgate/errors';
import { MAX_ITEMS_PER_CALL } from '@alertgate/proto';
import { isCluster, KEY_CLASSES, mapRedisError, RedisScript, runPerNode, ScriptKeys, type KeySchema, type RedisClient } from '@alertgate/redis';

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

interface LimiterRequest {
  readonly where: { key: string; field: string };
  readonly limit: Limit;
  readonly cost: number;
  readonly partial: boolean;
  readonly name: string;
  /** 1-based number of an earlier limiter of the same call that must grant for this one to count. */
  readonly gate?: number;
  /** Its gate refused: evaluated at cost 0 (nothing taken, the state still reported). */
  readonly gatedOff?: boolean;
}

/**
 * Shared rate limits in Redis: one field of a shard hash per active limiter (its GCRA arrival
 * time; gcra.lua.ts), the hash's TTL the time until its last limiter is full again. Time is
 * Redis' (TIME inside the script), so replicas on skewed clocks agree.
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
   * 256 shard hashes, each its own hash tag (`ag:{r3f}`, spread over a Cluster's masters), the
   * rest is the field. The id itself (an address, a namespace) is in logs and headers, not in
   * Redis.
   */
  private locate(kind: 's' | 'n', id: string): { key: string; field: string } {
    const hash = createHash('sha256').update(`${kind}\n${id}`).digest('hex');
    return { key: this.keys.key(KEY_CLASSES.ratelimit, hash.slice(0, 2), ''), field: hash.slice(2, 16) };
  }

  /**
   * Every limiter of a request: one script call on standalone Redis and Sentinel, gates
   * included. On a Cluster a gate and the limiters it gates may live on different masters, so
   * the gates go first and what they gate second, each round one call per master in parallel.
   */
  private async run(requests: readonly LimiterRequest[]): Promise<QuotaResult[]> {
    try {
      if (!isCluster(this.redis) || requests.every(({ gate }) => gate === undefined)) return await this.spread(requests);
      return await this.gatesFirst(requests);
    } catch (err) {
      throw mapRedisError(err, 'rate limit');
    }
  }

  private spread(requests: readonly LimiterRequest[]): Promise<QuotaResult[]> {
    return runPerNode(
      this.redis,
      requests,
      ({ where }) => where.key,
      (group) => this.evaluate(group),
    );
  }

  private async gatesFirst(requests: readonly LimiterRequest[]): Promise<QuotaResult[]> {
    const results = new Map<number, QuotaResult>();
    const gates = requests.flatMap((request, at) => (request.gate === undefined ? [{ request, at }] : []));
    (await this.spread(gates.map(({ request }) => request))).forEach((result, k) => results.set(gates[k]?.at ?? -1, result));
    const gated = requests.flatMap(({ gate, ...request }, at) =>
      gate === undefined ? [] : [{ request: { ...request, gatedOff: (results.get(gate - 1)?.granted ?? 0) === 0 }, at }],
    );
    (await this.spread(gated.map(({ request }) => request))).forEach((result, k) => results.set(gated[k]?.at ?? -1, result));
    return requests.map((_request, at) => {
      const result = results.get(at);
      if (!result) throw new AlertgateError(Code.Internal, 'rate limit: no result');
      return result;
    });
  }

  /** One script call for limiters whose shards live on one server. */
  private async evaluate(requests: readonly LimiterRequest[]): Promise<QuotaResult[]> {
    const scriptKeys = new ScriptKeys();
    const args: (string | number)[] = [PRUNE_SAMPLES];
    for (const { where, limit, cost, partial, gate, gatedOff } of requests) {
      args.push(scriptKeys.indexOf(where.key), 1_000_000 / limit.perSecond, limit.burst, gatedOff ? 0 : cost, partial ? 1 : 0, where.field, gate ?? 0);
    }
    const reply = await this.script.run(this.redis, scriptKeys.keys, args);
    return requests.map(({ limit, cost, name }, i) => {
      const [granted = 0, remaining = 0, resetAfterMs = 0, retryAfterMs = 0] = (reply as number[][])[i] ?? [];
      return { admitted: granted === cost, granted, limit: limit.burst, remaining, resetAfterMs, retryAfterMs, policy: policyOf(name, limit) };
    });
  }

  private sourceLimiter(source: string): LimiterRequest {
    if (!SOURCE.test(source))
      throw new AlertgateError(Code.InvalidArgument, 'source must be 1 to 128 characters of [A-Za-z0-9:._-[]]', { details: { field: 'source' } });
    const limit = this.limits.sourceOverrides.get(source) ?? this.limits.source;
    return { where: this.locate('s', source), limit, cost: 1, partial: false, name: 'source' };
  }

  private budgetLimiters(demands: readonly CreationDemand[]): LimiterRequest[] {
    if (demands.length > MAX_ITEMS_PER_CALL) {
      throw new AlertgateError(Code.InvalidArgument, `at most ${MAX_ITEMS_PER_CALL} namespaces per call`, { details: { field: 'demands' } });
    }
    return demands.map((demand, i) => {
      if (!NAMESPACE.test(demand.namespace)) {
        throw new AlertgateError(Code.InvalidArgument, `demands[${i}].namespace is not a namespace name`, { details: { field: `demands[${i}].namespace` } });
      }
      if (!Number.isInteger(demand.count) || demand.count < 1 || demand.count > 10_000) {
        throw new AlertgateError(Code.InvalidArgument, `demands[${i}].count must be 1 to 10000`, { details: { field: `demands[${i}].count` } });
      }
      return {
        where: this.locate('n', demand.namespace),
        limit: this.limits.namespaceOverrides.get(demand.namespace) ?? this.limits.namespace,
        cost: demand.count,
        partial: true,
        name: 'namespace',
      };
    });
  }

  async checkSource(source: string): Promise<QuotaResult> {
    const [result] = await this.run([this.sourceLimiter(source)]);
    if (!result) throw new AlertgateError(Code.Internal, 'rate limit: no result');
    return result;
  }

  /** Grants per namespace what fits of the demanded creations (one round trip for all). */
  async reserveCreations(demands: readonly CreationDemand[]): Promise<QuotaResult[]> {
    const limiters = this.budgetLimiters(demands);
    if (limiters.length === 0) return [];
    // Every namespace of the webhook in one script call: one round trip.
    return this.run(limiters);
  }

  /**
   * For each webhook of a batch, its source's request and, only when that is admitted, its
   * creation budgets: one script call for the whole batch (one round trip per service
   * and webhook), evaluated in order. A refused source takes no budget; its grants are all 0.
   */
  async admit(admissions: readonly { source: string; demands: readonly CreationDemand[] }[]): Promise<{ source: QuotaResult; grants: QuotaResult[] }[]> {
    // Bounded in total, not only per admission: one script call must never carry millions of limiters.
    let demandCount = 0;
    for (const { demands } of admissions) demandCount += demands.length;
    if (admissions.length > MAX_ITEMS_PER_CALL || demandCount > MAX_ITEMS_PER_CALL) {
      throw new AlertgateError(Code.InvalidArgument, `at most ${MAX_ITEMS_PER_CALL} admissions and ${MAX_ITEMS_PER_CALL} namespace demands in all per call`, {
        details: { field: admissions.length > MAX_ITEMS_PER_CALL ? 'admissions' : 'admissions.demands' },
      });
    }
    const limiters: LimiterRequest[] = [];
    // Where each webhook's limiters stand in the one call: its source, then its demands.
    const positions = admissions.map(({ source, demands }) => {
      const gate = limiters.length + 1;
      limiters.push(this.sourceLimiter(source));
      for (const budget of this.budgetLimiters(demands)) limiters.push({ ...budget, gate });
      return { at: gate - 1, count: demands.length };
    });
    if (limiters.length === 0) return [];
    const results = await this.run(limiters);
    return positions.map(({ at, count }) => {
      const source = results[at];
      if (!source) throw new AlertgateError(Code.Internal, 'rate limit: no result');
      const grants = results.slice(at + 1, at + 1 + count);
      return { source, grants: source.admitted ? grants : grants.map((grant) => ({ ...grant, admitted: false, granted: 0 })) };
    });
  }
}
