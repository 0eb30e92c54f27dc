import { metricsRegistry } from '@alertgate/metrics';

import { mergeStatus, type RemediationRequestStatus } from './remediation-request.js';
import { StatusCoalescer, type StatusCoalescerOptions, type StatusTarget } from './status-coalescer.js';

const target: StatusTarget = { namespace: 'n', name: 'r' };

/** A coalescer that writes with `write`: a minute's flush, no repeat interval and 8 writes in flight unless told otherwise. */
function coalescerWith(write: StatusCoalescerOptions['write'], options: Partial<StatusCoalescerOptions> = {}): StatusCoalescer {
  return new StatusCoalescer({
    flushIntervalMs: 60_000,
    repeatIntervalMs: 0,
    maxWritesInFlight: 8,
    merge: mergeStatus,
    onError: () => undefined,
    write,
    ...options,
  });
}

describe('StatusCoalescer', () => {
  it('merges the updates of a flush interval into one write, keeping the largest counts', async () => {
    const writes: RemediationRequestStatus[] = [];
    const coalescer = coalescerWith((_t, next) => Promise.resolve(void writes.push(next)));
    coalescer.schedule(target, { occurrences: 3 });
    coalescer.schedule(target, { occurrences: 2, lastSeen: '2026-01-01T00:00:00.000Z' });
    expect(coalescer.pendingFor(target)).toEqual({ occurrences: 3, lastSeen: '2026-01-01T00:00:00.000Z' });
    await coalescer.close();
    expect(writes).toEqual([{ occurrences: 3, lastSeen: '2026-01-01T00:00:00.000Z' }]);
  });

  it('still reports what a flush is writing until the write is done, merged with what came meanwhile', async () => {
    let finish: () => void = () => undefined;
    const coalescer = coalescerWith(() => new Promise<void>((resolve) => (finish = resolve)));
    coalescer.schedule(target, { occurrences: 5 });
    const flushing = coalescer.flush();
    await new Promise((resolve) => setImmediate(resolve));
    // The write is in flight: its counts are not on the API server yet.
    expect(coalescer.pendingFor(target)).toEqual({ occurrences: 5 });
    coalescer.schedule(target, { occurrences: 6 });
    expect(coalescer.pendingFor(target)).toEqual({ occurrences: 6 });
    finish();
    await flushing;
    expect(coalescer.pendingFor(target)).toEqual({ occurrences: 6 });
  });

  it('writes a flush a few at a time, and reports the statuses still waiting for their turn as pending', async () => {
    let inFlight = 0;
    let most = 0;
    const written: string[] = [];
    const coalescer = coalescerWith(
      async ({ name }) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        written.push(name);
      },
      { maxWritesInFlight: 3 },
    );
    const targets = Array.from({ length: 20 }, (_v, i) => ({ namespace: 'n', name: `r${i}` }));
    targets.forEach((t, i) => coalescer.schedule(t, { occurrences: i + 1 }));
    const flushing = coalescer.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(coalescer.pendingFor({ namespace: 'n', name: 'r19' })).toEqual({ occurrences: 20 });
    await flushing;
    expect(most).toBe(3);
    expect(written).toHaveLength(20);
    expect(coalescer.pendingFor({ namespace: 'n', name: 'r19' })).toBeUndefined();
  });

  it('schedules a failed write again', async () => {
    let fail = true;
    const writes: RemediationRequestStatus[] = [];
    const coalescer = coalescerWith((_t, next) => (fail ? Promise.reject(new Error('API server down')) : Promise.resolve(void writes.push(next))));
    coalescer.schedule(target, { occurrences: 4 });
    await coalescer.flush();
    expect(coalescer.pendingFor(target)).toEqual({ occurrences: 4 });
    fail = false;
    await coalescer.close();
    expect(writes).toEqual([{ occurrences: 4 }]);
  });
});

