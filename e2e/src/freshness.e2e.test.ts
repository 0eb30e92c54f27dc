import { amAlert, amWebhook, warningEvent } from '@alertgate/testing';
import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  outcome: string;
  reason?: string;
  errors?: { pointer: string; detail: string }[];
}

const HOUR = 3_600_000;
const isoAt = (offsetMs: number): string => new Date(Date.now() + offsetMs).toISOString();

const warning = (pod: string, lastSeen: string) => warningEvent({ namespace: 'shop', pod, firstTimestamp: isoAt(-3 * HOUR), lastTimestamp: lastSeen });

/**
 * A signal's own times against the gateway's clock (ALERT_MAX_FUTURE_SKEW, EVENT_MAX_AGE, at their
 * defaults): real processes, real Redis, the file sink.
 */
describe('freshness (real processes, real Redis)', () => {
  let fixture: PipelineFixture;
  beforeAll(async () => {
    fixture = await PipelineFixture.start('freshness');
  });
  afterAll(() => fixture?.close());

  it('an alert starting an hour ahead of the gateway clock is a 400 naming startsAt, and writes nothing', async () => {
    const answer = await fixture.postAlerts(amWebhook([{ ...amAlert({ pod: 'future' }), startsAt: isoAt(HOUR) }]));
    expect(answer.status).toBe(400);
    expect(answer.json['type']).toBe('urn:alertgate:problem:invalid-input');
    expect(answer.json['errors']).toEqual([
      { pointer: '/alerts/0/startsAt', detail: expect.stringMatching(/^is 3[56]\d\d s ahead of the gateway's clock; at most 300 s is accepted/) },
    ]);
    expect(await fixture.redis.keys()).toEqual([]);
    expect(fixture.resources()).toEqual([]);
  });

  it('beside alerts of now and of last year, only it is rejected', async () => {
    const answer = await fixture.postAlerts(
      amWebhook([
        { ...amAlert({ pod: 'ahead' }), startsAt: isoAt(HOUR) },
        { ...amAlert({ pod: 'now' }), startsAt: isoAt(0) },
        { ...amAlert({ pod: 'old' }), startsAt: isoAt(-365 * 24 * HOUR) },
      ]),
    );
    expect(answer.status).toBe(200);
    const results = answer.json['results'] as Result[];
    expect(results.map((result) => result.outcome)).toEqual(['rejected', 'created', 'created']);
    expect(results[0]?.errors?.map((error) => error.pointer)).toEqual(['/alerts/0/startsAt']);
    expect(
      fixture
        .resources()
        .map((rr) => rr.spec.targetResource.name)
        .sort(),
    ).toEqual(['now', 'old']);
  });

  it('a Warning event last seen two hours ago is ignored; one that began earlier but was seen now is written', async () => {
    const keysBefore = (await fixture.redis.keys()).length;
    const stale = await fixture.post('/api/v1/signals/kubernetes-event', warning('stale', isoAt(-2 * HOUR)));
    expect(stale.status).toBe(200);
    expect(stale.json['results']).toEqual([
      { outcome: 'ignored', reason: expect.stringMatching(/^the event was last seen 7\d{3} s ago, longer ago than 3600 s$/) },
    ]);
    expect((await fixture.redis.keys()).length).toBe(keysBefore);
    const fresh = await fixture.post('/api/v1/signals/kubernetes-event', warning('fresh', isoAt(0)));
    expect((fresh.json['results'] as Result[]).map((result) => result.outcome)).toEqual(['created']);
    expect(
      fixture
        .resources()
        .filter((rr) => rr.spec.source === 'kubernetes-event')
        .map((rr) => rr.spec.targetResource.name),
    ).toEqual(['fresh']);
  });
});
