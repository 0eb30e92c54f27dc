import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';

import { ServiceProcess } from '@alertgate/local-env';
import { repoRoot } from '@alertgate/testing';

import { amAlert, amWebhook, PipelineFixture } from './support/pipeline-fixture.js';

const run = promisify(execFile);
const TOKEN = 'ratelimit-e2e-token-0123';
const auth = { authorization: `Bearer ${TOKEN}` };

interface Result {
  outcome: string;
  remediationRequest?: { name: string };
}

const event = (pod: string) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: `${pod}.1`, namespace: 'rl' },
  involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod, namespace: 'rl' },
  reason: 'BackOff',
  type: 'Warning',
  firstTimestamp: '2026-11-26T10:00:00Z',
});

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
    expect(limited.json['type']).toBe('urn:alertgate:problem:temporarily-unavailable');
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
    const { stdout } = await run(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '-d', '{"source":"a:192.0.2.7"}', `http://${address}/alertgate.ratelimit.v1.RateLimitService/CheckSource`]);
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
  const RATE = 50;
  const BURST = 10;
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
      env: { RATELIMIT_PORT: '0', METRICS_PORT: '0', REDIS_URL: process.env['ALERTGATE_TEST_REDIS_URL'] ?? '', REDIS_KEY_PREFIX: fixture.redis.prefix, ...limits },
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

  it('4 concurrent clients through 2 gateways for 10 s: admitted within 2% of the limit', async () => {
    const urls = [fixture.gatewayUrl, `http://127.0.0.1:${second?.gateway.port}`];
    const body = JSON.stringify(amWebhook([amAlert({ alertname: 'Replicas', pod: 'r' })]));
    const durationMs = 10_000;
    const send = (url: string): Promise<Response> =>
      fetch(`${url}/api/v1/signals/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body });
    // Warm up every client's connection, then let the limiter fill up again before measuring.
    await Promise.all([0, 1, 2, 3].map(async (i) => (await send(urls[i % 2] ?? '')).arrayBuffer()));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const started = Date.now();
    let admitted = 0;
    let limited = 0;
    let other = 0;
    let lastSent = started;
    const client = async (url: string): Promise<void> => {
      while (Date.now() - started < durationMs) {
        lastSent = Date.now();
        const response = await send(url);
        await response.arrayBuffer();
        if (response.status === 200) admitted += 1;
        else if (response.status === 503) limited += 1;
        else other += 1;
      }
    };
    await Promise.all([0, 1, 2, 3].map((i) => client(urls[i % 2] ?? '')));
    // GCRA admits at most burst + rate × (time between the first and the last request).
    const elapsed = (lastSent - started) / 1000;
    const expected = RATE * elapsed + BURST;
    process.stdout.write(`replicas: ${admitted} admitted, ${limited} limited over ${elapsed.toFixed(2)} s; limit allows ${expected.toFixed(1)}\n`);
    expect(other).toBe(0);
    // The clients offered more than the limit (else accuracy would prove nothing).
    expect(admitted + limited).toBeGreaterThan(expected * 1.2);
    expect(Math.abs(admitted - expected) / expected).toBeLessThanOrEqual(0.02);
  });
});
