import { createHash } from 'node:crypto';

import { counter, FAST_BUCKETS, histogram } from '@alertgate/metrics';
import { Cluster } from 'ioredis';

import type { RedisClient } from './create-redis-client.js';
import { NO_REPLICA_WAIT, notReplicated, type ReplicaWait } from './replica-wait.js';

const unreplicatedWrites = counter({
  name: 'alertgate_redis_unreplicated_writes_total',
  help: 'Script writes that fewer than REDIS_WAIT_REPLICAS replicas acknowledged within REDIS_WAIT_TIMEOUT, by answer: refused (REDIS_WAIT_POLICY, the sender retries) or acknowledged anyway (best-effort, or connected with no replica connected: a failover now may lose them).',
  labelNames: ['script', 'answer'],
});

const scriptDuration = histogram({
  name: 'alertgate_redis_script_duration_seconds',
  help: "Latency of alertgate's Redis scripts (one round trip each), by script and result.",
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

/** The script text and arguments of one call, as EVALSHA and EVAL take them. */
interface Call {
  readonly text: ScriptText;
  readonly keys: readonly string[];
  readonly args: readonly (string | number | Buffer)[];
}

const isNoScript = (err: unknown): boolean => err instanceof Error && err.message.startsWith('NOSCRIPT');
const isRedirection = (err: Error): boolean => /^(MOVED|ASK) /.test(err.message);

/**
 * A Lua script run with EVALSHA, falling back to EVAL once when the server does not know it yet
 * (fresh server, SCRIPT FLUSH, failover): one round trip in the steady state. Standalone Redis
 * and Sentinel run the script as written; a Cluster runs its cluster form (above). With a
 * ReplicaWait, WAIT follows the script in the same pipeline, so on the same connection and node,
 * still one round trip.
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

  async run(client: RedisClient, keys: readonly string[], args: readonly (string | number | Buffer)[], wait: ReplicaWait = NO_REPLICA_WAIT): Promise<unknown> {
    const stop = scriptDuration.startTimer({ script: this.name });
    try {
      const call = this.callFor(client, keys, args);
      const reply = wait.replicas > 0 ? await this.evaluateReplicated(client, call, wait) : await RedisScript.evaluate(client, call);
      stop({ result: 'ok' });
      return reply;
    } catch (err) {
      stop({ result: 'error' });
      throw err;
    }
  }

  private callFor(client: RedisClient, keys: readonly string[], args: readonly (string | number | Buffer)[]): Call {
    if (client instanceof Cluster && keys.length > 0) {
      return { text: this.cluster, keys: [keys[0] ?? ''], args: [keys.length, ...keys, ...args] };
    }
    return { text: this.plain, keys, args };
  }

  private static async evaluate(client: RedisClient, { text, keys, args }: Call): Promise<unknown> {
    try {
      return await client.evalsha(text.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (isNoScript(err)) return client.eval(text.source, keys.length, ...keys, ...args);
      throw err;
    }
  }

  /**
   * The script, then WAIT; a script that failed wrote nothing, so its error is the answer. ioredis
   * follows a Cluster's redirection for a lone command, not for a pipeline whose WAIT succeeded:
   * a redirected script is answered as not local, so that runPerNode refreshes the slot map and
   * sends the group again.
   */
  private async evaluateReplicated(client: RedisClient, call: Call, wait: ReplicaWait): Promise<unknown> {
    let [reply, ack] = await RedisScript.pipelined(client, call, wait, 'evalsha');
    if (isNoScript(reply.error)) [reply, ack] = await RedisScript.pipelined(client, call, wait, 'eval');
    const { error } = reply;
    if (error) throw isRedirection(error) ? new Error(`${NOT_LOCAL_REPLY} ${error.message}`, { cause: error }) : error;
    if (ack.acknowledged < wait.replicas) {
      const refused = refuses(wait, ack);
      unreplicatedWrites.inc({ script: this.name, answer: refused ? 'refused' : 'acknowledged' });
      if (refused) throw notReplicated(wait, ack.acknowledged);
    }
    return reply.value;
  }

  private static async pipelined(
    client: RedisClient,
    { text, keys, args }: Call,
    wait: ReplicaWait,
    how: 'evalsha' | 'eval',
  ): Promise<[{ error: Error | null; value: unknown }, Acknowledgement]> {
    const pipeline = client.pipeline();
    if (how === 'evalsha') pipeline.evalsha(text.sha, keys.length, ...keys, ...args);
    else pipeline.eval(text.source, keys.length, ...keys, ...args);
    pipeline.wait(wait.replicas, wait.timeoutMs);
    // After the WAIT, in the same pipeline: which replicas the master that took the write has at
    // all. Asked later, on its own, it could reach another master once a failover moved the slot
    // (one with no replica yet), and a write the dead master took would be acknowledged.
    if (wait.policy === 'connected') pipeline.role();
    const [script, replicas, role] = (await pipeline.exec()) ?? [];
    if (replicas?.[0]) throw replicas[0];
    if (role?.[0]) throw role[0];
    const acknowledged = Number(replicas?.[1] ?? 0);
    return [
      { error: script?.[0] ?? null, value: script?.[1] },
      { acknowledged, connected: role ? connectedReplicas(role[1]) : undefined },
    ];
  }
}

interface Acknowledgement {
  /** Replicas that had the write when WAIT answered. */
  readonly acknowledged: number;
  /** Replicas connected to the master (ROLE), when asked. */
  readonly connected: number | undefined;
}

/** ROLE on a master: ["master", offset, [[ip, port, offset], …]]. */
function connectedReplicas(reply: unknown): number {
  return Array.isArray(reply) && reply[0] === 'master' && Array.isArray(reply[2]) ? reply[2].length : 0;
}

/**
 * Whether a write fewer replicas acknowledged than asked is refused. 'connected' refuses only
 * while a replica is connected that lacks it: that replica is what a failover would promote.
 * A master with no replica at all (after a failover, until one is back) answers, as there is
 * nothing to promote that could lack the write.
 */
function refuses(wait: ReplicaWait, { connected }: Acknowledgement): boolean {
  if (wait.policy === 'required') return true;
  return wait.policy === 'connected' && (connected ?? 0) > 0;
}
