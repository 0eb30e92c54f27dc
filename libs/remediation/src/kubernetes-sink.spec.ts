import { createHash } from 'node:crypto';

import { createLogger } from '@alertgate/logging';
import { testSignal, testStorm } from '@alertgate/testing';

import { KubernetesSink, type KubernetesSinkOptions } from './kubernetes-sink.js';
import { resourceName, type RemediationRequest } from './remediation-request.js';

/** An API error as @kubernetes/client-node throws it: the HTTP status and the Status body. */
function apiError(code: number, reason: string, kind?: string): Error {
  return Object.assign(new Error(`HTTP ${code} ${reason}`), { code, body: JSON.stringify({ kind: 'Status', reason, ...(kind ? { details: { kind } } : {}) }) });
}

/**
 * RemediationRequests in memory, with what of the API server the sink relies on: namespaces that
 * may not exist, AlreadyExists, status ignored on create, resourceVersion preconditions on status
 * writes (409 when stale), merge patches of the status, label selectors, and failures injected.
 */
class FakeObjects {
  readonly objects = new Map<string, RemediationRequest>();
  readonly namespaces = new Set(['shop', 'alertgate']);
  readonly calls: string[] = [];
  /** The next calls of these operations fail with these errors, in order. */
  readonly failures = new Map<string, Error[]>();
  private version = 0;

  readonly api = {
    getNamespacedCustomObject: ({ namespace, name }: { namespace: string; name: string }) => this.answer('get', () => this.copy(this.found(namespace, name))),
    listNamespacedCustomObject: ({ namespace, labelSelector }: { namespace: string; labelSelector?: string }) =>
      this.answer('list', () => ({ items: this.select(labelSelector).filter((item) => item.metadata.namespace === namespace) })),
    listClusterCustomObject: ({ labelSelector }: { labelSelector?: string }) => this.answer('list', () => ({ items: this.select(labelSelector) })),
    createNamespacedCustomObject: ({ namespace, body }: { namespace: string; body: RemediationRequest }) =>
      this.answer('create', () => {
        if (!this.namespaces.has(namespace)) throw apiError(404, 'NotFound', 'namespaces');
        if (this.objects.has(`${namespace}/${body.metadata.name}`)) throw apiError(409, 'AlreadyExists');
        const { status: _ignored, ...object } = structuredClone(body);
        return this.store({ ...object, metadata: { ...object.metadata, namespace, creationTimestamp: new Date().toISOString() } });
      }),
    patchNamespacedCustomObjectStatus: ({
      namespace,
      name,
      body,
    }: {
      namespace: string;
      name: string;
      body: { metadata?: { resourceVersion?: string }; status: object };
    }) =>
      this.answer('patch', () => {
        const current = this.found(namespace, name);
        const precondition = body.metadata?.resourceVersion;
        if (precondition !== undefined && precondition !== current.metadata.resourceVersion) throw apiError(409, 'Conflict');
        return this.store({ ...current, status: mergePatch(current.status ?? {}, body.status) });
      }),
  };

  /** Someone else writes the status (a controller, another replica): the resourceVersion moves on. */
  externalStatus(namespace: string, name: string, status: object): void {
    const current = this.found(namespace, name);
    this.store({ ...current, status: mergePatch(current.status ?? {}, status) });
  }

