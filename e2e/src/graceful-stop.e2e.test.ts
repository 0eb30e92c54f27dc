import { eventually } from './support/eventually.js';
import { amAlert, amWebhook } from '@alertgate/testing';
import { PipelineFixture } from './support/pipeline-fixture.js';

/**
 * SIGTERM, as Kubernetes sends it: the gateway stops taking requests and finishes the ones in
 * flight before it exits. The requests are held in flight by a crd-writer stopped with SIGSTOP
 * (no race with the clock): they are certainly being processed when the SIGTERM comes.
 */
describe('a graceful stop of the gateway', () => {
  let fixture: PipelineFixture;

  beforeAll(async () => {
    fixture = await PipelineFixture.start('graceful');
  });
  afterAll(async () => {
    fixture.system?.services['crd-writer'].signal('SIGCONT');
    await fixture?.close();
  });

  it('answers every request in flight at SIGTERM with 200, takes no new one, and exits 0', async () => {
    const { services } = fixture.system!;
    const gatewayUrl = fixture.gatewayUrl;
    services['crd-writer'].signal('SIGSTOP');
    const inFlight = Array.from({ length: 5 }, (_v, i) => fixture.postAlerts(amWebhook([amAlert({ alertname: 'Draining', pod: `d${i}` })])));
    // Each is past dedup (it counted all five), on its way to the crd-writer or waiting for it.
    const dedupEntries = async (): Promise<number> => {
      const sizes = await Promise.all((await fixture.redis.keys()).filter((key) => key.includes('{d')).map((key) => fixture.redis.redis.hlen(key)));
      return sizes.reduce((sum, size) => sum + size, 0);
    };
    await eventually('dedup counted the five webhooks', async () => ((await dedupEntries()) === 5 ? true : undefined));
    const exited = services['ingest-gateway'].stop(20_000);
    // Draining: no new request is taken (refused, or 503 while the listener closes).
    const late = await fetch(`${gatewayUrl}/readyz`).then(
      (response) => response.status,
      () => 0,
    );
    expect([0, 503]).toContain(late);
    services['crd-writer'].signal('SIGCONT');
    const answers = await Promise.all(inFlight);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await exited).toBe(0);
    expect(fixture.resources().filter((rr) => rr.spec.alertname === 'Draining')).toHaveLength(5);
  }, 60_000);
});
