import { createLogger } from '@alertgate/logging';

import { ControllerIndex, type ControllerIndexClient } from './controller-index.js';

interface Meta {
  metadata: {
    namespace: string;
    name: string;
    resourceVersion?: string;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
}

const pod = (name: string, replicaSet?: string): Meta => ({
  metadata: {
    namespace: 'shop',
    name,
    ...(replicaSet ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: replicaSet, uid: `u-${replicaSet}`, controller: true }] } : {}),
  },
});
const ref = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name });

/** Lists answer what `items` holds per kind then; each watch can be fed events and ended. */
class FakeApi {
  readonly items = new Map<string, Meta[]>([
    ['Pod', []],
    ['ReplicaSet', []],
    ['Job', []],
  ]);
  readonly lists = new Map<string, number>();
  readonly watches = new Map<string, { emit: (phase: string, object: Meta) => void; end: (err: unknown) => void }>();

  readonly client: ControllerIndexClient = {
    objects: {
      list: ((_apiVersion: string, kind: string) => {
        this.lists.set(kind, (this.lists.get(kind) ?? 0) + 1);
        return Promise.resolve({ items: structuredClone(this.items.get(kind) ?? []), metadata: { resourceVersion: '10' } });
      }) as unknown as ControllerIndexClient['objects']['list'],
    },
    watch: {
      watch: (path: string, _params: object, emit: (phase: string, object: Meta) => void, end: (err: unknown) => void) => {
        const abort = new AbortController();
        abort.signal.addEventListener('abort', () => end(new Error('aborted')));
        this.watches.set(path, { emit, end });
        return Promise.resolve(abort);
      },
    },
  };
}

/** Waits, by polling the condition, for the index's loops to reach a state (no fixed sleeps). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

describe('ControllerIndex on a fake list and watch', () => {
  const logger = createLogger({ service: 'index-test', level: 'silent' });
  let fake: FakeApi;
  let index: ControllerIndex;
  const make = (options: { maxEntries?: number; deletedTtlMs?: number } = {}) => {
    index = new ControllerIndex({ access: { inCluster: true }, client: fake.client, logger, ...options });
    index.start();
    return index;
  };
  beforeEach(() => {
    fake = new FakeApi();
  });
  afterEach(() => index.stop());

  it('knows nothing before its lists are in, then the listed objects and what the watch adds, changes and deletes', async () => {
    fake.items.set('Pod', [pod('web-1', 'web-7d'), pod('lonely')]);
    make();
    await until(() => index.isSynced);
    expect(index.lookup(ref('web-1'))).toEqual({ controller: { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'shop', name: 'web-7d' } });
    expect(index.lookup(ref('lonely'))).toEqual({ controller: undefined });
    expect(index.lookup(ref('never-seen'))).toBeUndefined();
    await until(() => fake.watches.has('/api/v1/pods'));
    const watch = fake.watches.get('/api/v1/pods');
    watch?.emit('ADDED', pod('web-2', 'web-7d'));
    watch?.emit('MODIFIED', pod('lonely', 'adopter'));
    watch?.emit('DELETED', pod('web-1', 'web-7d'));
    expect(index.lookup(ref('web-2'))?.controller?.name).toBe('web-7d');
    expect(index.lookup(ref('lonely'))?.controller?.name).toBe('adopter');
    // Deleted: its controller is kept for the resolution that comes after.
    expect(index.lookup(ref('web-1'))?.controller?.name).toBe('web-7d');
  });

  it('lists again after a watch error, and takes what the new list lacks as deleted', async () => {
    fake.items.set('Pod', [pod('web-1', 'web-7d'), pod('web-2', 'web-7d')]);
    make({ deletedTtlMs: 1 });
    await until(() => fake.watches.has('/api/v1/pods'));
    expect(index.lookup(ref('web-1'))?.controller?.name).toBe('web-7d');
    // web-1 is deleted while the watch is down; then the API server ends the watch (410 Gone).
    fake.items.set('Pod', [pod('web-2', 'web-7d')]);
    const watch = fake.watches.get('/api/v1/pods');
    fake.watches.delete('/api/v1/pods');
    watch?.emit('ERROR', { metadata: { namespace: '', name: '' } });
    watch?.end(null);
    await until(() => fake.lists.get('Pod') === 2 && fake.watches.has('/api/v1/pods'));
    await until(() => index.lookup(ref('web-1')) === undefined);
    expect(index.lookup(ref('web-2'))?.controller?.name).toBe('web-7d');
  });

  it('forgets a deleted object after its TTL, and never holds more than maxEntries', async () => {
    fake.items.set(
      'Pod',
      Array.from({ length: 10 }, (_unused, i) => pod(`p-${i}`, 'rs')),
    );
    make({ maxEntries: 4, deletedTtlMs: 1 });
    await until(() => index.isSynced);
    expect(index.size).toBeLessThanOrEqual(4);
    // The newest are kept, the oldest forgotten first.
    expect(index.lookup(ref('p-9'))?.controller?.name).toBe('rs');
    expect(index.lookup(ref('p-0'))).toBeUndefined();
    await until(() => fake.watches.has('/api/v1/pods'));
    fake.watches.get('/api/v1/pods')?.emit('DELETED', pod('p-9', 'rs'));
    await until(() => index.lookup(ref('p-9')) === undefined);
  });
});