  private store(object: RemediationRequest): RemediationRequest {
    this.version += 1;
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(this.version) } };
    this.objects.set(`${stored.metadata.namespace}/${stored.metadata.name}`, stored);
    return this.copy(stored);
  }

  private found(namespace: string, name: string): RemediationRequest {
    const object = this.objects.get(`${namespace}/${name}`);
    if (!object) throw apiError(404, 'NotFound');
    return object;
  }

  private select(selector = ''): RemediationRequest[] {
    const wanted = selector
      .split(',')
      .filter(Boolean)
      .map((term) => term.split('='));
    return [...this.objects.values()]
      .filter((item) => wanted.every(([key, value]) => item.metadata.labels[key ?? ''] === value))
      .map((item) => this.copy(item));
  }

  private copy<T>(value: T): T {
    return structuredClone(value);
  }

  private answer<T>(operation: string, work: () => T): Promise<T> {
    this.calls.push(operation);
    const failure = this.failures.get(operation)?.shift();
    if (failure) return Promise.reject(failure);
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** RFC 7386: objects merge, null deletes, everything else replaces. */
function mergePatch(target: object, patch: object): object {
  const result = new Map<string, unknown>(Object.entries(target));
  for (const [key, value] of Object.entries(patch)) {
    const current = result.get(key);
    if (value === null) result.delete(key);
    else if (typeof value === 'object' && !Array.isArray(value) && typeof current === 'object' && current !== null) result.set(key, mergePatch(current, value));
    else result.set(key, value);
  }
  return Object.fromEntries(result);
}

const fingerprint = createHash('sha256').update('kubernetes-sink').digest('hex');
const signal = testSignal({ fingerprint, alertname: 'DiskFull', severity: 'critical', namespace: 'shop', labels: { alertname: 'DiskFull' } });
const incident = (occurrences: number, id = `${fingerprint.slice(0, 12)}-abc`) => ({
  signal,
  incidentId: id,
  firstSeenMs: 1_000,
  lastSeenMs: 1_000 + occurrences,
  occurrences,
});

function sinkOn(
  fake: FakeObjects,
  instance?: string,
  windows: Partial<Pick<KubernetesSinkOptions, 'dedupWindowMs' | 'completedCooldownMs'>> = {},
): KubernetesSink {
  return new KubernetesSink({
    ...windows,
    instance,
    access: { inCluster: true },
    objects: fake.api,
    fallbackNamespace: 'alertgate',
    statusFlushMs: 60_000,
    statusRepeatMs: 300_000,
    flapHoldMs: 0,
    eventQuietMs: 0,
    logger: createLogger({ service: 'sink-test', level: 'silent' }),
    dedupWindowMs: windows.dedupWindowMs ?? 5 * 3_600_000,
    completedCooldownMs: windows.completedCooldownMs ?? 0,
  });
}

describe('KubernetesSink on a fake API server', () => {
  let fake: FakeObjects;
  let sink: KubernetesSink;
  beforeEach(() => {
    fake = new FakeObjects();
    sink = sinkOn(fake);
  });
  afterEach(() => sink.close());

  const stored = (): RemediationRequest[] => [...fake.objects.values()];

  it("records a workload incident's pods on its status: each pod once, with dedup's count", async () => {
    const ofPod = (pod: string, occurrences: number, pods: number) => ({
      ...incident(occurrences),
      signal: { ...signal, target: { kind: 'deployment', name: 'web' }, pod },
      pods,
    });
    await sink.open(ofPod('web-1', 1, 1));
    await sink.open(ofPod('web-2', 2, 2));
    await sink.open(ofPod('web-1', 3, 2));
    await sink.close();
    expect(stored()[0]?.status?.affectedPods).toEqual({ count: 2, names: ['web-1', 'web-2'], overflow: 0 });
  });

  it('creates one resource per incident under its deterministic name, and its status follows with the flush', async () => {
    const opened = await sink.open(incident(1));
    const name = resourceName('DiskFull', `${fingerprint.slice(0, 12)}-abc`);
    expect(opened).toEqual({ created: true, ref: { namespace: 'shop', name } });
    expect(stored().map((item) => [item.metadata.namespace, item.metadata.name, item.status])).toEqual([['shop', name, undefined]]);
    const repeat = await sink.open(incident(3));
    expect(repeat).toEqual({ created: false, ref: { namespace: 'shop', name } });
    await sink.close();
    expect(stored()).toHaveLength(1);
    expect(stored()[0]?.status).toMatchObject({ occurrences: 3, alertState: 'Firing' });
  });

  it('takes AlreadyExists (another replica created it) as the resource, without a second one', async () => {
    await sinkOn(fake).open(incident(1));
    const opened = await sink.open(incident(2));
    expect(opened.created).toBe(false);
    expect(stored()).toHaveLength(1);
  });

  it('writes into the fallback namespace when the alert names a namespace that does not exist, and resolves it there', async () => {
    const elsewhere = { ...incident(1), signal: { ...signal, namespace: 'gone' } };
    const opened = await sink.open(elsewhere);
    expect(opened.ref.namespace).toBe('alertgate');
    expect(stored().map((item) => item.metadata.namespace)).toEqual(['alertgate']);
    const resolved = await sink.resolve({ signal: elsewhere.signal, incidentId: elsewhere.incidentId, resolvedAtMs: 5_000, occurrences: 1, lastSeenMs: 1_001 });
    expect(resolved.ref).toEqual(opened.ref);
    expect(stored()[0]?.status).toMatchObject({ alertState: 'Resolved', resolvedAt: new Date(5_000).toISOString() });
  });

  it('retries a 503 on create and creates once', async () => {
    fake.failures.set('create', [apiError(503, 'ServiceUnavailable'), apiError(503, 'ServiceUnavailable')]);
    const opened = await sink.open(incident(1));
    expect(opened.created).toBe(true);
    expect(fake.calls.filter((call) => call === 'create')).toHaveLength(3);
    expect(stored()).toHaveLength(1);
  });

  it('writes a status over a newer one someone else wrote (409) from a fresh read, losing neither', async () => {
    const { ref } = await sink.open(incident(1));
    fake.externalStatus(ref.namespace, ref.name, { phase: 'Processing' });
    await sink.open(incident(4));
    await sink.close();
    expect(fake.calls).toContain('get');
    expect(stored()[0]?.status).toMatchObject({ phase: 'Processing', occurrences: 4 });
  });

  it('adopts an open resource of the fingerprint that Redis forgot, counting on from its status', async () => {
    const { ref } = await sink.open(incident(1));
    fake.externalStatus(ref.namespace, ref.name, { occurrences: 7, firstSeen: new Date(1_000).toISOString(), lastSeen: new Date().toISOString() });
    const fresh = sinkOn(fake);
    const adopted = await fresh.open(incident(1, `${fingerprint.slice(0, 12)}-new`));
    await fresh.close();
    expect(adopted).toMatchObject({ created: false, ref, adopted: { incidentId: `${fingerprint.slice(0, 12)}-abc`, occurrences: 8 } });
    expect(stored()).toHaveLength(1);
  });

  it('opens a new resource, naming the finished one, when the incident fires after its remediation completed', async () => {
    const { ref } = await sink.open(incident(1));
    fake.externalStatus(ref.namespace, ref.name, { phase: 'Completed' });
    const again = await sinkOn(fake).open(incident(1, `${fingerprint.slice(0, 12)}-next`));
    expect(again.created).toBe(true);
    const next = stored().find((item) => item.metadata.name === again.ref.name);
    expect(next?.spec.previousRemediationRequestRef).toMatchObject({ name: ref.name });
  });

  const storm = (endsAtMs: number) => ({ signal, storm: testStorm(endsAtMs, 'shop') });
  /** The sink's grace past endsAt: its flush interval (60 s here) and a second. */
  const GRACE_MS = 61_000;

  it("folds a storm's signals into one aggregate and resolves it at the storm's last end, written or not", async () => {
    const now = Date.now();
    await sink.fold(storm(now + 10_000));
    // A later alert moves the end on; its status is still coalesced in memory.
    await sink.fold(storm(now + 20_000));
    expect(stored()).toHaveLength(1);
    expect(await sink.endStorms(now + 10_000 + GRACE_MS + 1)).toBe(0);
    expect(await sink.endStorms(now + 20_000 + GRACE_MS + 1)).toBe(1);
    expect(await sink.endStorms(now + 30_000 + GRACE_MS)).toBe(0);
    const end = new Date(now + 20_000).toISOString();
    expect(stored()[0]?.status).toMatchObject({ resolvedAt: end, alertState: 'Resolved', storm: { endsAt: end, endedAt: end } });
  });

  it('resolves an aggregate it wrote whose storm is over even when the list does not show it yet (a watch behind)', async () => {
    const now = Date.now();
    await sink.fold(storm(now + 10_000));
    fake.api.listClusterCustomObject = () => Promise.resolve({ items: [] });
    expect(await sink.endStorms(now + 10_000 + GRACE_MS + 1)).toBe(1);
    expect(stored()[0]?.status?.resolvedAt).toBe(new Date(now + 10_000).toISOString());
  });

  it('closes an open resource past the dedup window, as of its last sighting and the window, and opens the firing as a new incident', async () => {
    const { ref } = await sink.open(incident(1));
    await sink.close();
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    fake.externalStatus('shop', ref.name, { lastSeen: hourAgo });
    const stored1 = fake.objects.get(`shop/${ref.name}`);
    if (stored1) stored1.metadata.creationTimestamp = hourAgo;
    // Redis lost the incident; its alert fires again, an hour later, with a 10-minute window.
    const later = sinkOn(fake, undefined, { dedupWindowMs: 600_000 });
    const next = await later.open(incident(1, `${fingerprint.slice(0, 12)}-later`));
    await later.close();
    expect(next.created).toBe(true);
    expect(next.ref.name).not.toBe(ref.name);
    expect(fake.objects.get(`shop/${ref.name}`)?.status).toMatchObject({
      alertState: 'Resolved',
      closedReason: 'DedupWindowExpired',
      resolvedAt: new Date(Date.parse(hourAgo) + 600_000).toISOString(),
    });
  });

  it('counts a firing in the cooldown after Completed on the completed resource, and dedup adopts its incident', async () => {
    const { ref } = await sink.open(incident(1));
    await sink.close();
    fake.externalStatus('shop', ref.name, { phase: 'Completed', completedAt: new Date(Date.now() - 1_000).toISOString() });
    const cooling = sinkOn(fake, undefined, { completedCooldownMs: 300_000 });
    const again = await cooling.open(incident(1, `${fingerprint.slice(0, 12)}-again`));
    await cooling.close();
    expect(again).toMatchObject({ created: false, ref, adopted: { incidentId: `${fingerprint.slice(0, 12)}-abc` } });
    expect(stored()).toHaveLength(1);
    expect(stored()[0]?.status).toMatchObject({ phase: 'Completed', firingsAfterCompletion: 1 });
  });

  it('with an installation name, labels its resources and leaves those of another installation alone', async () => {
    const prod = sinkOn(fake, 'prod');
    const staging = sinkOn(fake, 'staging');
    const first = await prod.open(incident(1));
    fake.externalStatus(first.ref.namespace, first.ref.name, { occurrences: 1, firstSeen: new Date(1_000).toISOString(), lastSeen: new Date().toISOString() });
    // The same alert reaches the other installation, whose Redis knows nothing: it does not adopt prod's resource.
    const second = await staging.open(incident(1, `${fingerprint.slice(0, 12)}-stg`));
    await Promise.all([prod.close(), staging.close()]);
    expect(second).toMatchObject({ created: true });
    expect(second.ref.name).not.toBe(first.ref.name);
    expect(
      stored()
        .map((item) => item.metadata.labels['app.kubernetes.io/instance'])
        .sort(),
    ).toEqual(['prod', 'staging']);
  });
});
