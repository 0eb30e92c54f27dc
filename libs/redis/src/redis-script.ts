import { createHash } from 'node:crypto';

import { FAST_BUCKETS, histogram } from '@alertgate/metrics';

import type { RedisClient } from './create-redis-client.js';

const scriptDuration = histogram({
  name: 'alertgate_redis_script_duration_seconds',
  help: 'Latency of alertgate\'s Redis scripts (one round trip each), by script and result.',
  labelNames: ['script', 'result'],
  buckets: FAST_BUCKETS,
});

/**
 * A Lua script run with EVALSHA, falling back to EVAL once when the server does not know it yet
 * (fresh server, SCRIPT FLUSH, failover): one round trip in the steady state.
 */
export class RedisScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
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

  private async call(client: RedisClient, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return client.eval(this.source, keys.length, ...keys, ...args);
      }
      throw err;
    }
  }
}
