import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { DEDUP_DEFAULTS, DedupStore } from '@alertgate/dedup';
import { RedisServer } from '@alertgate/local-env';
import { KeySchema, NO_REPLICA_WAIT } from '@alertgate/redis';
import { Redis } from 'ioredis';
import { amAlert, amWebhook, kubectl, testKube, testNamespace, warningEvent } from '@alertgate/testing';

import { listRemediationRequests } from './support/kube-resources.js';
import { eventually, eventuallyHolds } from './support/eventually.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  fingerprint: string;
  outcome: string;
  occurrences?: number;
  remediationRequest?: { namespace: string; name: string };
}

const FLUSH_MS = 1_000;
/** The repeats of an open incident: one status write per this interval per resource. */
const REPEAT_MS = 2_000;

/** The RemediationRequest lifecycle on a real kube-apiserver (issue: Kubernetes for real). */
describe('RemediationRequests on a real API server', () => {
  let redis: RedisServer;
  let fixture: PipelineFixture;
  let ns: string;
  let fallback: string;

  beforeAll(async () => {
    // Own Redis: one test flushes it, as a Redis restart without persistence would.
    redis = await new RedisServer({ maxmemory: '32mb' }).start();
    [ns, fallback] = await Promise.all([testNamespace('rr-life'), testNamespace('rr-fallback')]);
    fixture = await PipelineFixture.start('kube', {
      redisUrl: redis.url,
      // Storm folding off: these tests count writes to individual resources (storms: storm.e2e).
      // Limits out of the way: one test loads the crd-writer with new incidents (limits: ratelimit.e2e).
      // Flap damping and the cooldown after Completed off: these tests count resources per
      // incident (flap damping and the cooldown: their suites below).
      serviceEnv: {
        'crd-writer': {
          KUBECONFIG: testKube().kubeconfig,
          FALLBACK_NAMESPACE: fallback,
          STATUS_FLUSH_INTERVAL: `${FLUSH_MS}ms`,
          STATUS_REPEAT_INTERVAL: `${REPEAT_MS}ms`,
          FLAP_HOLD_TIME: '0',
          COMPLETED_COOLDOWN: '0',
        },
        'ingest-gateway': { STORM: 'off' },
        ratelimit: {
          SOURCE_RATE_PER_SECOND: '1000000',
          SOURCE_BURST: '1000000',
          NAMESPACE_CREATIONS_PER_MINUTE: '1000000',
          NAMESPACE_CREATIONS_BURST: '1000000',
        },
      },
    });
  });
  afterAll(async () => {
    await fixture?.close();
    await redis?.dispose();
  });

  const alert = (labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing') => amAlert({ namespace: ns, ...labels }, status);
  const post = (...alerts: Record<string, unknown>[]): Promise<Result[]> => postAccepted(fixture, alerts);

  it('the CRD schema is enforced by the server: invalid objects and spec changes are rejected', async () => {
    const bad = {
      apiVersion: 'remediation.alertgate.io/v1alpha1',
      kind: 'RemediationRequest',
      metadata: { name: 'invalid', namespace: ns },
      spec: { fingerprint: 'not-hex', incidentId: 'x', alertname: '', namespace: ns, source: 'pager', targetResource: { kind: 'pod', name: 'p' } },
    };
    await expect(kubectl(['create', '-f', '-'], { input: JSON.stringify(bad) })).rejects.toThrow(/spec.fingerprint|spec.source|Invalid value/);

    const [created] = await post(alert({ alertname: 'SchemaCheck', pod: 's' }));
    const name = created?.remediationRequest?.name ?? '';
    await expect(kubectl(['patch', 'rr', name, '-n', ns, '--type=merge', '-p', '{"spec":{"severity":"none"}}'])).rejects.toThrow(/spec is immutable/);
  });

  it('creates one resource, counts duplicates on its status, and records the resolution', async () => {
    const labels = { alertname: 'Lifecycle', pod: 'web-1' };
    const [created] = await post(alert(labels));
    expect(created).toMatchObject({ outcome: 'created', remediationRequest: { namespace: ns } });
    const [duplicate] = await post(alert(labels));
    expect(duplicate).toMatchObject({ outcome: 'duplicate', occurrences: 2, remediationRequest: created?.remediationRequest });
    const rr = await eventually('occurrences 2 on the status', async () => {
      const found = (await listRemediationRequests(ns)).find((item) => item.spec.alertname === 'Lifecycle');
      return found?.status?.occurrences === 2 ? found : undefined;
    });
    expect(rr.status).toMatchObject({ phase: 'Pending', alertState: 'Firing' });
    expect(rr.metadata.labels['remediation.alertgate.io/fingerprint']).toHaveLength(32);

    const [resolved] = await post(alert(labels, 'resolved'));
    expect(resolved).toMatchObject({ outcome: 'resolved', remediationRequest: created?.remediationRequest });
    const after = (await listRemediationRequests(ns)).filter((item) => item.spec.alertname === 'Lifecycle');
    expect(after).toHaveLength(1);
    expect(after[0]?.status).toMatchObject({ alertState: 'Resolved', resolvedAt: '2026-11-26T10:30:00.000Z' });
  });

  it('after Redis loses its state, the next firing attaches to the open resource instead of creating a second', async () => {
    const labels = { alertname: 'RedisLost', pod: 'db-0' };
    const [created] = await post(alert(labels));
    await post(alert(labels));
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();

    const [afterFlush] = await post(alert(labels));
    expect(afterFlush).toMatchObject({ outcome: 'duplicate', remediationRequest: created?.remediationRequest });
    const [next] = await post(alert(labels));
    expect(next).toMatchObject({ outcome: 'duplicate', occurrences: 4, remediationRequest: created?.remediationRequest });
    const mine = await eventually('occurrences 4', async () => {
      const items = (await listRemediationRequests(ns)).filter((item) => item.spec.alertname === 'RedisLost');
      return items[0]?.status?.occurrences === 4 ? items : undefined;
    });
    expect(mine).toHaveLength(1);
  });

  /**
   * The crd-writer decides from what it just wrote, not only from its watch's cache, which lags
   * under load: a firing right after an acknowledged resolution opens a new resource (it was
   * counted on the resolved one), and a resolution right after the create finds it (it was
   * answered unmatched, and the next firing opened a second resource).
   */
  it('firing, resolved, firing again, 30 rounds back to back under load: each resolution on its resource, each firing a new one', async () => {
    const labels = { alertname: 'Flapping', pod: 'flap-1' };
    let loading = true;
    let background = 0;
    const load = (async () => {
      for (let round = 0; loading; round++) {
        await fixture.postAlerts(
          amWebhook(Array.from({ length: 20 }, (_v, i) => amAlert({ alertname: 'Background', namespace: fallback, pod: `bg-${round}-${i}` }))),
        );
        background += 1;
      }
    })();
    const names: string[] = [];
    try {
      for (let round = 0; round < 30; round++) {
        const [fired] = await post(alert(labels));
        expect(fired?.outcome).toBe('created');
        const name = fired?.remediationRequest?.name ?? '';
        expect(names).not.toContain(name);
        names.push(name);
        const [resolved] = await post(alert(labels, 'resolved'));
        expect(resolved).toMatchObject({ outcome: 'resolved', remediationRequest: { name } });
      }
    } finally {
      loading = false;
      await load;
    }
    process.stdout.write(`flapping: 30 rounds beside ${background} background webhooks of 20 new alerts\n`);
    const items = (await listRemediationRequests(ns)).filter((item) => item.spec.alertname === 'Flapping');
    expect(items.map((item) => item.metadata.name).sort()).toEqual([...names].sort());
    expect(items.filter((item) => item.status?.resolvedAt === undefined)).toEqual([]);
  }, 120_000);

  it('a terminal phase ends the incident: dedup forgets it by watch, the next firing creates a new resource that refers to it and counts the recurrences', async () => {
    const labels = { alertname: 'Remediated', pod: 'api-2' };
    const [first] = await post(alert(labels));
    const name = first?.remediationRequest?.name ?? '';
    // The remediation controller finishes: it sets the phase through the status subresource.
    await kubectl(['patch', 'rr', name, '-n', ns, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Completed"}}']);
    // The crd-writer's watch tells dedup to forget; the firing after that is a new incident.
    const second = await eventually('a new incident', async () => {
      const [result] = await post(alert(labels));
      return result?.outcome === 'created' ? result : undefined;
    });
    expect(second.remediationRequest?.name).not.toBe(name);
    // The new resource's first status follows its create within the flush interval.
    const phases = await eventually('the new resource Pending, the old one Completed', async () => {
      const items = (await listRemediationRequests(ns)).filter((item) => item.spec.alertname === 'Remediated');
      const found = items.map((item) => item.status?.phase ?? '').sort();
      return found.length === 2 && found[1] === 'Pending' ? found : undefined;
    });
    expect(phases).toEqual(['Completed', 'Pending']);
    // The new incident recurs after the finished one, and says so; a third counts on.
    const byName = async (wanted: string) => (await listRemediationRequests(ns)).find((item) => item.metadata.name === wanted);
    expect((await byName(second.remediationRequest?.name ?? ''))?.spec).toMatchObject({ previousRemediationRequestRef: { name }, recurrenceCount: 1 });
    await kubectl([
      'patch',
      'rr',
      second.remediationRequest?.name ?? '',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Failed"}}',
    ]);
    const third = await eventually('a third incident', async () => {
      const [result] = await post(alert(labels));
      return result?.outcome === 'created' ? result : undefined;
    });
    expect((await byName(third.remediationRequest?.name ?? ''))?.spec).toMatchObject({
      previousRemediationRequestRef: { name: second.remediationRequest?.name },
      recurrenceCount: 2,
    });
    expect((await byName(name))?.spec.previousRemediationRequestRef).toBeUndefined();
  });

  it('a firing for an ended resource whose watch event was missed still opens a new incident', async () => {
    const labels = { alertname: 'EndedUnseen', pod: 'q-1' };
    const [first] = await post(alert(labels));
    const name = first?.remediationRequest?.name ?? '';
    // Stop the crd-writer so that it cannot see the phase change, then bring it back.
    const writer = fixture.system!.services['crd-writer'];
    await writer.stop();
    await kubectl(['patch', 'rr', name, '-n', ns, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Failed"}}']);
    await writer.start();
    const [second] = await eventually('the writer back', async () => {
      const response = await fixture.postAlerts(amWebhook([alert(labels)]));
      return response.status === 200 ? (response.json['results'] as Result[]) : undefined;
    });
    expect(second).toMatchObject({ outcome: 'created' });
    expect(second?.remediationRequest?.name).not.toBe(name);
    const [third] = await post(alert(labels));
    expect(third).toMatchObject({ outcome: 'duplicate', remediationRequest: second?.remediationRequest });
  });

  it('ten concurrent webhooks of a new incident give one object (AlreadyExists is success)', async () => {
    const labels = { alertname: 'Concurrent', pod: 'c-1' };
    // Ten webhooks at once, as two Alertmanagers of an HA pair and their retries would send.
    const results = (await Promise.all(Array.from({ length: 10 }, () => post(alert(labels))))).flat();
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    expect(new Set(results.map((r) => r.remediationRequest?.name)).size).toBe(1);
    expect((await listRemediationRequests(ns)).filter((item) => item.spec.alertname === 'Concurrent')).toHaveLength(1);
  });

  it('1,000 duplicates cause a bounded number of status writes and lose no count', async () => {
    const labels = { alertname: 'Flood', pod: 'f-1' };
    const [created] = await post(alert(labels));
    const name = created?.remediationRequest?.name ?? '';
    // Every write to the object shows up as a new resourceVersion on a watch.
    const { kubectl: binary, kubeconfig } = testKube();
    const watch = spawn(binary, ['--kubeconfig', kubeconfig, 'get', 'rr', name, '-n', ns, '--watch-only', '-o', 'jsonpath={.metadata.resourceVersion}{"\\n"}']);
    const versions = new Set<string>();
    createInterface({ input: watch.stdout }).on('line', (line) => versions.add(line.trim()));
    await new Promise((resolve) => setTimeout(resolve, 500));

    const started = Date.now();
    // 20 webhooks of 50 over about three seconds.
    for (let round = 0; round < 20; round++) {
      await post(...Array.from({ length: 50 }, () => alert(labels)));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const seconds = (Date.now() - started) / 1000;
    const final = await eventually('all 1,001 occurrences on the status', async () => {
      const found = (await listRemediationRequests(ns)).find((item) => item.metadata.name === name);
      return found?.status?.occurrences === 1001 ? found : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, FLUSH_MS + 500));
    watch.kill();
    const writes = versions.size;
    process.stdout.write(`status writes for 1,000 duplicates over ${seconds.toFixed(2)} s (repeats every ${REPEAT_MS} ms): ${writes}\n`);
    expect(final.status?.occurrences).toBe(1001);
    // At most one write per repeat interval, plus the first status and the interval in flight
    // when the flood ended.
    expect(writes).toBeLessThanOrEqual(Math.ceil((seconds * 1000) / REPEAT_MS) + 2);
    expect(writes).toBeGreaterThanOrEqual(1);
  });

  it('an alert whose namespace does not exist goes to the fallback namespace with its origin recorded', async () => {
    const [result] = await post(amAlert({ alertname: 'Homeless', namespace: 'no-such-namespace-x1', pod: 'h' }));
    expect(result).toMatchObject({ outcome: 'created', remediationRequest: { namespace: fallback } });
    const [rr] = (await listRemediationRequests(fallback)).filter((item) => item.spec.alertname === 'Homeless');
    expect(rr?.metadata.labels['remediation.alertgate.io/origin-namespace']).toBe('no-such-namespace-x1');
    expect(rr?.spec.originNamespace).toBe('no-such-namespace-x1');
    const [again] = await post(amAlert({ alertname: 'Homeless', namespace: 'no-such-namespace-x1', pod: 'h' }));
    expect(again).toMatchObject({ outcome: 'duplicate', remediationRequest: result?.remediationRequest });
  });
});

describe('flap damping on a real API server (FLAP_HOLD_TIME at its default)', () => {
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('rr-flap');
    fixture = await PipelineFixture.start('kubeflap', {
      serviceEnv: {
        'crd-writer': { KUBECONFIG: testKube().kubeconfig, STATUS_FLUSH_INTERVAL: `${FLUSH_MS}ms` },
        'ingest-gateway': { STORM: 'off' },
        ratelimit: {
          SOURCE_RATE_PER_SECOND: '1000000',
          SOURCE_BURST: '1000000',
          NAMESPACE_CREATIONS_PER_MINUTE: '1000000',
          NAMESPACE_CREATIONS_BURST: '1000000',
        },
      },
    });
  });
  afterAll(() => fixture?.close());

  const post = (...alerts: Record<string, unknown>[]): Promise<Result[]> => postAccepted(fixture, alerts);

  it('firing, resolved, firing again, 20 rounds under load: one resource, reopened each time and counted, every repeat and resolution on it', async () => {
    const labels = { alertname: 'Flapping', namespace: ns, pod: 'flap-1' };
    let loading = true;
    const load = (async () => {
      for (let round = 0; loading; round++) {
        await fixture.postAlerts(
          amWebhook(Array.from({ length: 20 }, (_v, i) => amAlert({ alertname: 'Background', namespace: ns, pod: `bg-${round}-${i}` }))),
        );
      }
    })();
    let name = '';
    try {
      const [fired] = await post(amAlert(labels));
      expect(fired?.outcome).toBe('created');
      name = fired?.remediationRequest?.name ?? '';
      for (let round = 1; round <= 20; round++) {
        const [resolved] = await post(amAlert(labels, 'resolved'));
        expect({ round, resolved }).toMatchObject({ round, resolved: { outcome: 'resolved', remediationRequest: { name } } });
        const [again] = await post(amAlert(labels));
        expect({ round, again }).toMatchObject({ round, again: { outcome: 'reopened', remediationRequest: { name } } });
        // dedup adopted the reopened incident: a repeat lands on the same resource.
        const [repeat] = await post(amAlert(labels));
        expect({ round, repeat }).toMatchObject({ round, repeat: { outcome: 'duplicate', remediationRequest: { name } } });
      }
    } finally {
      loading = false;
      await load;
    }
    const items = (await listRemediationRequests(ns)).filter((item) => item.spec.alertname === 'Flapping');
    expect(items.map((item) => item.metadata.name)).toEqual([name]);
    const flapped = await eventually('the last repeat flushed', async () => {
      const item = (await listRemediationRequests(ns)).find((found) => found.metadata.name === name);
      return item?.status?.occurrences === 41 ? item : undefined;
    });
    expect(flapped.status).toMatchObject({ reopenCount: 20, alertState: 'Firing', occurrences: 41 });
    expect(flapped.status?.resolvedAt).toBeUndefined();
  }, 120_000);

  it('a resolved incident a controller finished is not reopened: its next firing opens a new resource', async () => {
    const labels = { alertname: 'FlapDone', namespace: ns, pod: 'done-1' };
    const [first] = await post(amAlert(labels));
    const name = first?.remediationRequest?.name ?? '';
    expect((await post(amAlert(labels, 'resolved')))[0]?.outcome).toBe('resolved');
    // Failed: a Completed one would be in its cooldown (its suite below).
    await kubectl(['patch', 'rr', name, '-n', ns, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Failed"}}']);
    const [next] = await post(amAlert(labels));
    expect(next?.outcome).toBe('created');
    expect(next?.remediationRequest?.name).not.toBe(name);
  });
});

/** Posts one webhook of `alerts`, which must be answered 200, and returns its per-alert results. */
async function postAccepted(fixture: PipelineFixture, alerts: Record<string, unknown>[]): Promise<Result[]> {
  const response = await fixture.postAlerts(amWebhook(alerts));
  expect(response.status).toBe(200);
  return response.json['results'] as Result[];
}

/**
 * Marks a resource Completed as a controller would, and returns its completedAt once the
 * fixture's own crd-writer has seen the phase (it logs that the incident ended once its watch
 * delivered it). The other suites' crd-writers watch the same API server, and one of them may
 * record completedAt before this one's watch has caught up, as another replica would.
 */
async function complete(fixture: PipelineFixture, namespace: string, name: string): Promise<string> {
  await kubectl(['patch', 'rr', name, '-n', namespace, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Completed"}}']);
  const completedAt = await eventually(
    'the completion recorded',
    async () => (await listRemediationRequests(namespace)).find((item) => item.metadata.name === name)?.status?.completedAt,
  );
  const writer = fixture.system?.services['crd-writer'];
  await eventuallyHolds(
    `the crd-writer's watch seeing ${namespace}/${name} completed`,
    () => writer?.logs.some((line) => line.includes('incident ended') && line.includes(`"${namespace}/${name}"`)) ?? false,
  );
  return completedAt;
}

describe('the cooldown after Completed (COMPLETED_COOLDOWN at its default), on a real API server', () => {
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('rr-cooldown');
    fixture = await PipelineFixture.start('kubecooldown', {
      serviceEnv: { 'crd-writer': { KUBECONFIG: testKube().kubeconfig, STATUS_FLUSH_INTERVAL: `${FLUSH_MS}ms` }, 'ingest-gateway': { STORM: 'off' } },
    });
  });
  afterAll(() => fixture?.close());

  const post = (...alerts: Record<string, unknown>[]): Promise<Result[]> => postAccepted(fixture, alerts);

  it('firings right after a remediation completed are counted on the completed resource, not a new incident', async () => {
    const labels = { alertname: 'JustFixed', namespace: ns, pod: 'fixed-1' };
    const [first] = await post(amAlert(labels));
    const name = first?.remediationRequest?.name ?? '';
    // The crd-writer records when it saw it, and the cooldown counts from then.
    await complete(fixture, ns, name);
    for (let firing = 0; firing < 3; firing++) expect(await post(amAlert(labels))).toMatchObject([{ outcome: 'duplicate', remediationRequest: { name } }]);
    const items = (await listRemediationRequests(ns)).filter((item) => item.spec.alertname === 'JustFixed');
    expect(items.map((item) => item.metadata.name)).toEqual([name]);
    expect(items[0]?.status).toMatchObject({ phase: 'Completed', firingsAfterCompletion: 3 });
  });
});

describe('past the cooldown after Completed (COMPLETED_COOLDOWN 2s), on a real API server', () => {
  const COOLDOWN_MS = 2_000;
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('rr-cooled');
    fixture = await PipelineFixture.start('kubecooled', {
      serviceEnv: {
        'crd-writer': { KUBECONFIG: testKube().kubeconfig, STATUS_FLUSH_INTERVAL: `${FLUSH_MS}ms`, COMPLETED_COOLDOWN: `${COOLDOWN_MS}ms` },
        'ingest-gateway': { STORM: 'off' },
      },
    });
  });
  afterAll(() => fixture?.close());

  it('an alert still firing once the cooldown has passed opens a new incident that refers to the completed one', async () => {
    // The same alert, its startsAt from before the fix: it kept firing through it.
    const labels = { alertname: 'FixDidNotHold', namespace: ns, pod: 'held-1' };
    const name = (await postAccepted(fixture, [amAlert(labels)]))[0]?.remediationRequest?.name ?? '';
    const completedAt = await complete(fixture, ns, name);
    const left = Date.parse(completedAt) + COOLDOWN_MS - Date.now();
    if (left >= 0) await new Promise((resolve) => setTimeout(resolve, left + 1));
    const [result] = await postAccepted(fixture, [amAlert(labels)]);
    expect(result?.outcome).toBe('created');
    expect(result?.remediationRequest?.name).not.toBe(name);
    const items = (await listRemediationRequests(ns)).filter((item) => item.spec.alertname === 'FixDidNotHold');
    expect(items.find((item) => item.metadata.name === name)?.status?.firingsAfterCompletion).toBeUndefined();
    expect(items.find((item) => item.metadata.name !== name)?.spec.previousRemediationRequestRef).toMatchObject({ name });
  });
});

describe('Warning-event incidents resolved when quiet (EVENT_QUIET_TIME), on a real API server', () => {
  const QUIET_S = 2;
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('rr-quiet');
    fixture = await PipelineFixture.start('kubequiet', {
      serviceEnv: {
        'crd-writer': { KUBECONFIG: testKube().kubeconfig, EVENT_QUIET_TIME: `${QUIET_S}s`, STORM_END_INTERVAL: '200ms', STATUS_FLUSH_INTERVAL: '200ms' },
        'ingest-gateway': { STORM: 'off', EVENT_OWNER_RESOLUTION: 'off' },
      },
    });
  });
  afterAll(() => fixture?.close());

  const warning = (pod: string) => warningEvent({ namespace: ns, pod });

  it('an event incident with no event for the quiet time is resolved with the reason, an alert is not; the next event opens a new incident', async () => {
    const [alertOpened] = (await fixture.postAlerts(amWebhook([amAlert({ alertname: 'StillFiring', namespace: ns, pod: 'a-1' })]))).json['results'] as Result[];
    expect(alertOpened?.outcome).toBe('created');
    const [opened] = (await fixture.post('/api/v1/signals/kubernetes-event', warning('web-1'))).json['results'] as Result[];
    expect(opened?.outcome).toBe('created');
    const closed = await eventually('the quiet event incident resolved', async () => {
      const found = (await listRemediationRequests(ns)).find((item) => item.metadata.name === opened?.remediationRequest?.name);
      return found?.status?.resolvedAt ? found : undefined;
    });
    expect(closed.status).toMatchObject({ alertState: 'Resolved', closedReason: 'EventsQuiet' });
    expect(Date.parse(closed.status?.resolvedAt ?? '')).toBe(Date.parse(closed.status?.lastSeen ?? '') + QUIET_S * 1000);
    // Older than the event's resource, and firing all along: alerts resolve from Alertmanager only.
    const alert = (await listRemediationRequests(ns)).find((item) => item.metadata.name === alertOpened?.remediationRequest?.name);
    expect(alert?.status?.resolvedAt).toBeUndefined();
    const [next] = (await fixture.post('/api/v1/signals/kubernetes-event', warning('web-1'))).json['results'] as Result[];
    expect(next?.outcome).toBe('created');
    expect(next?.remediationRequest?.name).not.toBe(opened?.remediationRequest?.name);
  });
});

describe('the dedup window on a real API server', () => {
  const WINDOW_S = 2;
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('rr-window');
    const window = { DEDUP_WINDOW: `${WINDOW_S}s` };
    fixture = await PipelineFixture.start('kubewindow', {
      serviceEnv: {
        dedup: window,
        'crd-writer': { ...window, KUBECONFIG: testKube().kubeconfig, STATUS_FLUSH_INTERVAL: '200ms' },
        'ingest-gateway': { STORM: 'off' },
      },
    });
  });
  afterAll(() => fixture?.close());

  it('a firing after the window opens a new incident: the old resource is closed with the reason, not adopted', async () => {
    const body = amWebhook([amAlert({ alertname: 'Sporadic', namespace: ns, pod: 'w-1' })]);
    const first = await fixture.postAlerts(body);
    const [opened] = first.json['results'] as Result[];
    expect(opened?.outcome).toBe('created');
    // Longer than the window since the last sighting (a lower bound: a slower machine waits longer).
    await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000 + 1_500));
    const again = await fixture.postAlerts(body);
    const [next] = again.json['results'] as Result[];
    expect(next?.outcome).toBe('created');
    expect(next?.remediationRequest?.name).not.toBe(opened?.remediationRequest?.name);
    const old = await eventually('the old resource closed', async () => {
      const found = (await listRemediationRequests(ns)).find((item) => item.metadata.name === opened?.remediationRequest?.name);
      return found?.status?.resolvedAt ? found : undefined;
    });
    expect(old.status).toMatchObject({ alertState: 'Resolved', closedReason: 'DedupWindowExpired' });
    expect(Date.parse(old.status?.resolvedAt ?? '')).toBe(Date.parse(old.status?.lastSeen ?? '') + WINDOW_S * 1000);
  });
});

