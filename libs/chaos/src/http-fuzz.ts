import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { errorMessage } from '@alertgate/errors';
import { heapUsedMiB, RedisServer, residentMiB, startSystem, type RunningSystem } from '@alertgate/local-env';
import { Redis } from 'ioredis';

import { finding, type Finding } from './verify-ledger.js';
import { mutatedRequest, Prng } from './webhook-mutations.js';

export interface FuzzOptions {
  /** Workspace root, with the bundles built (dist/apps). */
  readonly root: string;
  /** Mutated bodies to send. */
  readonly count: number;
  readonly seed: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** How long the gateway idles after the run before its memory is read again (V8 gives memory back when idle). */
  readonly settleMs: number;
}

export const FUZZ_DEFAULTS: Omit<FuzzOptions, 'root'> = { count: 50_000, seed: 1, concurrency: 8, settleMs: 60_000 };

export interface FuzzReport {
  readonly sent: number;
  readonly seconds: number;
  /** Answers by status, and by mutation and status. */
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byMutation: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Targets 0: answers of 5xx, and 4xx answers that are not application/problem+json. */
  readonly answers5xx: Finding;
  readonly notProblemJson: Finding;
  /** Dedup entries and resources written, against the distinct alerts answered 200 (equal). */
  readonly dedupEntries: number;
  readonly resources: number;
  readonly acknowledgedAlerts: number;
  /** The gateway's resident memory (MiB) before, right after, and settleMs after the run. */
  readonly gatewayRssMiB: { readonly before: number; readonly after: number; readonly settled: number };
  /** Its V8 heap in use (MiB, from its /metrics) at the same times: what it holds, not what it reserved. */
  readonly gatewayHeapUsedMiB: { readonly before: number; readonly after: number; readonly settled: number };
}

async function dedupEntries(redis: Redis, prefix: string): Promise<number> {
  const keys = (await redis.keys(`${prefix}*`)).filter((key) => key.includes('{d'));
  const sizes = await Promise.all(keys.map((key) => redis.hlen(key)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

function countFiles(dir: string): number {
  try {
    return readdirSync(dir, { recursive: true }).filter((entry) => String(entry).endsWith('.yaml')).length;
  } catch {
    return 0;
  }
}

interface Tally {
  readonly byStatus: Record<string, number>;
  readonly byMutation: Record<string, Record<string, number>>;
  readonly fiveHundreds: string[];
  readonly notProblem: string[];
  readonly acknowledged: Set<string>;
}

async function send(url: string, n: number, prng: Prng, namespace: string, tally: Tally): Promise<void> {
  const request = mutatedRequest(n, namespace, prng);
  let status = 0;
  let type = '';
  let text = '';
  try {
    const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(30_000) });
    status = response.status;
    type = response.headers.get('content-type') ?? '';
    text = await response.text();
  } catch (err) {
    text = errorMessage(err);
  }
  const key = String(status);
  tally.byStatus[key] = (tally.byStatus[key] ?? 0) + 1;
  const mine = (tally.byMutation[request.mutation] ??= {});
  mine[key] = (mine[key] ?? 0) + 1;
  if (status === 0 || status >= 500) tally.fiveHundreds.push(`#${n} ${request.mutation}: ${status} ${text.slice(0, 160)}`);
  if (status >= 400 && status < 500 && !type.startsWith('application/problem+json')) tally.notProblem.push(`#${n} ${request.mutation}: ${status} ${type}`);
  if (status === 200) {
    const results = (JSON.parse(text) as { results?: { fingerprint: string; outcome: string }[] }).results ?? [];
    for (const result of results) if (result.outcome === 'created' || result.outcome === 'duplicate') tally.acknowledged.add(result.fingerprint);
  }
}

/**
 * The HTTP fuzz run: `count` mutated webhooks (webhook-mutations.ts) against the whole system on
 * a Redis and a file sink of its own, `concurrency` at a time. Only alerts answered 200 may leave
 * anything behind, so the dedup entries and the resources written must equal them.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const redis = await new RedisServer({ maxmemory: '64mb' }).start();
  const sinkDir = mkdtempSync(join(tmpdir(), 'alertgate-fuzz-'));
  const prefix = `fuzz${Date.now().toString(36)}:`;
  let system: RunningSystem | undefined;
  const client = new Redis(redis.url);
  try {
    system = await startSystem({
      root: options.root,
      redisUrl: redis.url,
      keyPrefix: prefix,
      sinkDir,
      env: { LOG_LEVEL: 'warn' },
      // Limits and storms out of the way: every answer is about the body alone.
      serviceEnv: {
        storm: { STORM_KEY_LABELS: 'namespace,alertname,pod', STORM_RATE_THRESHOLD: '1000000' },
        ratelimit: {
          SOURCE_RATE_PER_SECOND: '1000000',
          SOURCE_BURST: '1000000',
          NAMESPACE_CREATIONS_PER_MINUTE: '1000000',
          NAMESPACE_CREATIONS_BURST: '1000000',
        },
      },
    });
    const url = `${system.gatewayUrl}/api/v1/signals/alertmanager`;
    const gatewayPid = system.services['ingest-gateway'].pid;
    const before = residentMiB(gatewayPid);
    const heapBefore = await heapUsedMiB(`${system.gatewayUrl}/metrics`);
    const tally: Tally = { byStatus: {}, byMutation: {}, fiveHundreds: [], notProblem: [], acknowledged: new Set() };
    const prng = new Prng(options.seed);
    const started = Date.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let n = next++; n < options.count; n = next++) await send(url, n, prng, 'fuzz', tally);
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    const after = residentMiB(gatewayPid);
    const heapAfter = await heapUsedMiB(`${system.gatewayUrl}/metrics`);
    await new Promise((resolve) => setTimeout(resolve, options.settleMs));
    return {
      sent: options.count,
      seconds,
      byStatus: tally.byStatus,
      byMutation: tally.byMutation,
      answers5xx: finding(tally.fiveHundreds),
      notProblemJson: finding(tally.notProblem),
      dedupEntries: await dedupEntries(client, prefix),
      resources: countFiles(sinkDir),
      acknowledgedAlerts: tally.acknowledged.size,
      gatewayRssMiB: { before, after, settled: residentMiB(gatewayPid) },
      gatewayHeapUsedMiB: { before: heapBefore, after: heapAfter, settled: await heapUsedMiB(`${system.gatewayUrl}/metrics`) },
    };
  } finally {
    client.disconnect();
    await system?.stop();
    await redis.dispose();
    rmSync(sinkDir, { recursive: true, force: true });
  }
}
