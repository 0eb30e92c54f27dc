import { AlertgateError, Code } from '@alertgate/errors';
import { type Signal } from '@alertgate/proto';
import { testSignal } from '@alertgate/testing';

import type { IngestPipeline, IngestRequest, PipelineResult, RefusedResult } from './ingest-pipeline.js';
import { BATCHER_DEFAULTS, PipelineBatcher } from './pipeline-batcher.js';

const signal = (fingerprint: string): Signal => testSignal({ fingerprint });

/** A pipeline whose runs finish when the test says so. */
class FakePipeline {
  readonly runs: { requests: readonly IngestRequest[]; finish: (err?: Error) => void }[] = [];
  startBatch(requests: readonly IngestRequest[]): Promise<Promise<PipelineResult | RefusedResult>[]> {
    return new Promise((resolve, reject) => {
      this.runs.push({
        requests,
        finish: (err) =>
          err
            ? reject(err)
            : resolve(requests.map((r) => Promise.resolve({ results: r.signals.map((s) => ({ fingerprint: s.fingerprint, outcome: 'duplicate' as const })) }))),
      });
    });
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PipelineBatcher', () => {
  it('starts a webhook at once when a run is free, and batches those that arrive while runs are busy', async () => {
    const fake = new FakePipeline();
    const batcher = new PipelineBatcher(fake as unknown as IngestPipeline, {
      ...BATCHER_DEFAULTS,
      maxInFlight: 1,
      maxSignals: 100,
      maxBytes: 1_000_000,
      overlapSignals: 1,
    });
    const a = batcher.submit([signal('a')], 's1', 10);
    expect(fake.runs).toHaveLength(1);
    const b = batcher.submit([signal('b')], 's2', 10);
    const c = batcher.submit([signal('c'), signal('c2')], 's1', 10);
    expect(fake.runs).toHaveLength(1);
    fake.runs[0]?.finish();
    await a;
    await tick();
    expect(fake.runs).toHaveLength(2);
    expect(fake.runs[1]?.requests.map((r) => r.source)).toEqual(['s2', 's1']);
    fake.runs[1]?.finish();
    // Each webhook gets its own results.
    expect(await b).toEqual({ results: [{ fingerprint: 'b', outcome: 'duplicate' }] });
    expect(((await c) as PipelineResult).results.map((r) => r.fingerprint)).toEqual(['c', 'c2']);
  });

  it('keeps a run within its signal and byte limits, and fails every webhook of a failed run', async () => {
    const fake = new FakePipeline();
    const batcher = new PipelineBatcher(fake as unknown as IngestPipeline, {
      ...BATCHER_DEFAULTS,
      maxInFlight: 1,
      maxSignals: 3,
      maxBytes: 100,
      overlapSignals: 1,
    });
    const first = batcher.submit([signal('x')], 's', 1);
    const waiting = [
      batcher.submit([signal('a'), signal('b')], 's', 10),
      batcher.submit([signal('c'), signal('d')], 's', 10), // would make 4 signals: next run
      batcher.submit([signal('e')], 's', 95), // would make 105 bytes: the run after
    ];
    fake.runs[0]?.finish();
    await first;
    await tick();
    expect(fake.runs[1]?.requests).toHaveLength(1);
    fake.runs[1]?.finish(new Error('redis down'));
    await expect(waiting[0]).rejects.toThrow('redis down');
    await tick();
    expect(fake.runs[2]?.requests).toHaveLength(1);
    fake.runs[2]?.finish(new Error('still down'));
    await expect(waiting[1]).rejects.toThrow('still down');
    await tick();
    expect(fake.runs[3]?.requests.map((r) => r.signals.length)).toEqual([1]);
    fake.runs[3]?.finish();
    await expect(waiting[2]).resolves.toBeDefined();
  });

  it('overlaps a run in flight only once enough signals wait; small webhooks wait for the next run together', async () => {
    const fake = new FakePipeline();
    const batcher = new PipelineBatcher(fake as unknown as IngestPipeline, {
      ...BATCHER_DEFAULTS,
      maxInFlight: 2,
      maxSignals: 100,
      maxBytes: 1_000_000,
      overlapSignals: 3,
    });
    const first = batcher.submit([signal('a')], 's', 1);
    expect(fake.runs).toHaveLength(1); // idle: at once
    const small = [batcher.submit([signal('b')], 's', 1), batcher.submit([signal('c')], 's', 1)];
    expect(fake.runs).toHaveLength(1); // 2 signals waiting: below 3, no second run
    const third = batcher.submit([signal('d')], 's', 1);
    expect(fake.runs).toHaveLength(2); // 3 waiting: the second run takes all three
    expect(fake.runs[1]?.requests.map((r) => r.signals[0]?.fingerprint)).toEqual(['b', 'c', 'd']);
    const late = batcher.submit([signal('e')], 's', 1);
    expect(fake.runs).toHaveLength(2); // both runs busy
    fake.runs[0]?.finish();
    await first;
    await tick();
    expect(fake.runs).toHaveLength(2); // one run still in flight and 1 signal waiting: it waits
    fake.runs[1]?.finish();
    await Promise.all([...small, third]);
    await tick();
    expect(fake.runs).toHaveLength(3); // nothing in flight: at once
    fake.runs[2]?.finish();
    await expect(late).resolves.toEqual({ results: [{ fingerprint: 'e', outcome: 'duplicate' }] });
  });

  it('starts a run beside one in flight only once as many signals wait, so that runs stay of a size', async () => {
    const fake = new FakePipeline();
    const batcher = new PipelineBatcher(fake as unknown as IngestPipeline, {
      ...BATCHER_DEFAULTS,
      maxInFlight: 2,
      maxSignals: 100,
      maxBytes: 1_000_000,
      overlapSignals: 1,
    });
    // A lone request beside a run of one goes at once: a sender with one request in flight never waits a run.
    const lone = batcher.submit([signal('a')], 's', 1);
    const next = batcher.submit([signal('b')], 's', 1);
    expect(fake.runs).toHaveLength(2);
    fake.runs[0]?.finish();
    fake.runs[1]?.finish();
    await Promise.all([lone, next]);
    // A run of four in flight: the next starts with four waiting, not with the first.
    const big = batcher.submit(['c', 'd', 'e', 'f'].map(signal), 's', 1);
    expect(fake.runs).toHaveLength(3);
    const small = [batcher.submit([signal('k')], 's', 1), batcher.submit([signal('l')], 's', 1), batcher.submit([signal('m')], 's', 1)];
    expect(fake.runs).toHaveLength(3);
    small.push(batcher.submit([signal('n')], 's', 1));
    expect(fake.runs).toHaveLength(4);
    expect(fake.runs[3]?.requests.map((r) => r.signals[0]?.fingerprint)).toEqual(['k', 'l', 'm', 'n']);
    fake.runs[2]?.finish();
    fake.runs[3]?.finish();
    await Promise.all([big, ...small]);
  });

  it('isolates a webhook that fails for good: the others of its run are answered, only it is refused', async () => {
    const runs: string[][] = [];
    const pipeline = {
      startBatch: (requests: readonly IngestRequest[]): Promise<Promise<PipelineResult>[]> => {
        runs.push(requests.map((r) => r.source));
        if (requests.some((r) => r.source === 'poisoned')) return Promise.reject(new AlertgateError(Code.InvalidArgument, 'refused'));
        return Promise.resolve(
          requests.map((r) => Promise.resolve({ results: r.signals.map((s) => ({ fingerprint: s.fingerprint, outcome: 'created' as const })) })),
        );
      },
    };
    const batcher = new PipelineBatcher(pipeline as unknown as IngestPipeline, {
      ...BATCHER_DEFAULTS,
      maxInFlight: 1,
      maxSignals: 100,
      maxBytes: 1_000_000,
      overlapSignals: 1,
    });
    const first = batcher.submit([signal('0')], 'first', 10);
    const rest = ['a', 'poisoned', 'b'].map((source) => batcher.submit([signal(source)], source, 10));
    await first;
    const settled = await Promise.allSettled(rest);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(settled[1]).toMatchObject({ reason: { code: Code.InvalidArgument } });
    // The shared run, then each of its webhooks alone.
    expect(runs).toEqual([['first'], ['a', 'poisoned', 'b'], ['a'], ['poisoned'], ['b']]);
  });

  it('fails every webhook of a run with a retryable failure, without running them again', async () => {
    let calls = 0;
    const pipeline = {
      startBatch: (): Promise<Promise<PipelineResult>[]> => {
        calls += 1;
        return Promise.reject(new AlertgateError(Code.Unavailable, 'redis down'));
      },
    };
    const batcher = new PipelineBatcher(pipeline as unknown as IngestPipeline, {
      ...BATCHER_DEFAULTS,
      maxInFlight: 1,
      maxSignals: 100,
      maxBytes: 1_000_000,
      overlapSignals: 1,
    });
    const settled = await Promise.allSettled([
      batcher.submit([signal('a')], 'a', 10),
      batcher.submit([signal('b')], 'b', 10),
      batcher.submit([signal('c')], 'c', 10),
    ]);
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(calls).toBe(2);
  });

  it('frees a run once its shared part is done: the next run starts while a webhook still waits for its creates', async () => {
    const own: (() => void)[] = [];
    const runs: string[][] = [];
    const pipeline = {
      startBatch: (requests: readonly IngestRequest[]): Promise<Promise<PipelineResult>[]> => {
        runs.push(requests.map((r) => r.source));
        return Promise.resolve(
          requests.map(
            (r) =>
              new Promise<PipelineResult>((resolve) =>
                own.push(() => resolve({ results: r.signals.map((s) => ({ fingerprint: s.fingerprint, outcome: 'created' as const })) })),
              ),
          ),
        );
      },
    };
    const batcher = new PipelineBatcher(pipeline as unknown as IngestPipeline, {
      ...BATCHER_DEFAULTS,
      maxInFlight: 1,
      maxSignals: 100,
      maxBytes: 1_000_000,
      overlapSignals: 1,
    });
    const first = batcher.submit([signal('a')], 'first', 10);
    await tick();
    const second = batcher.submit([signal('b')], 'second', 10);
    await tick();
    expect(runs).toEqual([['first'], ['second']]);
    own.forEach((finish) => finish());
    await expect(Promise.all([first, second])).resolves.toHaveLength(2);
  });

  it('sheds under overload before doing anything: beyond its queue bound at once, and what waited too long', async () => {
    const fake = new FakePipeline();
    let now = 0;
    const batcher = new PipelineBatcher(
      fake as unknown as IngestPipeline,
      { ...BATCHER_DEFAULTS, maxInFlight: 1, maxQueuedSignals: 3, maxWaitMs: 5_000 },
      () => now,
    );
    const running = batcher.submit([signal('a')], 's', 10);
    // A run is busy: these wait, up to 3 signals.
    const waiting = batcher.submit([signal('b'), signal('c')], 's', 10);
    now += 1_000;
    const late = batcher.submit([signal('d')], 's', 10);
    await expect(batcher.submit([signal('e')], 's', 10)).rejects.toMatchObject({
      code: Code.Unavailable,
      details: { overloaded: 1 },
      message: expect.stringContaining('INGEST_QUEUE_MAX_SIGNALS 3'),
    });
    // The run ends 4.5 s after "late" came, 5.5 s after "waiting": that one is refused, not run.
    now += 4_500;
    fake.runs[0]?.finish();
    await expect(running).resolves.toMatchObject({ results: [{ fingerprint: 'a' }] });
    await expect(waiting).rejects.toMatchObject({
      code: Code.Unavailable,
      details: { overloaded: 1 },
      message: expect.stringContaining('INGEST_QUEUE_TIMEOUT 5000 ms'),
    });
    await tick();
    expect(fake.runs.map((run) => run.requests.map((request) => request.signals.map((s) => s.fingerprint)))).toEqual([[['a']], [['d']]]);
    fake.runs[1]?.finish();
    await expect(late).resolves.toMatchObject({ results: [{ fingerprint: 'd' }] });
  });
});