describe('the Kubernetes API down', () => {
  let fixture: PipelineFixture;
  beforeAll(async () => {
    // A kubeconfig whose server does not answer: connection refused on every call.
    const dir = mkdtempSync(join(tmpdir(), 'alertgate-kube-down-'));
    const kubeconfig = join(dir, 'down.kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{ name: down, cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: true } }]\nusers: [{ name: u, user: { token: "t" } }]\ncontexts: [{ name: down, context: { cluster: down, user: u } }]\ncurrent-context: down\n',
    );
    fixture = await PipelineFixture.start('kubedown', { serviceEnv: { 'crd-writer': { KUBECONFIG: kubeconfig } } });
  });
  afterAll(() => fixture?.close());

  it('answers 503 with Retry-After (after capped retries), and the gateway is not ready', async () => {
    const response = await fixture.postAlerts(amWebhook([amAlert({ alertname: 'KubeDown', pod: 'k' })]));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(String(response.json['detail'])).toMatch(/Kubernetes API unreachable/);
    expect((await fetch(`${fixture.gatewayUrl}/readyz`)).status).toBe(503);
  });
});

describe('a kubeconfig that changes', () => {
  let fixture: PipelineFixture;
  let kubeconfig: string;
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('rr-reload');
    // First the API server "moved away" (nothing answers at the kubeconfig's address).
    kubeconfig = join(mkdtempSync(join(tmpdir(), 'alertgate-kube-reload-')), 'config');
    writeFileSync(kubeconfig, readFileSync(testKube().kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1'));
    fixture = await PipelineFixture.start('kubereload', { serviceEnv: { 'crd-writer': { KUBECONFIG: kubeconfig }, 'ingest-gateway': { STORM: 'off' } } });
  });
  afterAll(() => fixture?.close());

  it('is reread: after the file names the API server again, the crd-writer is ready and writes, without a restart', async () => {
    expect((await fetch(`${fixture.gatewayUrl}/readyz`)).status).toBe(503);
    writeFileSync(kubeconfig, readFileSync(testKube().kubeconfig, 'utf8'));
    await eventually('the gateway ready', async () => ((await fetch(`${fixture.gatewayUrl}/readyz`)).status === 200 ? true : undefined), 30_000);
    const answer = await fixture.postAlerts(amWebhook([amAlert({ alertname: 'Reloaded', namespace: ns, pod: 'r-1' })]));
    expect(answer.status).toBe(200);
    expect((answer.json['results'] as Result[])[0]?.outcome).toBe('created');
    expect((await listRemediationRequests(ns)).map((item) => item.spec.alertname)).toEqual(['Reloaded']);
  }, 60_000);
});

