import type { RedisCluster, RedisServer, RunningSystem } from '@alertgate/local-env';
import { Redis } from 'ioredis';

import type { Ledger } from './ledger.js';

/**
 * One fault: `inject` causes it and undoes it (a restart, a SIGCONT); recovery is watched after.
 * What it measured on the way (a replica's lag) is its note.
 */
export interface Fault {
  readonly name: string;
  inject(): Promise<string | undefined>;
}

/** The Redis of a run: one server, or a Cluster with a replica per master. */
export type RedisTarget = { readonly kind: 'standalone'; readonly server: RedisServer } | { readonly kind: 'cluster'; readonly cluster: RedisCluster };

/** What the faults act on. */
export interface FaultTargets {
  readonly redis: RedisTarget;
  readonly system: RunningSystem;
  readonly apiserverPid: number;
  readonly ledger: Ledger;
}

/** How long the stopping faults last. */
export interface FaultDurations {
  readonly redisStopMs: number;
  readonly apiserverStopMs: number;
  /** A killed Cluster master's replica must have taken over within this. */
  readonly failoverTimeoutMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when the sender is next answered 200: the crd-writer then holds unflushed counts. */
async function nextAcknowledgement(ledger: Ledger): Promise<void> {
  const seen = ledger.acknowledgedWebhooks;
  while (ledger.acknowledgedWebhooks === seen) await sleep(5);
}

/** The faults of a run, one after another: Redis, each service, the API server. */
export function faults(targets: FaultTargets, durations: FaultDurations): Fault[] {
  const { system, ledger } = targets;
  const restart = (name: keyof RunningSystem['services'], before?: () => Promise<void>): Fault => ({
    name: `${name} SIGKILLed and restarted${before ? ' right after an acknowledged webhook of repeats' : ''}`,
    inject: async () => {
      await before?.();
      await system.services[name].kill();
      await system.services[name].start();
      return undefined;
    },
  });
  return [
    ...(targets.redis.kind === 'standalone' ? standaloneFaults(targets.redis.server, durations) : [masterKilled(targets.redis.cluster, durations)]),
    restart('dedup'),
    restart('ratelimit'),
    restart('storm'),
    restart('ingest-gateway'),
    restart('crd-writer', () => nextAcknowledgement(ledger)),
    {
      name: `kube-apiserver SIGSTOPped for ${durations.apiserverStopMs / 1000} s`,
      inject: async () => {
        process.kill(targets.apiserverPid, 'SIGSTOP');
        try {
          await sleep(durations.apiserverStopMs);
        } finally {
          process.kill(targets.apiserverPid, 'SIGCONT');
        }
        return undefined;
      },
    },
  ];
}

function standaloneFaults(redis: RedisServer, durations: FaultDurations): Fault[] {
  return [
    {
      name: 'Redis SIGKILLed and restarted empty',
      inject: async () => {
        await redis.stop();
        await redis.start();
        return undefined;
      },
    },
    {
      name: `Redis SIGSTOPped for ${durations.redisStopMs / 1000} s`,
      inject: async () => {
        redis.signal('SIGSTOP');
        try {
          await sleep(durations.redisStopMs);
        } finally {
          redis.signal('SIGCONT');
        }
        return undefined;
      },
    },
  ];
}

/** Dedup shard 000: its hash tag alone decides the slot, and so the master killed. */
const DEDUP_SLOT_KEY = '{d000}';

/**
 * The Cluster master of dedup shard 000 SIGKILLed under load. Every class spreads over all
 * masters, so it held about a third of the dedup, storm and limiter keys. Its replica takes
 * over (what it had not replicated yet is lost; replicaLagBytes just before bounds it), and the
 * node is started again, empty, to rejoin as a replica.
 */
function masterKilled(cluster: RedisCluster, durations: FaultDurations): Fault {
  return {
    name: 'Redis Cluster master (a third of every class) SIGKILLed; its replica takes over',
    inject: async () => {
      const master = await cluster.masterOf(DEDUP_SLOT_KEY);
      const lag = await replicaLagBytes(master.port);
      await master.stop();
      const killedAt = Date.now();
      const deadline = killedAt + durations.failoverTimeoutMs;
      while ((await cluster.masterOf(DEDUP_SLOT_KEY).catch(() => master)) === master) {
        if (Date.now() > deadline)
          throw new Error(`no replica took over from the killed master ${master.port} within ${durations.failoverTimeoutMs} ms:\n${cluster.logTails(30)}`);
        await sleep(100);
      }
      const promotedMs = Date.now() - killedAt;
      await master.start();
      await cluster.waitHealthy(durations.failoverTimeoutMs);
      return `replica acknowledged up to ${lag} bytes behind the master at the kill; promoted ${promotedMs} ms after it`;
    },
  };
}

/**
 * How far the master's first replica is behind it, in bytes of the replication stream, as far as
 * the replica has acknowledged (it acknowledges once a second): an upper bound of what a kill
 * loses.
 */
async function replicaLagBytes(port: number): Promise<number> {
  const probe = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  try {
    const info = await probe.info('replication');
    const masterOffset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? 0);
    // A master without an online replica has nothing to fail over to: the fault would prove nothing.
    const replica = /slave0:[^\r\n]*state=online[^\r\n]*offset=(\d+)/.exec(info);
    if (!replica) throw new Error(`the master on port ${port} has no online replica to take over:\n${info}`);
    return masterOffset - Number(replica[1]);
  } finally {
    probe.disconnect();
  }
}
