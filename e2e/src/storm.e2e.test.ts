import type { RemediationRequest } from '@alertgate/remediation';

import { amAlert, amWebhook } from '@alertgate/testing';
import { PipelineFixture } from './support/pipeline-fixture.js';
import { eventually } from './support/eventually.js';

interface Result {
  fingerprint: string;
  outcome: string;
  remediationRequest?: { namespace: string; name: string };
}

const STORM_ENV = {
  STORM_RATE_THRESHOLD: '20',
  STORM_PATTERN_THRESHOLD: '10',
  STORM_WINDOW: '60s',
  // Namespaces with their own settings: a pattern-only namespace, and short windows to watch close.
  STORM_OVERRIDES: 'rate-ns=pattern:64;pattern-ns=rate:1000;idle-ns=inactivity:1500ms;capped-ns=max:2500ms',
};

const alert = (namespace: string, pod: string, alertname = 'PodCrash', status: 'firing' | 'resolved' = 'firing') =>
  amAlert({ alertname, namespace, pod }, status);

describe('storms: detection and folding into one growing aggregate (real processes, real Redis)', () => {
  let fixture: PipelineFixture;
  beforeAll(async () => {
    // The crd-writer looks for storms that are over often, so that the test sees one end.
    fixture = await PipelineFixture.start('storm', { serviceEnv: { storm: STORM_ENV, 'crd-writer': { STORM_END_INTERVAL: '300ms' } } });
  });
  afterAll(() => fixture?.close());

  const post = async (alerts: Record<string, unknown>[]): Promise<Result[]> => {
    const response = await fixture.postAlerts(amWebhook(alerts));
    expect(response.status).toBe(200);
    return response.json['results'] as Result[];
  };
  const inNamespace = (namespace: string): RemediationRequest[] => fixture.resources().filter((rr) => rr.metadata.namespace === namespace);
  const aggregates = (namespace: string): RemediationRequest[] =>
    inNamespace(namespace).filter((rr) => rr.metadata.labels['remediation.alertgate.io/storm'] === 'true');

  it('below threshold: individual incidents, no storm', async () => {
    const results = await post(Array.from({ length: 10 }, (_v, i) => alert('calm-ns', `p${i % 5}`)));
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(5);
    expect(results.some((r) => r.outcome === 'storm')).toBe(false);
    expect(aggregates('calm-ns')).toHaveLength(0);
  });

  it('rate storm: 200 alerts over 40 pods → the pre-threshold incidents plus one aggregate counting 40 resources and 200 occurrences', async () => {
    const results: Result[] = [];
    for (let batch = 0; batch < 4; batch++) {
      results.push(...(await post(Array.from({ length: 50 }, (_v, i) => alert('rate-ns', `pod-${(batch * 50 + i) % 40}`)))));
    }
    const individual = inNamespace('rate-ns').filter((rr) => !rr.metadata.labels['remediation.alertgate.io/storm']);
    const [aggregate, ...others] = aggregates('rate-ns');
    expect(others).toHaveLength(0);
    expect(individual.length).toBeLessThan(20);
    expect(aggregate?.spec.storm).toMatchObject({ key: 'rate-ns/PodCrash', type: 'rate' });
    expect(aggregate?.status?.storm?.memberCount).toBe(40);
    expect(aggregate?.status?.occurrences).toBe(200);
    // Every pod is on the aggregate: folded ones as members, earlier ones linked to it.
    expect(new Set([...(aggregate?.status?.storm?.members ?? []), ...individual.map((rr) => `pod/${rr.spec.targetResource.name}`)]).size).toBe(40);
    expect(individual.every((rr) => rr.status?.stormRef === aggregate?.metadata.name)).toBe(true);
    expect(aggregate?.status?.storm?.linked).toHaveLength(individual.length);
    const folded = results.filter((r) => r.outcome === 'storm');
    expect(folded.length).toBeGreaterThan(0);
    expect(new Set(folded.map((r) => r.remediationRequest?.name))).toEqual(new Set([aggregate?.metadata.name]));
  });

  it('pattern storm across distinct resources; the same resource repeated is one member', async () => {
    await post(Array.from({ length: 30 }, () => alert('pattern-ns', 'same-pod', 'Repeat')));
    expect(aggregates('pattern-ns')).toHaveLength(0);
    await post(Array.from({ length: 12 }, (_v, i) => alert('pattern-ns', `distinct-${i}`, 'Spread')));
    const [aggregate] = aggregates('pattern-ns');
    expect(aggregate?.spec.storm).toMatchObject({ key: 'pattern-ns/Spread', type: 'pattern' });
    expect(aggregate?.status?.storm?.memberCount).toBe(12);
  });

  it('same alertname in two namespaces → two storms; different alertnames → separate', async () => {
    for (const namespace of ['ns-a', 'ns-b']) await post(Array.from({ length: 25 }, (_v, i) => alert(namespace, `x${i}`, 'Twice')));
    await post(Array.from({ length: 25 }, (_v, i) => alert('ns-a', `y${i}`, 'Other')));
    expect(
      aggregates('ns-a')
        .map((rr) => rr.spec.storm?.key)
        .sort(),
    ).toEqual(['ns-a/Other', 'ns-a/Twice']);
    expect(aggregates('ns-b').map((rr) => rr.spec.storm?.key)).toEqual(['ns-b/Twice']);
  });

  it('the threshold crossed by 20 parallel requests → one aggregate', async () => {
    await Promise.all(Array.from({ length: 20 }, (_v, i) => post([alert('parallel-ns', `par-${i}`), alert('parallel-ns', `par-${i + 20}`)])));
    expect(aggregates('parallel-ns')).toHaveLength(1);
  });

  it('late members appear on the aggregate; resolutions of members are counted', async () => {
    await post(Array.from({ length: 20 }, (_v, i) => alert('late-ns', `early-${i}`)));
    const before = aggregates('late-ns')[0];
    expect(before?.status?.storm?.memberCount).toBe(20);
    const results = await post([alert('late-ns', 'late-1'), alert('late-ns', 'late-2')]);
    expect(results.map((r) => r.outcome)).toEqual(['storm', 'storm']);
    await post([alert('late-ns', 'late-1', 'PodCrash', 'resolved')]);
    // One more firing carries the latest counts to the (coalesced, file) aggregate.
    await post([alert('late-ns', 'late-3')]);
    const after = aggregates('late-ns')[0];
    expect(after?.metadata.name).toBe(before?.metadata.name);
    expect(after?.status?.storm?.memberCount).toBe(23);
    expect(after?.status?.storm?.members).toEqual(expect.arrayContaining(['pod/late-1', 'pod/late-2', 'pod/late-3']));
    expect(after?.status?.storm?.resolved).toBe(1);
  });

  it('an inactive storm closes: its aggregate is resolved at its end, and the next storm of the key gets a new one', async () => {
    const postedAt = Date.now();
    await post(Array.from({ length: 20 }, (_v, i) => alert('idle-ns', `i${i}`)));
    const [first] = aggregates('idle-ns');
    const endsAt = Date.parse(first?.status?.storm?.endsAt ?? '');
    // The last alert + the key's inactivity (1500 ms).
    expect(endsAt).toBeGreaterThanOrEqual(postedAt + 1_500);
    expect(endsAt).toBeLessThanOrEqual(Date.now() + 1_500);
    expect(first?.status?.resolvedAt).toBeUndefined();
    // Nothing arrives: the crd-writer resolves the aggregate once the end has passed.
    const ended = await eventually(
      'the aggregate resolved at its end',
      () => {
        const aggregate = aggregates('idle-ns')[0];
        return aggregate?.status?.resolvedAt ? aggregate : undefined;
      },
      8_000,
      200,
    );
    expect(ended.status).toMatchObject({
      resolvedAt: first?.status?.storm?.endsAt,
      alertState: 'Resolved',
      storm: { endedAt: first?.status?.storm?.endsAt, memberCount: 20 },
    });
    await post(Array.from({ length: 20 }, (_v, i) => alert('idle-ns', `j${i}`)));
    const both = aggregates('idle-ns');
    expect(both).toHaveLength(2);
    expect(both.filter((rr) => rr.status?.resolvedAt === undefined).map((rr) => rr.metadata.name)).not.toContain(first?.metadata.name);
    expect(both.filter((rr) => rr.status?.resolvedAt === undefined)).toHaveLength(1);
  });

  it('a storm ends at its maximum duration even while alerts keep coming', async () => {
    await post(Array.from({ length: 20 }, (_v, i) => alert('capped-ns', `c${i}`)));
    for (let round = 0; round < 6; round++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await post(Array.from({ length: 20 }, (_v, i) => alert('capped-ns', `r${round}-${i}`)));
    }
    expect(aggregates('capped-ns').length).toBeGreaterThanOrEqual(2);
  });
});

