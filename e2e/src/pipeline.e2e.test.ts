import { amAlert, amWebhook } from '@alertgate/testing';
import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  fingerprint: string;
  outcome: string;
  occurrences?: number;
  remediationRequest?: { namespace: string; name: string };
}

describe('pipeline end to end (gateway, dedup, crd-writer as processes, real Redis)', () => {
  let fixture: PipelineFixture;
  beforeAll(async () => {
    // This suite is about dedup and the resource lifecycle; storms have their own suite.
    fixture = await PipelineFixture.start('pipeline', { serviceEnv: { 'ingest-gateway': { STORM: 'off' } } });
  });
  afterAll(() => fixture?.close());

  it('creates one resource for a firing alert and counts the repeat as a duplicate', async () => {
    const body = amWebhook([amAlert({ pod: 'api-1' })]);
    const first = await fixture.postAlerts(body);
    expect(first.status).toBe(200);
    const [created] = first.json['results'] as Result[];
    expect(created).toMatchObject({ outcome: 'created', occurrences: 1, remediationRequest: { namespace: 'shop' } });
    expect(first.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);

    const second = await fixture.postAlerts(body);
    const [duplicate] = second.json['results'] as Result[];
    expect(duplicate).toMatchObject({ outcome: 'duplicate', occurrences: 2, remediationRequest: created?.remediationRequest });

    const mine = fixture.resources().filter((rr) => rr.spec.fingerprint === created?.fingerprint);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.status).toMatchObject({ occurrences: 2, alertState: 'Firing', phase: 'Pending' });
    expect(mine[0]?.spec).toMatchObject({
      alertname: 'KubePodCrashLooping',
      targetResource: { kind: 'pod', name: 'api-1' },
      alertmanager: { fingerprint: 'c0ffee0123456789' },
    });
    expect(mine[0]?.metadata.annotations['remediation.alertgate.io/trace-id']).toBe(first.headers.get('traceparent')?.split('-')[1]);
  });

  it('turns a batch of 50 alerts with 10 distinct fingerprints into 10 resources', async () => {
    const alerts = Array.from({ length: 50 }, (_v, i) => amAlert({ alertname: 'BatchAlert', pod: `batch-${i % 10}`, container: `c${i}` }));
    const response = await fixture.postAlerts(amWebhook(alerts));
    expect(response.status).toBe(200);
    const results = response.json['results'] as Result[];
    expect(results).toHaveLength(50);
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(10);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(40);
    const batch = fixture.resources().filter((rr) => rr.spec.alertname === 'BatchAlert');
    expect(batch).toHaveLength(10);
    expect(batch.every((rr) => rr.status?.occurrences === 5)).toBe(true);
  });

  it('records the resolution on the resource and creates nothing for it', async () => {
    const labels = { alertname: 'ResolveMe', pod: 'db-0' };
    const opened = await fixture.postAlerts(amWebhook([amAlert(labels)]));
    const [created] = opened.json['results'] as Result[];
    const resolved = await fixture.postAlerts(amWebhook([amAlert(labels, 'resolved')], 'resolved'));
    expect(resolved.status).toBe(200);
    const [result] = resolved.json['results'] as Result[];
    expect(result).toMatchObject({ outcome: 'resolved', remediationRequest: created?.remediationRequest });
    const mine = fixture.resources().filter((rr) => rr.spec.alertname === 'ResolveMe');
    expect(mine).toHaveLength(1);
    expect(mine[0]?.status).toMatchObject({ alertState: 'Resolved', resolvedAt: '2026-11-26T10:30:00.000Z' });

    // A resolution for an incident nobody opened changes nothing.
    const stray = await fixture.postAlerts(amWebhook([amAlert({ alertname: 'NeverFired', pod: 'x' }, 'resolved')], 'resolved'));
    expect((stray.json['results'] as Result[])[0]?.outcome).toBe('unmatched');
    expect(fixture.resources().filter((rr) => rr.spec.alertname === 'NeverFired')).toHaveLength(0);
  });

  it('handles Kubernetes Warning events and ignores Normal ones', async () => {
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.1', namespace: 'shop' },
      involvedObject: { kind: 'Pod', name: 'web-9', namespace: 'shop' },
      reason: 'FailedMount',
      message: 'MountVolume.SetUp failed',
      type: 'Warning',
      // Events older than EVENT_MAX_AGE are ignored: a Warning of now.
      firstTimestamp: new Date().toISOString(),
    };
    const warning = await fixture.post('/api/v1/signals/kubernetes-event', event);
    expect(warning.status).toBe(200);
    expect((warning.json['results'] as Result[])[0]).toMatchObject({ outcome: 'created' });
    const normal = await fixture.post('/api/v1/signals/kubernetes-event', { ...event, type: 'Normal', reason: 'Pulled' });
    expect(normal.status).toBe(200);
    expect((normal.json['results'] as Result[])[0]).toMatchObject({ outcome: 'ignored' });
    expect(fixture.resources().filter((rr) => rr.spec.source === 'kubernetes-event')).toHaveLength(1);
  });

  it('answers health, readiness and metrics', async () => {
    expect((await fetch(`${fixture.gatewayUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${fixture.gatewayUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { dedup: 'SERVING', 'crd-writer': 'SERVING', ratelimit: 'SERVING' } });
    // (STORM=off here: the storm service is not a dependency of this gateway.)
    const metrics = await (await fetch(`${fixture.gatewayUrl}/metrics`)).text();
    expect(metrics).toMatch(/alertgate_signals_total\{source="alertmanager",outcome="created"\} \d+/);
  });
});
