import { RedisServer } from '@alertgate/local-env';

import { eventually } from './support/eventually.js';
import { amAlert, amWebhook } from '@alertgate/testing';
import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  outcome: string;
  remediationRequest?: { namespace: string; name: string };
}

const ready = (fixture: PipelineFixture) => async (): Promise<true | undefined> =>
  (await fetch(`${fixture.gatewayUrl}/readyz`)).status === 200 ? true : undefined;

describe('outages: a dependency down answers 503 + Retry-After, loses nothing, and a retry creates nothing twice', () => {
  let redis: RedisServer;
  let fixture: PipelineFixture;

  beforeAll(async () => {
    // A Redis of this suite's own, durable like a production one, so it can be stopped and started.
    redis = await new RedisServer({ durable: true, maxmemory: '32mb' }).start();
    fixture = await PipelineFixture.start('outage', { redisUrl: redis.url });
  });
  afterAll(async () => {
    await fixture?.close();
    await redis?.dispose();
  });

  it('Redis stopped → 503 with Retry-After and not ready; Redis back → processing resumes, the retry duplicates nothing', async () => {
    const a = amAlert({ alertname: 'RedisOutage', pod: 'a' });
    const c = amAlert({ alertname: 'RedisOutage', pod: 'c' });
    const first = await fixture.postAlerts(amWebhook([a]));
    expect(first.status).toBe(200);

    await redis.stop();
    const during = await fixture.postAlerts(amWebhook([a, c]));
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');
    expect(during.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(during.json['type']).toBe('urn:alertgate:problem:temporarily-unavailable');
    await eventually('gateway not ready', async () => ((await fetch(`${fixture.gatewayUrl}/readyz`)).status === 503 ? true : undefined));

    await redis.start();
    await eventually('gateway ready again', ready(fixture));
    // Alertmanager retries the same notification.
    const retried = await fixture.postAlerts(amWebhook([a, c]));
    expect(retried.status).toBe(200);
    const outcomes = (retried.json['results'] as Result[]).map((r) => r.outcome);
    expect(outcomes).toEqual(['duplicate', 'created']);
    const resources = fixture.resources().filter((rr) => rr.spec.alertname === 'RedisOutage');
    expect(resources.map((rr) => rr.spec.targetResource.name).sort()).toEqual(['a', 'c']);
  });

  it('crd-writer down after dedup counted the alert → 503; the retry creates the resource exactly once', async () => {
    const writer = fixture.system!.services['crd-writer'];
    const alert = amAlert({ alertname: 'WriterOutage', pod: 'w' });
    await writer.stop();
    const during = await fixture.postAlerts(amWebhook([alert]));
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');
    expect(fixture.resources().filter((rr) => rr.spec.alertname === 'WriterOutage')).toHaveLength(0);

    await writer.start();
    await eventually('gateway ready again', ready(fixture));
    const retry = await fixture.postAlerts(amWebhook([alert]));
    expect(retry.status).toBe(200);
    expect((retry.json['results'] as Result[])[0]?.outcome).toBe('created');
    const again = await fixture.postAlerts(amWebhook([alert]));
    expect((again.json['results'] as Result[])[0]?.outcome).toBe('duplicate');
    const resources = fixture.resources().filter((rr) => rr.spec.alertname === 'WriterOutage');
    expect(resources).toHaveLength(1);
    // Three deliveries reached dedup: the failed one, its retry and the repeat.
    expect(resources[0]?.status?.occurrences).toBe(3);
  });

  // The gateway asks storm and dedup at once: with storm down, the incident dedup opened
  // meanwhile is forgotten before the 503, so the retry opens it as new, counted once.
  it('storm down → 503, and what dedup opened meanwhile is forgotten; the retry creates the resource with one occurrence', async () => {
    const storm = fixture.system!.services.storm;
    const alert = amAlert({ alertname: 'StormOutage', pod: 's' });
    await storm.stop();
    const during = await fixture.postAlerts(amWebhook([alert]));
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');

    await storm.start();
    await eventually('gateway ready again', ready(fixture));
    const retry = await fixture.postAlerts(amWebhook([alert]));
    expect(retry.status).toBe(200);
    expect((retry.json['results'] as Result[])[0]).toMatchObject({ outcome: 'created', occurrences: 1 });
  });

  // RATELIMIT_FAIL_MODE=open (the default): refusing alerts because only the limiter is down
  // would lose more than it protects (docs/operations.md).
  it('ratelimit down → the webhook is processed without limits (fail open), and nothing is lost', async () => {
    const ratelimit = fixture.system!.services.ratelimit;
    const alert = amAlert({ alertname: 'LimiterOutage', pod: 'l' });
    await ratelimit.stop();
    try {
      const during = await fixture.postAlerts(amWebhook([alert]));
      expect(during.status).toBe(200);
      expect((during.json['results'] as Result[])[0]?.outcome).toBe('created');
      const metrics = await (await fetch(`${fixture.gatewayUrl}/metrics`)).text();
      expect(metrics).toMatch(/alertgate_ratelimit_decisions_total\{[^}]*decision="unavailable"[^}]*\} [1-9]/);
    } finally {
      await ratelimit.start();
    }
    expect(fixture.resources().filter((rr) => rr.spec.alertname === 'LimiterOutage')).toHaveLength(1);
  });
});
