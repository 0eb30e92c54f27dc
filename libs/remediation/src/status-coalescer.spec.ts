import { combineStatus, type RemediationRequestStatus } from './remediation-request.js';
import { StatusCoalescer, type StatusTarget } from './status-coalescer.js';

const target: StatusTarget = { namespace: 'n', name: 'r' };

describe('StatusCoalescer', () => {
  it('merges the updates of a flush interval into one write, keeping the largest counts', async () => {
    const writes: RemediationRequestStatus[] = [];
    const coalescer = new StatusCoalescer(60_000, combineStatus, (_t, next) => Promise.resolve(void writes.push(next)), () => undefined);
    coalescer.schedule(target, { occurrences: 3 });
    coalescer.schedule(target, { occurrences: 2, lastSeen: '2026-01-01T00:00:00.000Z' });
    expect(coalescer.pendingFor(target)).toEqual({ occurrences: 3, lastSeen: '2026-01-01T00:00:00.000Z' });
    await coalescer.close();
    expect(writes).toEqual([{ occurrences: 3, lastSeen: '2026-01-01T00:00:00.000Z' }]);
  });

  it('still reports what a flush is writing until the write is done, merged with what came meanwhile', async () => {
    let finish: () => void = () => undefined;
    const coalescer = new StatusCoalescer(60_000, combineStatus, () => new Promise<void>((resolve) => (finish = resolve)), () => undefined);
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

  it('schedules a failed write again', async () => {
    let fail = true;
    const writes: RemediationRequestStatus[] = [];
    const coalescer = new StatusCoalescer(
      60_000,
      combineStatus,
      (_t, next) => (fail ? Promise.reject(new Error('API server down')) : Promise.resolve(void writes.push(next))),
      () => undefined,
    );
    coalescer.schedule(target, { occurrences: 4 });
    await coalescer.flush();
    expect(coalescer.pendingFor(target)).toEqual({ occurrences: 4 });
    fail = false;
    await coalescer.close();
    expect(writes).toEqual([{ occurrences: 4 }]);
  });
});