describe('a storm on a real API server', () => {
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('rr-storm');
    fixture = await PipelineFixture.start('kubestorm', {
      serviceEnv: {
        // The namespace's storms end 1.5 s after their last alert; the crd-writer looks often.
        storm: { STORM_RATE_THRESHOLD: '10', STORM_OVERRIDES: `${ns}=inactivity:1500ms` },
        'crd-writer': { KUBECONFIG: testKube().kubeconfig, STATUS_FLUSH_INTERVAL: '200ms', STORM_END_INTERVAL: '300ms' },
      },
    });
  });
  afterAll(() => fixture?.close());

  it('folds into one aggregate with the storm key labels, and resolves it once the storm is over', async () => {
    const sentAt = Date.now();
    const response = await fixture.deliverAlerts(
      amWebhook(Array.from({ length: 20 }, (_v, i) => amAlert({ alertname: 'KubeStorm', namespace: ns, pod: `s-${i}` }))),
    );
    expect(response.status).toBe(200);
    const aggregate = await eventually('the aggregate with its end time', async () => {
      const found = (await listRemediationRequests(ns)).find((item) => item.metadata.labels['remediation.alertgate.io/storm'] === 'true');
      return found?.status?.storm?.endsAt ? found : undefined;
    });
    expect(aggregate.spec.labels).toEqual({ namespace: ns, alertname: 'KubeStorm' });
    // The storm ends no sooner than its inactivity after its last alert (it may have ended by the
    // time this looks: the check is on the recorded times, not on how fast the test is).
    expect(Date.parse(aggregate.status?.storm?.endsAt ?? '')).toBeGreaterThanOrEqual(sentAt + 1_500);
    // No more alerts: resolved at the storm's end by the crd-writer, on the API server.
    const ended = await eventually(
      'the aggregate resolved',
      async () => {
        const found = (await listRemediationRequests(ns)).find((item) => item.metadata.name === aggregate.metadata.name);
        return found?.status?.resolvedAt ? found : undefined;
      },
      10_000,
    );
    expect(ended.status).toMatchObject({ alertState: 'Resolved', resolvedAt: ended.status?.storm?.endsAt, storm: { endedAt: ended.status?.storm?.endsAt } });
    expect(Date.parse(ended.status?.resolvedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(aggregate.status?.storm?.endsAt ?? ''));
  }, 90_000);
});