describe('StatusCoalescer with a repeat interval', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  const coalescerOf = (writes: RemediationRequestStatus[]) =>
    coalescerWith((_t, next) => Promise.resolve(void writes.push(next)), { flushIntervalMs: 1_000, repeatIntervalMs: 10_000 });

  it('writes a resource at most once per repeat interval while its incident repeats, and a change with the next flush', async () => {
    const writes: RemediationRequestStatus[] = [];
    const coalescer = coalescerOf(writes);
    coalescer.schedule(target, { occurrences: 1 });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(writes).toEqual([{ occurrences: 1 }]);
    // A repeat every half second for 9 s: held back, merged, visible as pending.
    for (let n = 2; n <= 19; n++) {
      coalescer.schedule(target, { occurrences: n }, 'repeat');
      await jest.advanceTimersByTimeAsync(500);
    }
    expect(writes).toHaveLength(1);
    expect(coalescer.pendingFor(target)).toEqual({ occurrences: 19 });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(writes).toEqual([{ occurrences: 1 }, { occurrences: 19 }]);
    // Another resource's first status is not held back by it.
    const other = { namespace: 'n', name: 'other' };
    coalescer.schedule(other, { occurrences: 1 }, 'repeat');
    coalescer.schedule(target, { occurrences: 20 }, 'repeat');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(writes).toHaveLength(3);
    // A change does not wait for the repeat interval, and takes the repeats pending with it.
    coalescer.schedule(target, { occurrences: 21, stormRef: 'storm-a' });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(writes[3]).toEqual({ occurrences: 21, stormRef: 'storm-a' });
    await coalescer.close();
    expect(writes).toHaveLength(4);
  });

  it('holds back a repeat that arrives while the last write is still in flight, as one after it', async () => {
    const writes: RemediationRequestStatus[] = [];
    let finish: () => void = () => undefined;
    // Recorded as it starts: what matters is when a write goes out.
    const coalescer = coalescerWith(
      (_t, next) => {
        writes.push(next);
        return new Promise<void>((resolve) => (finish = resolve));
      },
      { flushIntervalMs: 1_000, repeatIntervalMs: 10_000 },
    );
    coalescer.schedule(target, { occurrences: 1 });
    await jest.advanceTimersByTimeAsync(1_000);
    coalescer.schedule(target, { occurrences: 2 }, 'repeat');
    finish();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(writes).toEqual([{ occurrences: 1 }]);
    await jest.advanceTimersByTimeAsync(5_000);
    finish();
    await jest.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([{ occurrences: 1 }, { occurrences: 2 }]);
    await coalescer.close();
  });

  it('writes the repeats still held back on close', async () => {
    const writes: RemediationRequestStatus[] = [];
    const coalescer = coalescerOf(writes);
    coalescer.schedule(target, { occurrences: 1 });
    await jest.advanceTimersByTimeAsync(1_000);
    coalescer.schedule(target, { occurrences: 2 }, 'repeat');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(writes).toHaveLength(1);
    await coalescer.close();
    expect(writes).toEqual([{ occurrences: 1 }, { occurrences: 2 }]);
  });
});

describe('StatusCoalescer.writeNow', () => {
  it('writes at once, and merges the updates that arrive while a write is in flight into one next write', async () => {
    const writes: RemediationRequestStatus[] = [];
    const finishes: (() => void)[] = [];
    const coalescer = coalescerWith((_t, next) => new Promise<void>((resolve) => finishes.push(() => resolve(void writes.push(next)))));
    const first = coalescer.writeNow(target, { occurrences: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(finishes).toHaveLength(1);
    const second = coalescer.writeNow(target, { occurrences: 2 });
    const third = coalescer.writeNow(target, { occurrences: 3, lastSeen: '2026-01-01T00:00:00.000Z' });
    // In flight and queued both count as not yet on the API server.
    expect(coalescer.pendingFor(target)).toEqual({ occurrences: 3, lastSeen: '2026-01-01T00:00:00.000Z' });
    finishes[0]?.();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(finishes).toHaveLength(2);
    finishes[1]?.();
    await Promise.all([second, third]);
    expect(writes).toEqual([{ occurrences: 1 }, { occurrences: 3, lastSeen: '2026-01-01T00:00:00.000Z' }]);
    expect(coalescer.pendingFor(target)).toBeUndefined();
  });

  it('rejects its callers when the write fails, and the next call writes again', async () => {
    let fail = true;
    const writes: RemediationRequestStatus[] = [];
    const coalescer = coalescerWith((_t, next) => (fail ? Promise.reject(new Error('API server down')) : Promise.resolve(void writes.push(next))));
    await expect(coalescer.writeNow(target, { stormRef: 'storm-a' })).rejects.toThrow('API server down');
    expect(coalescer.pendingFor(target)).toBeUndefined();
    fail = false;
    await coalescer.writeNow(target, { stormRef: 'storm-a' });
    expect(writes).toEqual([{ stormRef: 'storm-a' }]);
  });
  it('reports the statuses waiting for a flush, and times each flush that writes', async () => {
    const flushes = async (): Promise<number> => {
      const text = await metricsRegistry.getSingleMetricAsString('alertgate_kube_status_flush_duration_seconds');
      return Number(/^alertgate_kube_status_flush_duration_seconds_count (\d+)$/m.exec(text)?.[1]);
    };
    const pending = async (): Promise<string> => metricsRegistry.getSingleMetricAsString('alertgate_kube_status_pending');
    const coalescer = coalescerWith(() => Promise.resolve());
    const before = await flushes();
    coalescer.schedule(target, { occurrences: 1 });
    coalescer.schedule({ namespace: 'n', name: 'other' }, { occurrences: 1 });
    expect(await pending()).toMatch(/^alertgate_kube_status_pending 2$/m);
    await coalescer.flush();
    expect(await pending()).toMatch(/^alertgate_kube_status_pending 0$/m);
    // A flush with nothing due writes nothing and is not timed.
    await coalescer.flush();
    expect(await flushes()).toBe(before + 1);
    await coalescer.close();
  });
});