describe('the member cap is honoured and overflow counted', () => {
  let fixture: PipelineFixture;
  beforeAll(async () => {
    fixture = await PipelineFixture.start('stormcap', { serviceEnv: { storm: { STORM_RATE_THRESHOLD: '10', STORM_MEMBER_CAP: '8' } } });
  });
  afterAll(() => fixture?.close());

  it('lists at most the cap and counts the rest', async () => {
    const response = await fixture.postAlerts(
      amWebhook(Array.from({ length: 30 }, (_v, i) => amAlert({ alertname: 'Capped', namespace: 'cap', pod: `m${i}` }))),
    );
    expect(response.status).toBe(200);
    const [aggregate] = fixture.resources().filter((rr) => rr.metadata.labels['remediation.alertgate.io/storm'] === 'true');
    expect(aggregate?.status?.storm?.memberCount).toBe(8);
    expect(aggregate?.status?.storm?.overflow).toBe(22);
    expect(aggregate?.status?.occurrences).toBe(30);
  });
});

describe('storm keys with an extra label (STORM_KEY_LABELS=namespace,alertname,service)', () => {
  let fixture: PipelineFixture;
  beforeAll(async () => {
    fixture = await PipelineFixture.start('stormkeys', {
      serviceEnv: { storm: { STORM_RATE_THRESHOLD: '10', STORM_KEY_LABELS: 'namespace,alertname,service' } },
    });
  });
  afterAll(() => fixture?.close());

  // After the first answer the gateway sends storm only the service label (the key's); the keys
  // must come out the same as with every label.
  it('splits storms by service, and keeps doing so once the gateway sends only the key labels', async () => {
    const post = async (service: string, from: number, count: number): Promise<Result[]> => {
      const response = await fixture.postAlerts(
        amWebhook(Array.from({ length: count }, (_v, i) => amAlert({ alertname: 'SvcDown', namespace: 'svc-ns', service, pod: `${service}-${from + i}` }))),
      );
      expect(response.status).toBe(200);
      return response.json['results'] as Result[];
    };
    await post('api', 0, 5);
    await post('web', 0, 5);
    const api = await post('api', 5, 10);
    const web = await post('web', 5, 4);
    expect(api.filter((r) => r.outcome === 'storm').length).toBeGreaterThan(0);
    expect(web.every((r) => r.outcome === 'created')).toBe(true);
    const aggregates = fixture.resources().filter((rr) => rr.metadata.labels['remediation.alertgate.io/storm'] === 'true');
    expect(aggregates).toHaveLength(1);
    expect(aggregates[0]?.spec.labels).toEqual({ namespace: 'svc-ns', alertname: 'SvcDown', service: 'api' });
    expect(aggregates[0]?.spec.storm?.key).toBe('svc-ns/SvcDown/api');
  });
});