/**
 * Kubernetes is the truth for storm aggregates as for incidents, and what the crd-writer must not
 * lose is on the API server when the webhook is answered. Status flushes are a minute apart here,
 * so that nothing the tests check can have come from a flush.
 */
describe('storm aggregates through faults, on a real API server', () => {
  let redis: RedisServer;
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    redis = await new RedisServer({ maxmemory: '32mb' }).start();
    ns = await testNamespace('rr-storm-faults');
    fixture = await PipelineFixture.start('kubestormfaults', {
      redisUrl: redis.url,
      serviceEnv: {
        // A rate storm from a key's 10th alert within an hour of its first; no pattern storms.
        storm: { STORM_RATE_THRESHOLD: '10', STORM_PATTERN_THRESHOLD: '64', STORM_WINDOW: '1h' },
        'crd-writer': { KUBECONFIG: testKube().kubeconfig, STATUS_FLUSH_INTERVAL: '60s', STORM_END_INTERVAL: '0s' },
        ratelimit: { NAMESPACE_CREATIONS_PER_MINUTE: '1000000', NAMESPACE_CREATIONS_BURST: '1000000' },
      },
    });
  });
  afterAll(async () => {
    await fixture?.close();
    await redis?.dispose();
  });

  const pods = (alertname: string, from: number, count: number) =>
    Array.from({ length: count }, (_v, i) => amAlert({ alertname, namespace: ns, pod: `${alertname.toLowerCase()}-${from + i}` }));
  const post = async (alerts: Record<string, unknown>[]): Promise<Result[]> => {
    const response = await fixture.deliverAlerts(amWebhook(alerts));
    expect(response.status).toBe(200);
    return response.json['results'] as Result[];
  };
  const aggregatesOf = async (alertname: string) =>
    (await listRemediationRequests(ns)).filter(
      (item) => item.spec.alertname === alertname && item.metadata.labels['remediation.alertgate.io/storm'] === 'true',
    );

  /** What the webhooks' answers say was linked and folded is on the API server. */
  const expectLinked = async (results: readonly Result[]): Promise<void> => {
    const individual = results.filter((result) => result.outcome === 'created').map((result) => result.remediationRequest?.name ?? '');
    const folded = results.flatMap((result, i) => (result.outcome === 'storm' ? [`pod/linkstorm-${i}`] : []));
    // Below the threshold each alert is an incident of its own; from the 10th on they fold.
    expect(individual).toHaveLength(9);
    expect(folded).toHaveLength(6);

    const [aggregate, ...others] = await aggregatesOf('LinkStorm');
    expect(others).toEqual([]);
    expect([...(aggregate?.status?.storm?.linked ?? [])].sort()).toEqual([...individual].sort());
    expect([...(aggregate?.status?.storm?.members ?? [])].sort()).toEqual([...folded].sort());
    const incidents = (await listRemediationRequests(ns)).filter((item) => individual.includes(item.metadata.name));
    expect(incidents.map((item) => item.status?.stormRef)).toEqual(individual.map(() => aggregate?.metadata.name));
  };

  it('links and members are on the API server once the webhook is answered: a crd-writer SIGKILL right after loses none', async () => {
    const before = await post(pods('LinkStorm', 0, 9));
    const during = await post(pods('LinkStorm', 9, 6));
    const writer = fixture.system!.services['crd-writer'];
    await writer.kill();
    try {
      await expectLinked([...before, ...during]);
    } finally {
      await writer.start();
      // The gateway's channel reconnects within its backoff: answered 200 again before the next test.
      await eventually('the crd-writer answering again', async () =>
        (await fixture.postAlerts(amWebhook([amAlert({ alertname: 'AfterRestart', namespace: ns, pod: 'probe' })]))).status === 200 ? true : undefined,
      );
    }
  }, 90_000);

  it('after Redis loses its state mid-storm, the storm goes on folding into its open aggregate, not into a second one', async () => {
    const first = await post(pods('LostStorm', 0, 12));
    const [aggregate] = first.filter((result) => result.outcome === 'storm').map((result) => result.remediationRequest?.name);
    expect(aggregate).toBeDefined();
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();

    // Redis starts the storm afresh (a new start, so the storm service names a new aggregate).
    const second = await post(pods('LostStorm', 12, 12));
    const folded = second.filter((result) => result.outcome === 'storm');
    expect(folded.length).toBeGreaterThan(0);
    expect(new Set(folded.map((result) => result.remediationRequest?.name))).toEqual(new Set([aggregate]));
    expect((await aggregatesOf('LostStorm')).map((item) => item.metadata.name)).toEqual([aggregate]);
  }, 90_000);

  it('an aggregate in a terminal phase ends its storm: the storm goes on in a successor, the ended one is left as it is', async () => {
    const first = await post(pods('DoneStorm', 0, 12));
    const name = first.find((result) => result.outcome === 'storm')?.remediationRequest?.name ?? '';
    expect(name).not.toBe('');
    // The remediation controller finishes the aggregate through the status subresource.
    await kubectl(['patch', 'rr', name, '-n', ns, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Completed"}}']);
    // Once the crd-writer's watch has the phase, the storm's next alert goes to the successor.
    let next = 12;
    const successor = await eventually('an alert folded into a successor', async () => {
      const [result] = await post(pods('DoneStorm', next++, 1));
      return result?.outcome === 'storm' && result.remediationRequest?.name !== name ? result.remediationRequest?.name : undefined;
    });
    expect(successor).toBe(`${name}-2`);
    const completed = (await aggregatesOf('DoneStorm')).find((item) => item.metadata.name === name);
    const [again] = await post(pods('DoneStorm', next++, 1));
    expect(again).toMatchObject({ outcome: 'storm', remediationRequest: { name: successor } });
    const byName = new Map((await aggregatesOf('DoneStorm')).map((item) => [item.metadata.name, item]));
    expect([...byName.keys()].sort()).toEqual([name, successor].sort());
    expect(byName.get(name)?.status?.phase).toBe('Completed');
    expect(byName.get(name)?.status).toEqual(completed?.status);
    expect(byName.get(successor ?? '')?.status).toMatchObject({
      alertState: 'Firing',
      storm: { members: expect.arrayContaining([`pod/donestorm-${next - 1}`]) },
    });
    expect(byName.get(successor ?? '')?.status?.resolvedAt).toBeUndefined();
  }, 90_000);
});

