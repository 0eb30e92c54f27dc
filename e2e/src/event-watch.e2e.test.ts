/**
 * The built-in event source (EVENT_WATCH): the gateway watches the real API server's
 * events.k8s.io/v1 Warning events, and each sighting goes through the pipeline as a posted event
 * would. A series' count increments are occurrences; a restart does not process old events again.
 */
import { kubectl, testKube, testNamespace } from '@alertgate/testing';

import { eventually } from './support/eventually.js';
import { counterValue } from './support/metrics.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

/** MicroTime, as events.k8s.io/v1 writes it. */
const microTime = (date = new Date()): string => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

describe("the built-in watch of the cluster's Warning events", () => {
  let fixture: PipelineFixture;
  let ns: string;
  let watchNs: string;

  const event = (name: string, type: 'Warning' | 'Normal', pod: string) => ({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name, namespace: ns },
    eventTime: microTime(),
    reportingController: 'kubelet',
    reportingInstance: 'node-1',
    action: 'Restarting',
    reason: type === 'Warning' ? 'BackOff' : 'Started',
    type,
    note: 'Back-off restarting failed container',
    regarding: { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: pod },
  });
  const create = (object: object) => kubectl(['create', '-f', '-'], { input: JSON.stringify(object) });
  const series = (name: string, count: number) =>
    kubectl(['patch', 'events.events.k8s.io', name, '-n', ns, '--type=merge', '-p', JSON.stringify({ series: { count, lastObservedTime: microTime() } })]);
  const resourceOf = (pod: string) =>
    fixture.resources().find((rr) => rr.spec.alertname === 'BackOff' && rr.metadata.namespace === ns && rr.spec.targetResource.name === pod);
  const gatewayMetric = async (outcome: string) => counterValue(`${fixture.gatewayUrl}/metrics`, 'alertgate_event_watch_events_total', { outcome });

  beforeAll(async () => {
    [ns, watchNs] = await Promise.all([testNamespace('watched'), testNamespace('eventwatch')]);
    fixture = await PipelineFixture.start('eventwatch', {
      serviceEnv: {
        'ingest-gateway': {
          EVENT_WATCH: 'on',
          KUBECONFIG: testKube().kubeconfig,
          EVENT_WATCH_NAMESPACE: watchNs,
          EVENT_WATCH_CHECKPOINT_INTERVAL: '200ms',
          EVENT_WATCH_LEASE_DURATION: '2s',
          EVENT_OWNER_RESOLUTION: 'off',
          STORM: 'off',
        },
      },
    });
  });
  afterAll(() => fixture?.close());

  it("opens an incident for a Warning event, counts its series' increments, and ignores Normal events", async () => {
    await create(event('p1.backoff', 'Warning', 'p1'));
    await create(event('p1.started', 'Normal', 'p1'));
    const opened = await eventually("the event's resource", () => resourceOf('p1'), 30_000);
    expect(opened.status?.occurrences).toBe(1);
    expect(opened.spec.source).toBe('kubernetes-event');
    await series('p1.backoff', 3);
    await eventually('occurrences 3', () => (resourceOf('p1')?.status?.occurrences === 3 ? true : undefined));
    expect(fixture.resources().filter((rr) => rr.metadata.namespace === ns)).toHaveLength(1);
  }, 60_000);

  it('after a restart of the gateway, processes no old event twice and goes on counting', async () => {
    const gateway = fixture.system!.services['ingest-gateway'];
    await gateway.stop();
    await gateway.start();
    // The restarted watch lists every Warning event again: it skips those handed on before.
    await eventually('the old event skipped on the new list', async () => ((await gatewayMetric('skipped')) >= 1 ? true : undefined), 30_000);
    expect(await gatewayMetric('delivered')).toBe(0);
    expect(resourceOf('p1')?.status?.occurrences).toBe(3);
    await series('p1.backoff', 4);
    await eventually('occurrences 4', () => (resourceOf('p1')?.status?.occurrences === 4 ? true : undefined));
    expect(await gatewayMetric('delivered')).toBe(1);
    const checkpoint = JSON.parse(await kubectl(['get', 'configmap', 'alertgate-event-watch', '-n', watchNs, '-o', 'json'])) as {
      data: { observedUntil: string };
    };
    expect(Date.parse(checkpoint.data.observedUntil)).toBeGreaterThan(0);
  }, 60_000);
});
