import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';

import { ServiceProcess } from '@alertgate/local-env';
import { amAlert, amWebhook, repoRoot, testRedisEnv, testRedisUrl, warningEvent } from '@alertgate/testing';

import { PipelineFixture } from './support/pipeline-fixture.js';

const run = promisify(execFile);
const TOKEN = 'ratelimit-e2e-token-0123';
const auth = { authorization: `Bearer ${TOKEN}` };

interface Result {
  outcome: string;
  remediationRequest?: { name: string };
}

const event = (pod: string) => warningEvent({ namespace: 'rl', pod });

describe('per-source limit (real processes, real Redis)', () => {
  let fixture: PipelineFixture;
  beforeAll(async () => {
    fixture = await PipelineFixture.start('rlsource', {
      serviceEnv: {
        'ingest-gateway': { INGEST_AUTH: 'token', INGEST_TOKEN: TOKEN },
        ratelimit: { SOURCE_RATE_PER_SECOND: '1', SOURCE_BURST: '3' },
      },
    });
  });
  afterAll(() => fixture?.close());

  it('admits the burst untouched, then answers 503 on the Alertmanager endpoint and 429 elsewhere, with exact Retry-After and RateLimit headers', async () => {
    const body = amWebhook([amAlert({ alertname: 'Limited', pod: 'l' })]);
    const admitted = [];
    for (let i = 0; i < 3; i++) admitted.push(await fixture.postAlerts(body, auth));
    expect(admitted.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(admitted[0]?.headers.get('ratelimit-policy')).toBe('"source";q=3;w=3');
    expect(admitted[2]?.headers.get('ratelimit')).toMatch(/^"source";r=0;t=[1-3]$/);

    const limited = await fixture.postAlerts(body, auth);
    expect(limited.status).toBe(503);
    expect(limited.json['type']).toBe('urn:alertgate:problem:rate-limited');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('ratelimit-policy')).toBe('"source";q=3;w=3');
    expect(limited.headers.get('ratelimit')).toMatch(/^"source";r=0;t=\d+$/);

    const other = await fixture.post('/api/v1/signals/kubernetes-event', event('p'), auth);
    expect(other.status).toBe(429);
    expect(other.json['type']).toBe('urn:alertgate:problem:rate-limited');
    const retryAfter = Number(other.headers.get('retry-after'));
    expect(retryAfter).toBe(1);

    // Retry-After is right to the second: after it, the request is admitted.
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 50));
    expect((await fixture.postAlerts(body, auth)).status).toBe(200);
  });

  it('the service answers buf curl through reflection', async () => {
    const buf = join(repoRoot(), 'node_modules', '.bin', 'buf');
    const address = fixture.system!.ratelimitAddress;
    const { stdout: methods } = await run(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--list-methods', `http://${address}`]);
    expect(methods).toContain('alertgate.ratelimit.v1.RateLimitService/CheckSource');
    expect(methods).toContain('alertgate.ratelimit.v1.RateLimitService/ReserveCreations');
    const { stdout } = await run(buf, [
      'curl',
      '--protocol',
      'grpc',
      '--http2-prior-knowledge',
      '-d',
      '{"source":"a:192.0.2.7"}',
      `http://${address}/alertgate.ratelimit.v1.RateLimitService/CheckSource`,
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ quota: { admitted: true, limit: 3, remaining: 2, policy: '"source";q=3;w=3' } });
  });
});

