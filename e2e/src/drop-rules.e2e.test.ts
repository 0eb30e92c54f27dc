import { counterValue } from './support/metrics.js';
import { amAlert, amWebhook, warningEvent } from '@alertgate/testing';
import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  outcome: string;
  reason?: string;
}

const warning = (reason: string, pod: string) => warningEvent({ namespace: 'shop', pod, reason });

/** The gateway's count of ignored signals of a source, read from its /metrics. */
const ignoredCount = (gatewayUrl: string, source: string): Promise<number> =>
  counterValue(`${gatewayUrl}/metrics`, 'alertgate_signals_total', { source, outcome: 'ignored' });

/**
 * Drop rules (DROP_RULES, Alertmanager's matcher syntax) answer matching signals `ignored` before
 * any state is written. Real processes, real Redis, the file sink.
 */
describe('drop rules (real processes, real Redis)', () => {
  describe('the defaults', () => {
    let fixture: PipelineFixture;
    beforeAll(async () => {
      fixture = await PipelineFixture.start('dropdefault');
    });
    afterAll(() => fixture?.close());

    it('a webhook of only Watchdog, InfoInhibitor and severity "none" alerts: 200, all ignored, nothing in Redis or the sink', async () => {
      const answer = await fixture.postAlerts(
        amWebhook([
          amAlert({ alertname: 'Watchdog' }),
          amAlert({ alertname: 'InfoInhibitor', pod: 'a' }),
          amAlert({ alertname: 'Quiet', severity: 'none', pod: 'b' }),
        ]),
      );
      expect(answer.status).toBe(200);
      const results = answer.json['results'] as Result[];
      expect(results.map((result) => result.outcome)).toEqual(['ignored', 'ignored', 'ignored']);
      expect(results[2]?.reason).toBe('matches the drop rule {severity="none"}');
      expect(await fixture.redis.keys()).toEqual([]);
      expect(fixture.resources()).toEqual([]);
      expect(await ignoredCount(fixture.gatewayUrl, 'alertmanager')).toBe(3);
    });

    it('mixed with valid and invalid alerts: each answered at its place, only the valid one written', async () => {
      const answer = await fixture.postAlerts(
        amWebhook([
          amAlert({ alertname: 'Watchdog' }),
          amAlert({ alertname: 'Real', pod: 'r' }),
          amAlert({ alertname: 'Bad', namespace: 'Bad_NS', pod: 'x' }),
          amAlert({ alertname: 'Quiet', severity: 'none', pod: 'q' }),
        ]),
      );
      expect(answer.status).toBe(200);
      expect((answer.json['results'] as Result[]).map((result) => result.outcome)).toEqual(['ignored', 'created', 'rejected', 'ignored']);
      expect(fixture.resources().map((rr) => rr.spec.alertname)).toEqual(['Real']);
    });

    it('an alert of severity "warning" is not dropped', async () => {
      const answer = await fixture.postAlerts(amWebhook([amAlert({ alertname: 'Kept', severity: 'warning', pod: 'k' })]));
      expect((answer.json['results'] as Result[]).map((result) => result.outcome)).toEqual(['created']);
    });
  });

  describe('configured', () => {
    let fixture: PipelineFixture;
    beforeAll(async () => {
      fixture = await PipelineFixture.start('dropconfigured', {
        serviceEnv: { 'ingest-gateway': { DROP_RULES: '{team="sandbox", severity!="critical"}; {alertname=~"Noisy.*"}' } },
      });
    });
    afterAll(() => fixture?.close());

    it('replace the defaults: a Watchdog is written, matching alerts and Warning events are ignored', async () => {
      const answer = await fixture.postAlerts(
        amWebhook([
          amAlert({ alertname: 'Watchdog', pod: 'w' }),
          amAlert({ alertname: 'Disk', team: 'sandbox', severity: 'warning', pod: 's' }),
          amAlert({ alertname: 'Disk', team: 'sandbox', severity: 'critical', pod: 'c' }),
        ]),
      );
      expect((answer.json['results'] as Result[]).map((result) => result.outcome)).toEqual(['created', 'ignored', 'created']);
      const event = await fixture.post('/api/v1/signals/kubernetes-event', warning('NoisyProbe', 'e'));
      expect(event.status).toBe(200);
      expect(event.json['results']).toEqual([{ fingerprint: expect.any(String), outcome: 'ignored', reason: 'matches the drop rule {alertname=~"Noisy.*"}' }]);
      expect(await ignoredCount(fixture.gatewayUrl, 'kubernetes-event')).toBe(1);
      expect(
        fixture
          .resources()
          .map((rr) => rr.spec.targetResource.name)
          .sort(),
      ).toEqual(['c', 'w']);
    });
  });

  it('a rule that does not parse stops the gateway at start-up, naming DROP_RULES', async () => {
    await expect(
      PipelineFixture.start('dropbad', { serviceEnv: { 'ingest-gateway': { DROP_RULES: '{alertname=~"Noisy.*"}; {team=sandbox' } } }),
    ).rejects.toThrow(/ingest-gateway exited with [1-9][0-9]* before listening[\s\S]*DROP_RULES/);
  });
});