describe('a resolution retried after the gateway and the crd-writer both died, on a real API server', () => {
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('rr-double-fault');
    fixture = await PipelineFixture.start('kubedouble', {
      serviceEnv: {
        // The longest flush: the repeats stay in the crd-writer's memory until it is killed.
        'crd-writer': { KUBECONFIG: testKube().kubeconfig, STATUS_FLUSH_INTERVAL: '60s', FLAP_HOLD_TIME: '0' },
        'ingest-gateway': { STORM: 'off' },
      },
    });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('resolves the resource with every acknowledged delivery counted', async () => {
    const labels = { alertname: 'DoubleFault', namespace: ns, pod: 'db-0' };
    const firings: (Result | undefined)[] = [];
    for (let i = 0; i < 5; i++) firings.push(((await fixture.postAlerts(amWebhook([amAlert(labels)]))).json['results'] as Result[])[0]);
    expect(firings.map((result) => result?.outcome)).toEqual(['created', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    const name = firings[0]?.remediationRequest?.name ?? '';
    const fingerprint = firings[0]?.fingerprint ?? '';

    // The crd-writer dies before its flush: the API server has the resource, but at most the
    // count of its creation.
    const writer = fixture.system!.services['crd-writer'];
    await writer.kill();
    const stored = async () => (await listRemediationRequests(ns)).find((item) => item.metadata.name === name);
    expect(await stored()).toBeDefined();
    expect((await stored())?.status?.occurrences ?? 0).toBeLessThanOrEqual(1);
    await writer.start();

    // The gateway dies after dedup decided the resolution and before it reached the crd-writer:
    // dedup's own call, made as the gateway makes it, with no write after it.
    const dedup = new DedupStore(fixture.redis.redis, new KeySchema(fixture.redis.prefix), DEDUP_DEFAULTS, NO_REPLICA_WAIT);
    expect((await dedup.checkBatch([{ fingerprint, resolved: true }]))[0]).toMatchObject({ outcome: 'resolved', incident: { occurrences: 5 } });

    // Alertmanager got no answer and sends the resolution again.
    const retried = await eventually('the retried resolution answered 200', async () => {
      const response = await fixture.postAlerts(amWebhook([amAlert(labels, 'resolved')], 'resolved'));
      return response.status === 200 ? (response.json['results'] as Result[])[0] : undefined;
    });
    expect(retried).toMatchObject({ outcome: 'resolved', remediationRequest: { name } });
    expect((await stored())?.status).toMatchObject({ alertState: 'Resolved', occurrences: 5 });
  }, 90_000);
});