describe('per-namespace creation budget', () => {
  let fixture: PipelineFixture;
  beforeAll(async () => {
    fixture = await PipelineFixture.start('rlns', { serviceEnv: { ratelimit: { NAMESPACE_CREATIONS_PER_MINUTE: '60', NAMESPACE_CREATIONS_BURST: '2' } } });
  });
  afterAll(() => fixture?.close());

  it('creates no resource beyond the budget, defers the rest to the retry (nothing lost), and still processes duplicates', async () => {
    const alerts = ['a', 'b', 'c', 'd'].map((pod) => amAlert({ alertname: 'Budget', namespace: 'budget', pod }));
    const first = await fixture.postAlerts(amWebhook(alerts));
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(first.headers.get('ratelimit-policy')).toBe('"namespace";q=2;w=2');
    const outcomes = (first.json['results'] as Result[]).map((r) => r.outcome);
    expect(outcomes).toEqual(['created', 'created', 'deferred', 'deferred']);
    expect(fixture.resources().filter((rr) => rr.spec.alertname === 'Budget')).toHaveLength(2);

    // Duplicates cost no creation: the created ones alone go through at once.
    const duplicates = await fixture.postAlerts(amWebhook(alerts.slice(0, 2)));
    expect(duplicates.status).toBe(200);
    expect((duplicates.json['results'] as Result[]).map((r) => r.outcome)).toEqual(['duplicate', 'duplicate']);

    // The sender retries the whole notification as the budget refills: the deferred ones arrive.
    const deadline = Date.now() + 10_000;
    let retry = await fixture.postAlerts(amWebhook(alerts));
    while (retry.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Number(retry.headers.get('retry-after') ?? 1) * 1000));
      retry = await fixture.postAlerts(amWebhook(alerts));
    }
    expect(retry.status).toBe(200);
    const budget = fixture.resources().filter((rr) => rr.spec.alertname === 'Budget');
    expect(budget.map((rr) => rr.spec.targetResource.name).sort()).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('limits hold across replicas', () => {
  const RATE = 20;
  const BURST = 60;
  let fixture: PipelineFixture;
  let second: { gateway: ServiceProcess; ratelimit: ServiceProcess } | undefined;

  beforeAll(async () => {
    const limits = { SOURCE_RATE_PER_SECOND: String(RATE), SOURCE_BURST: String(BURST) };
    fixture = await PipelineFixture.start('rlreplicas', {
      env: { LOG_LEVEL: 'warn' },
      serviceEnv: { 'ingest-gateway': { INGEST_AUTH: 'token', INGEST_TOKEN: TOKEN }, ratelimit: limits },
    });
    // A second ratelimit replica and a second gateway, sharing Redis, dedup and crd-writer.
    const system = fixture.system!;
    const ratelimit = new ServiceProcess({
      app: 'ratelimit',
      root: repoRoot(),
      portVariable: 'RATELIMIT_PORT',
      env: { RATELIMIT_PORT: '0', METRICS_PORT: '0', REDIS_URL: testRedisUrl(), ...testRedisEnv(), REDIS_KEY_PREFIX: fixture.redis.prefix, ...limits },
    });
    const ratelimitPort = await ratelimit.start();
    const gateway = new ServiceProcess({
      app: 'ingest-gateway',
      root: repoRoot(),
      portVariable: 'INGEST_PORT',
      env: {
        INGEST_PORT: '0',
        INGEST_AUTH: 'token',
        INGEST_TOKEN: TOKEN,
        DEDUP_ADDR: system.dedupAddress,
        CRD_WRITER_ADDR: system.crdWriterAddress,
        RATELIMIT_ADDR: `127.0.0.1:${ratelimitPort}`,
        STORM_ADDR: system.stormAddress,
      },
    });
    await gateway.start();
    second = { gateway, ratelimit };
  });
  afterAll(async () => {
    await second?.gateway.stop();
    await second?.ratelimit.stop();
    await fixture?.close();
  });

  /**
   * GCRA admits, up to Redis time t, at most burst + rate × (t − F) requests, F being the first
   * admission's time, and once it refuses one it has less than one token left. The test drains
   * the bucket in rounds (every client sends until it is refused once) with pauses too short to
   * refill it to its cap, then brackets the admitted count between what the limit allows by the
   * times each request was sent and answered: Redis runs on this machine's clock, and each
   * decision falls between its request's sending and its answer. So the bounds hold on any
   * machine, however fast: nothing is raced against the clock. The one assumption is that the
   * clients together send faster than the rate (20/s), so that within a round the bucket does not
   * refill to its cap: eight of them, so that this holds with answers as slow as 400 ms (tests
   * running beside this one load the machine).
   */
  it('8 concurrent clients through 2 gateways, in rounds that drain the limit: admitted as the limit allows, to one request', async () => {
    const urls = [fixture.gatewayUrl, `http://127.0.0.1:${second?.gateway.port}`];
    const body = JSON.stringify(amWebhook([amAlert({ alertname: 'Replicas', pod: 'r' })]));
    const send = (url: string): Promise<Response> =>
      fetch(`${url}/api/v1/signals/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body });
    // Warm up every client's connection, then let the bucket fill to its burst (waiting longer
    // only keeps it full).
    const CLIENTS = [0, 1, 2, 3, 4, 5, 6, 7];
    await Promise.all(CLIENTS.map(async (i) => (await send(urls[i % 2] ?? '')).arrayBuffer()));
    await new Promise((resolve) => setTimeout(resolve, (BURST / RATE) * 1000 + 500));
    const ROUNDS = 4;
    // Refills half the burst.
    const PAUSE_MS = (BURST / RATE / 2) * 1000;
    /** Requests one client may send in a round before the limiter counts as not limiting. */
    const MAX_PER_ROUND = 5 * BURST;
    /** 200, or the status and problem type of a refusal. */
    const requests: { round: number; sentAt: number; answeredAt: number; status: 200 | string }[] = [];
    const client = async (url: string, round: number): Promise<void> => {
      for (let sent = 0; sent < MAX_PER_ROUND; sent++) {
        const sentAt = Date.now();
        const response = await send(url);
        const text = await response.text();
        const answeredAt = Date.now();
        const status = response.status === 200 ? 200 : `${response.status} ${(JSON.parse(text) as { type?: string }).type ?? ''}`;
        requests.push({ round, sentAt, answeredAt, status });
        if (response.status !== 200) return;
      }
      throw new Error(`a client sent ${MAX_PER_ROUND} requests in one round without being limited`);
    };
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      await Promise.all(CLIENTS.map((i) => client(urls[i % 2] ?? '', round)));
    }
    const admitted = requests.filter((request) => request.status === 200);
    // Alertmanager retries a 5xx, not a 429: the webhook route answers a limited sender 503.
    const LIMITED = '503 urn:alertgate:problem:rate-limited';
    const refused = requests.filter((request) => request.status === LIMITED);
    expect(requests.filter((request) => request.status !== 200 && request.status !== LIMITED)).toEqual([]);
    // Every client of every round was refused once: the bucket was drained each time.
    expect(refused).toHaveLength(ROUNDS * CLIENTS.length);
    const firstSent = Math.min(...requests.map((request) => request.sentAt));
    const firstAdmittedBy = Math.min(...admitted.map((request) => request.answeredAt));
    const lastAdmittedBy = Math.max(...admitted.map((request) => request.answeredAt));
    const lastRefusedAfter = Math.max(...refused.map((request) => request.sentAt));
    // Refill lost to the cap in a pause: the bucket is below one token at a round's last refusal.
    let capped = 0;
    for (let round = 1; round < ROUNDS; round++) {
      const pauseAtMost =
        Math.min(...requests.filter((r) => r.round === round).map((r) => r.answeredAt)) -
        Math.max(...refused.filter((r) => r.round === round - 1).map((r) => r.sentAt));
      capped += Math.max(0, 1 + (RATE * pauseAtMost) / 1000 - BURST);
    }
    const atMost = BURST + (RATE * (lastAdmittedBy - firstSent)) / 1000;
    const atLeast = BURST + (RATE * (lastRefusedAfter - firstAdmittedBy)) / 1000 - capped - 1;
    process.stdout.write(
      `replicas: ${admitted.length} admitted, ${refused.length} limited in ${ROUNDS} rounds; the limit allows ${atLeast.toFixed(1)} to ${atMost.toFixed(1)}\n`,
    );
    expect(admitted.length).toBeLessThanOrEqual(Math.floor(atMost));
    expect(admitted.length).toBeGreaterThanOrEqual(Math.ceil(atLeast));
  }, 120_000);
});
