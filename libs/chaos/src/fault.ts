import type { RedisServer, RunningSystem } from '@alertgate/local-env';

import type { Ledger } from './ledger.js';

/** One fault: `inject` causes it and undoes it (a restart, a SIGCONT); recovery is watched after. */
export interface Fault {
  readonly name: string;
  inject(): Promise<void>;
}

/** What the faults act on. */
export interface FaultTargets {
  readonly redis: RedisServer;
  readonly system: RunningSystem;
  readonly apiserverPid: number;
  readonly ledger: Ledger;
}

/** How long the stopping faults last. */
export interface FaultDurations {
  readonly redisStopMs: number;
  readonly apiserverStopMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when the sender is next answered 200: the crd-writer then holds unflushed counts. */
async function nextAcknowledgement(ledger: Ledger): Promise<void> {
  const seen = ledger.acknowledgedWebhooks;
  while (ledger.acknowledgedWebhooks === seen) await sleep(5);
}

/** The faults of a run, one after another: Redis, each service, the API server. */
export function faults(targets: FaultTargets, durations: FaultDurations): Fault[] {
  const { redis, system, ledger } = targets;
  const restart = (name: keyof RunningSystem['services'], before?: () => Promise<void>): Fault => ({
    name: `${name} SIGKILLed and restarted${before ? ' right after an acknowledged webhook of repeats' : ''}`,
    inject: async () => {
      await before?.();
      await system.services[name].kill();
      await system.services[name].start();
    },
  });
  return [
    {
      name: 'Redis SIGKILLed and restarted empty',
      inject: async () => {
        await redis.stop();
        await redis.start();
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
      },
    },
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
      },
    },
  ];
}
