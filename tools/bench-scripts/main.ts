/**
 * npm run bench:scripts -- [--incidents 250000] [--calls 400] [--json]
 *
 * Where Redis' own CPU goes: the time the dedup and storm scripts spend inside Redis per alert
 * (INFO commandstats, usec per call ÷ alerts per call), through the real DedupStore and
 * StormStore, on a Redis started for the purpose. The stream is the benchmark's (npm run bench):
 * 85% repeats of 2,000 known alerts and 15% new ones over 20 namespaces × 50 alertnames, with
 * `--incidents` open incidents already in the dedup window, at the batch sizes a webhook of one,
 * a webhook of 50 and a run of seven webhooks of 50 give. Dedup is measured at several
 * DEDUP_PRUNE_SAMPLES settings, since the sweep that removes stale entries is a large share of
 * its script (BENCHMARKS.md), with the share of written hashes swept (expected:
 * samples ÷ entries per hash, ~61 here). Not part of npm test.
 */
import { createHash } from 'node:crypto';

import { errorStack } from '@alertgate/errors';
import { DEDUP_DEFAULTS, DedupStore } from '@alertgate/dedup';
import { RedisServer } from '@alertgate/local-env';
import { Source, Status, type Signal } from '@alertgate/proto';
import { KeySchema } from '@alertgate/redis';
import { STORM_DEFAULTS, StormStore } from '@alertgate/storm';
import { Redis } from 'ioredis';

import { positiveIntArg as arg } from '../bench/cli-args.js';

const INCIDENTS = arg('incidents', 250_000);
const CALLS = arg('calls', 400);
const BATCHES = [1, 50, 350] as const;
const HOT = 2_000;

const fingerprintOf = (name: string): string => createHash('sha256').update(name).digest('hex');
const signalOf = (i: number, kind: 'hot' | 'new'): Signal => ({
  fingerprint: fingerprintOf(`${kind}-${i}`),
  alertname: `${kind === 'hot' ? 'KubePodNotReady' : 'KubeContainerWaiting'}${i % 50}`,
  severity: 'warning',
  namespace: `team-${Math.floor(i / 50) % 20}`,
  target: { kind: 'pod', name: `${kind}-${i}` },
  cluster: '',
  status: Status.STATUS_FIRING,
  source: Source.SOURCE_ALERTMANAGER,
  labels: {},
  annotations: {},
  pod: '',
});

/** The benchmark's mix: 85% repeats of HOT known alerts, 15% never seen before. */
class Stream {
  private fresh = 0;
  next(): Signal {
    return Math.random() < 0.85 ? signalOf(Math.floor(Math.random() * HOT), 'hot') : signalOf(INCIDENTS + this.fresh++, 'new');
  }
}

/** Script time inside Redis per call and per alert, over CALLS calls of `batch` alerts. */
async function measure(
  redis: Redis,
  batch: number,
  call: (signals: Signal[]) => Promise<unknown>,
): Promise<{ usecPerCall: number; usecPerAlert: number; sweepsPerHashWritten: number }> {
  const stream = new Stream();
  await redis.config('RESETSTAT');
  for (let c = 0; c < CALLS; c++) await call(Array.from({ length: batch }, () => stream.next()));
  const info = await redis.info('commandstats');
  const match = /^cmdstat_evalsha:calls=(\d+),usec=(\d+)/m.exec(info);
  const calls = Number(match?.[1] ?? 0);
  const usecPerCall = calls > 0 ? Number(match?.[2] ?? 0) / calls : 0;
  // Dedup's sweep: one HLEN per written hash, one HGETALL per hash swept (inner commands count).
  const inner = (command: string): number => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  const sweepsPerHashWritten = inner('hlen') > 0 ? Math.round((inner('hgetall') / inner('hlen')) * 1000) / 1000 : 0;
  return { usecPerCall: Math.round(usecPerCall), usecPerAlert: Math.round((usecPerCall / batch) * 100) / 100, sweepsPerHashWritten };
}

async function main(): Promise<void> {
  const server = await new RedisServer({ maxmemory: '2gb', maxmemoryPolicy: 'noeviction' }).start();
  const redis = new Redis(server.url);
  const rows: { script: string; setting: string; batch: number; usecPerCall: number; usecPerAlert: number; sweepsPerHashWritten: number }[] = [];
  try {
    const keys = new KeySchema('ag:');
    // The dedup window already holds INCIDENTS open incidents, the hot ones among them.
    const filler = new DedupStore(redis, keys, { ...DEDUP_DEFAULTS, pruneSamples: 0 });
    for (let from = 0; from < INCIDENTS; from += 1_000) {
      await filler.checkBatch(
        Array.from({ length: Math.min(1_000, INCIDENTS - from) }, (_v, i) => ({
          fingerprint: signalOf(from + i, from + i < HOT ? 'hot' : 'new').fingerprint,
          resolved: false,
        })),
      );
    }
    for (const pruneSamples of [0, 1, DEDUP_DEFAULTS.pruneSamples]) {
      const store = new DedupStore(redis, keys, { ...DEDUP_DEFAULTS, pruneSamples });
      for (const batch of BATCHES) {
        const figures = await measure(redis, batch, (signals) => store.checkBatch(signals.map((s) => ({ fingerprint: s.fingerprint, resolved: false }))));
        rows.push({
          script: 'dedup-batch',
          setting: `DEDUP_PRUNE_SAMPLES=${pruneSamples}${pruneSamples === DEDUP_DEFAULTS.pruneSamples ? ' (default)' : ''}`,
          batch,
          ...figures,
        });
      }
    }
    // Storm with the benchmark's thresholds: no key of this stream reaches a storm.
    const storm = new StormStore(redis, keys, {
      defaults: { ...STORM_DEFAULTS, rateThreshold: 1_000_000, patternThreshold: 64, windowMs: 5_000 },
      overrides: new Map(),
      keyLabels: ['namespace', 'alertname'],
    });
    for (const batch of BATCHES) {
      const figures = await measure(redis, batch, (signals) => storm.evaluate(signals.map((signal) => ({ signal, newIncident: true }))));
      rows.push({ script: 'storm-batch', setting: 'STORM_PATTERN_THRESHOLD=64, STORM_WINDOW=5s', batch, ...figures });
    }
  } finally {
    redis.disconnect();
    await server.dispose();
  }
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ incidents: INCIDENTS, calls: CALLS, rows })}\n`);
    return;
  }
  process.stdout.write(`Redis script time per alert (INFO commandstats), ${INCIDENTS} open incidents, ${CALLS} calls per row\n`);
  for (const row of rows) {
    const sweeps = row.script === 'dedup-batch' ? `, ${row.sweepsPerHashWritten} sweeps per hash written` : '';
    process.stdout.write(
      `  ${row.script.padEnd(12)} batch ${String(row.batch).padStart(3)}  ${String(row.usecPerCall).padStart(6)} µs/call  ${row.usecPerAlert.toFixed(2).padStart(7)} µs/alert   ${row.setting}${sweeps}\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:scripts failed: ${errorStack(err)}\n`);
  process.exit(1);
});
