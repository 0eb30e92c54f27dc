import { createHash } from 'node:crypto';

import { FAST_BUCKETS, histogram } from '@alertgate/metrics';
import { Cluster } from 'ioredis';

import type { RedisClient } from './create-redis-client.js';

const scriptDuration = histogram({
  name: 'alertgate_redis_script_duration_seconds',
  help: 'Latency of alertgate\'s Redis scripts (one round trip each), by script and result.',
  labelNames: ['script', 'result'],
  buckets: FAST_BUCKETS,
});

/** What the cluster form of a script answers when a key it was given is not served by the node. */
export const NOT_LOCAL_REPLY = 'NOTLOCAL';

/**
 * On Redis Cluster a script may touch keys of several slots of one node (Redis 7's
 * allow-cross-slot-keys), but the keys declared to EVAL must share one slot. So the cluster form
 * declares only the first key, which routes the call, and receives all of them in front of
 * ARGV: ARGV[1] the number of keys, then the keys, then the script's own arguments. Before
 * anything is written it checks that every key is local: a batch grouped from a stale slot map
 * (a failover, a resharding) changes nothing and is regrouped by the caller (run-per-node.ts).
 * The locals KEYS and ARGV then shadow Redis' globals, so the script's own text is unchanged.
 */
const CLUSTER_PREAMBLE = `#!lua flags=allow-cross-slot-keys
local nKeys = tonumber(ARGV[1])
local keys, argv = {}, {}
for i = 1, nKeys do keys[i] = ARGV[1 + i] end
for i = nKeys + 2, #ARGV do argv[#argv + 1] = ARGV[i] end
for i = 1, nKeys do
  local probe = redis.pcall('EXISTS', keys[i])
  if type(probe) == 'table' and probe.err then return redis.error_reply('${NOT_LOCAL_REPLY} ' .. probe.err) end
end
local KEYS, ARGV = keys, argv
`;

interface ScriptText {
  readonly source: string;
  readonly sha: string;
}

function scriptText(source: string): ScriptText {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * A Lua script run with EVALSHA, falling back to EVAL once when the server does not know it yet
 * (fresh server, SCRIPT FLUSH, failover): one round trip in the steady state. Standalone Redis
 * and Sentinel run the script as written; a Cluster runs its cluster form (above).
 */
export class RedisScript {
  private readonly plain: ScriptText;
  private readonly cluster: ScriptText;

  constructor(
    readonly name: string,
    source: string,
  ) {
    this.plain = scriptText(source);
    this.cluster = scriptText(CLUSTER_PREAMBLE + source);
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    const stop = scriptDuration.startTimer({ script: this.name });
    try {
      const reply = await this.call(client, keys, args);
      stop({ result: 'ok' });
      return reply;
    } catch (err) {
      stop({ result: 'error' });
      throw err;
    }
  }

  private call(client: RedisClient, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    if (client instanceof Cluster && keys.length > 0) {
      return RedisScript.evaluate(client, this.cluster, [keys[0] ?? ''], [keys.length, ...keys, ...args]);
    }
    return RedisScript.evaluate(client, this.plain, keys, args);
  }

  private static async evaluate(client: RedisClient, text: ScriptText, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    try {
      return await client.evalsha(text.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return client.eval(text.source, keys.length, ...keys, ...args);
      }
      throw err;
    }
  }
}
