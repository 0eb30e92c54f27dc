import {
  Action,
  Effect,
  Outcome,
  Status,
  StormType,
  type AdmitRequest,
  type ApplyBatchRequest,
  type CheckBatchRequest,
  type ForgetBatchRequest,
  type Signal,
} from '@alertgate/proto';
import { AlertgateError, Code } from '@alertgate/errors';
import { testSignal } from '@alertgate/testing';

import { IngestPipeline, type DedupPort } from './ingest-pipeline.js';
import { StormKeys } from './storm-keys.js';

const signal = (fingerprint: string, status = Status.STATUS_FIRING, alertname = 'A'): Signal => testSignal({ fingerprint, status, alertname });
const ts = { seconds: 1, nanos: 0 };
/** For the tests in which no resolution is ever undone. */
const unusedAdopt = (): Promise<never> => Promise.reject(new Error('adopt is not called here'));

/** A dedup that opens every signal as a new incident `i-<fingerprint>`, and records what it forgets. */
const allNewDedup = (forgotten: string[][]): DedupPort => ({
  checkBatch: (request) =>
    Promise.resolve({
      decisions: request.signals.map((s) => ({
        fingerprint: s.fingerprint,
        outcome: Outcome.OUTCOME_NEW,
        incident: { id: `i-${s.fingerprint}`, firstSeen: ts, lastSeen: ts, occurrences: 1, pods: 0 },
      })),
    }),
  adopt: unusedAdopt,
  forgetBatch: (request) => {
    forgotten.push(request.incidents.map((incident) => incident.incidentId));
    return Promise.resolve({ forgotten: request.incidents.map(() => true) });
  },
});

describe('IngestPipeline (unit, fake services)', () => {
  it('maps dedup decisions to writer actions and writer effects to outcomes, in order', async () => {
    const seen: { dedup?: CheckBatchRequest; writer: ApplyBatchRequest[] } = { writer: [] };
    const pipeline = new IngestPipeline({
      dedup: {
        checkBatch: (request) => {
          seen.dedup = request;
          return Promise.resolve({
            decisions: [
              { fingerprint: 'a', outcome: Outcome.OUTCOME_NEW, incident: { id: 'i-a', firstSeen: ts, lastSeen: ts, occurrences: 1, pods: 0 } },
              { fingerprint: 'b', outcome: Outcome.OUTCOME_DUPLICATE, incident: { id: 'i-b', firstSeen: ts, lastSeen: ts, occurrences: 4, pods: 0 } },
              { fingerprint: 'c', outcome: Outcome.OUTCOME_RESOLVED, incident: { id: 'i-c', firstSeen: ts, lastSeen: ts, occurrences: 2, pods: 0 } },
              { fingerprint: 'd', outcome: Outcome.OUTCOME_UNMATCHED },
              { fingerprint: 'e', outcome: Outcome.OUTCOME_DUPLICATE, incident: { id: 'i-e', firstSeen: ts, lastSeen: ts, occurrences: 2, pods: 0 } },
            ],
          });
        },
        adopt: unusedAdopt,
        forgetBatch: () => Promise.reject(new Error('not called without a rate limit or storms')),
      },
      crdWriter: {
        applyBatch: (request) => {
          seen.writer.push(request);
          const ref = { namespace: 'n', name: 'r' };
          // A retry after a failed first attempt ('e'): dedup says duplicate, the writer created it now.
          const effects: Record<string, Effect> = {
            a: Effect.EFFECT_CREATED,
            b: Effect.EFFECT_UPDATED,
            c: Effect.EFFECT_RESOLVED,
            d: Effect.EFFECT_NOT_FOUND,
            e: Effect.EFFECT_CREATED,
          };
          return Promise.resolve({
            results: request.updates.map((u) => {
              const effect = effects[u.signal?.fingerprint ?? ''] ?? Effect.EFFECT_UNSPECIFIED;
              return { effect, resource: effect === Effect.EFFECT_NOT_FOUND ? undefined : ref, error: '' };
            }),
          });
        },
      },
    });
    const outcome = await pipeline.process([signal('a'), signal('b'), signal('c', Status.STATUS_RESOLVED), signal('d', Status.STATUS_RESOLVED), signal('e')]);
    if ('refused' in outcome) throw new Error('no rate limit here');
    const { results } = outcome;
    expect(results.map((r) => r.outcome)).toEqual(['created', 'duplicate', 'resolved', 'unmatched', 'created']);
    expect(results[1]?.occurrences).toBe(4);
    expect(results[3]?.remediationRequest).toBeUndefined();
    // The status-only updates in the run's shared call; the new incident in its webhook's own.
    expect(seen.writer.map((call) => call.updates.map((u) => [u.signal?.fingerprint, u.action]))).toEqual([
      [
        ['b', Action.ACTION_OPEN],
        ['c', Action.ACTION_RESOLVE],
        ['d', Action.ACTION_RESOLVE],
        ['e', Action.ACTION_OPEN],
      ],
      [['a', Action.ACTION_OPEN]],
    ]);
    expect(seen.writer[0]?.updates[2]?.incidentId).toBe('');
    expect(seen.dedup?.signals).toHaveLength(5);
  });

  // Repeats travel without labels and annotations; the writer asks for them when it
  // must create after all (here: a retry after a first attempt that failed before the create).
  it('sends repeats trimmed, and whole again when the writer must create their resource', async () => {
    const calls: ApplyBatchRequest[] = [];
    const full = { ...signal('b'), labels: { alertname: 'A', pod: 'p' }, annotations: { summary: 's' } };
    const pipeline = new IngestPipeline({
      dedup: {
        checkBatch: () =>
          Promise.resolve({
            decisions: [
              { fingerprint: 'a', outcome: Outcome.OUTCOME_NEW, incident: { id: 'i-a', firstSeen: ts, lastSeen: ts, occurrences: 1, pods: 0 } },
              { fingerprint: 'b', outcome: Outcome.OUTCOME_DUPLICATE, incident: { id: 'i-b', firstSeen: ts, lastSeen: ts, occurrences: 2, pods: 0 } },
            ],
          }),
        adopt: unusedAdopt,
        forgetBatch: () => Promise.reject(new Error('unused')),
      },
      crdWriter: {
        applyBatch: (request) => {
          calls.push(request);
          const ref = { namespace: 'n', name: 'r' };
          return Promise.resolve({
            results: request.updates.map((u) =>
              u.signalTrimmed ? { effect: Effect.EFFECT_SIGNAL_REQUIRED, error: '' } : { effect: Effect.EFFECT_CREATED, resource: ref, error: '' },
            ),
          });
        },
      },
    });
    const outcome = await pipeline.process([{ ...signal('a'), labels: { x: 'y' } }, full]);
    // The repeat trimmed in the shared call, then whole; the new incident in its own call.
    expect(calls.map((call) => call.updates.map((u) => [u.incidentId, u.signalTrimmed]))).toEqual([[['i-b', true]], [['i-b', false]], [['i-a', false]]]);
    expect(calls[0]?.updates[0]?.signal?.labels).toEqual({});
    expect(calls[1]?.updates[0]).toMatchObject({ signalTrimmed: false, incidentId: 'i-b', signal: { labels: full.labels, annotations: full.annotations } });
    expect(calls[2]?.updates[0]?.signal?.labels).toEqual({ x: 'y' });
    expect('refused' in outcome ? [] : outcome.results.map((r) => r.outcome)).toEqual(['created', 'created']);
  });

  it("gives a webhook's later crd-writer calls what is left of one call's deadline, and defers them when too little is left", async () => {
    const duplicateDedup: DedupPort = {
      checkBatch: (request) =>
        Promise.resolve({
          decisions: request.signals.map((s) => ({
            fingerprint: s.fingerprint,
            outcome: Outcome.OUTCOME_DUPLICATE,
            incident: { id: `i-${s.fingerprint}`, firstSeen: ts, lastSeen: ts, occurrences: 2, pods: 0 },
          })),
        }),
      adopt: unusedAdopt,
      forgetBatch: () => Promise.reject(new Error('nothing new to forget')),
    };
    // The first call takes `firstCallMs` of a 10 s deadline (on a clock of the test's own).
    const run = async (firstCallMs: number): Promise<{ deadlines: (number | undefined)[]; outcome: string | undefined }> => {
      let now = 1_000_000;
      const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
      const deadlines: (number | undefined)[] = [];
      try {
        const pipeline = new IngestPipeline({
          dedup: duplicateDedup,
          crdWriter: {
            deadlineMs: 10_000,
            applyBatch: (request, deadlineMs) => {
              deadlines.push(deadlineMs);
              if (deadlines.length === 1) now += firstCallMs;
              return Promise.resolve({
                results: request.updates.map((u) =>
                  u.signalTrimmed
                    ? { effect: Effect.EFFECT_SIGNAL_REQUIRED, error: '' }
                    : { effect: Effect.EFFECT_CREATED, resource: { namespace: 'n', name: 'r' }, error: '' },
                ),
              });
            },
          },
        });
        const outcome = await pipeline.process([signal('b')]);
        return { deadlines, outcome: 'refused' in outcome ? undefined : outcome.results[0]?.outcome };
      } finally {
        clock.mockRestore();
      }
    };
    expect(await run(2_000)).toEqual({ deadlines: [10_000, 8_000], outcome: 'created' });
    expect(await run(9_500)).toEqual({ deadlines: [10_000], outcome: 'deferred' });
  });

  it('answers the updates of a crd-writer call answered past its deadline in progress: retried, their incidents kept', async () => {
    const forgotten: string[][] = [];
    const late = new IngestPipeline({
      dedup: allNewDedup(forgotten),
      crdWriter: { applyBatch: () => Promise.reject(new AlertgateError(Code.DeadlineExceeded, 'crd-writer.ApplyBatch: Deadline exceeded')) },
    });
    const outcome = await late.process([signal('a'), signal('b')]);
    if ('refused' in outcome) throw new Error('no rate limit here');
    expect(outcome.results.map((result) => result.outcome)).toEqual(['deferred', 'deferred']);
    expect(outcome.writerBusy).toEqual({ retryAfterMs: 0 });
    expect(forgotten).toEqual([]);
    // Any other failure of the call is still the webhook's failure.
    const down = new IngestPipeline({
      dedup: allNewDedup(forgotten),
      crdWriter: { applyBatch: () => Promise.reject(new AlertgateError(Code.Unavailable, 'crd-writer down')) },
    });
    await expect(down.process([signal('c')])).rejects.toMatchObject({ code: Code.Unavailable });
  });

  it('puts a resolution back in dedup, with its counts, when it did not reach the resource', async () => {
    const adopted: { fingerprint: string; incidentId: string; occurrences: number }[] = [];
    const dedup: DedupPort = {
      checkBatch: (request) =>
        Promise.resolve({
          decisions: request.signals.map((s) =>
            s.status === Status.STATUS_RESOLVED
              ? {
                  fingerprint: s.fingerprint,
                  outcome: Outcome.OUTCOME_RESOLVED,
                  incident: { id: `i-${s.fingerprint}`, firstSeen: ts, lastSeen: ts, occurrences: 7, pods: 0 },
                }
              : {
                  fingerprint: s.fingerprint,
                  outcome: Outcome.OUTCOME_DUPLICATE,
                  incident: { id: `i-${s.fingerprint}`, firstSeen: ts, lastSeen: ts, occurrences: 3, pods: 0 },
                },
          ),
        }),
      adopt: (request) => {
        adopted.push(request);
        return Promise.resolve({ incident: undefined });
      },
      forgetBatch: () => Promise.reject(new Error('nothing new to forget')),
    };
    const resolvedAndRepeat = [signal('r', Status.STATUS_RESOLVED), signal('d')];
    // The crd-writer unreachable: the retry will resolve "r" again, and must find its counts.
    const down = new IngestPipeline({ dedup, crdWriter: { applyBatch: () => Promise.reject(new AlertgateError(Code.Unavailable, 'crd-writer down')) } });
    await expect(down.process(resolvedAndRepeat)).rejects.toMatchObject({ code: Code.Unavailable });
    expect(adopted).toEqual([{ fingerprint: 'r', incidentId: 'i-r', occurrences: 7 }]);
    // Still running at the crd-writer's deadline: answered 503, so restored too.
    adopted.length = 0;
    const late = new IngestPipeline({
      dedup,
      crdWriter: {
        applyBatch: (request) =>
          Promise.resolve({
            results: request.updates.map((u) => ({
              effect: u.action === Action.ACTION_RESOLVE ? Effect.EFFECT_IN_PROGRESS : Effect.EFFECT_UPDATED,
              error: '',
            })),
          }),
      },
    });
    await late.process(resolvedAndRepeat);
    expect(adopted).toEqual([{ fingerprint: 'r', incidentId: 'i-r', occurrences: 7 }]);
    // Recorded: nothing is put back.
    adopted.length = 0;
    const ok = new IngestPipeline({
      dedup,
      crdWriter: {
        applyBatch: (request) =>
          Promise.resolve({
            results: request.updates.map((u) => ({ effect: u.action === Action.ACTION_RESOLVE ? Effect.EFFECT_RESOLVED : Effect.EFFECT_UPDATED, error: '' })),
          }),
      },
    });
    await ok.process(resolvedAndRepeat);
    expect(adopted).toEqual([]);
  });

  it('passes a dependency failure on untouched (the HTTP layer turns it into 503)', async () => {
    const pipeline = new IngestPipeline({
      dedup: {
        checkBatch: () => Promise.reject(new AlertgateError(Code.Unavailable, 'redis down')),
        adopt: unusedAdopt,
        forgetBatch: () => Promise.reject(new Error('unused')),
      },
      crdWriter: { applyBatch: () => Promise.reject(new Error('must not be called')) },
    });
    await expect(pipeline.process([signal('a')])).rejects.toMatchObject({ code: Code.Unavailable });
  });

  // One call per service and webhook on the normal path, storm and dedup at once, then
  // ratelimit, then crd-writer; folding takes no second dedup call.
  describe('with storms and rate limits', () => {
    // 'a' is of a key the gateway already heard is in a storm (n/Storming); 'b' and 'c' are not.
    const inStorm = (): StormKeys => {
      const keys = new StormKeys();
      keys.learn(storm);
      return keys;
    };
    const firing = (fingerprint: string): Signal => signal(fingerprint, Status.STATUS_FIRING, fingerprint === 'a' ? 'Storming' : 'A');
    const quota = (admitted: boolean) => ({
      admitted,
      limit: 5,
      remaining: admitted ? 4 : 0,
      policy: '"source";q=5;w=1',
      retryAfter: { seconds: admitted ? 0 : 2, nanos: 0 },
    });
    const storm = {
      key: 'n/Storming',
      keyFingerprint: 'k',
      type: StormType.STORM_TYPE_RATE,
      memberCount: 1,
      occurrences: 1,
      aggregateCreated: false,
      resolved: 0,
      overflow: 0,
      keyLabels: ['namespace', 'alertname'],
      endsAt: { seconds: Math.floor(Date.now() / 1000) + 3600, nanos: 0 },
    };
    const calls: string[] = [];
    let forgotten: ForgetBatchRequest | undefined;
    let admitted: AdmitRequest | undefined;
    let writer: ApplyBatchRequest | undefined;
    type Result = { quota: ReturnType<typeof quota>; grants: { namespace: string; granted: number; quota: ReturnType<typeof quota> }[] };
    const make = (admit: (request: AdmitRequest) => Promise<Result>, failOpen = false) =>
      new IngestPipeline({
        dedup: {
          checkBatch: (request) => {
            calls.push('dedup');
            // a: storm member without an open incident; b: new; c: new, same namespace.
            expect(request.foldIfNew).toEqual([true, false, false]);
            return Promise.resolve({
              decisions: [
                { fingerprint: 'a', outcome: Outcome.OUTCOME_FOLDED },
                { fingerprint: 'b', outcome: Outcome.OUTCOME_NEW, incident: { id: 'i-b', firstSeen: ts, lastSeen: ts, occurrences: 1, pods: 0 } },
                { fingerprint: 'c', outcome: Outcome.OUTCOME_NEW, incident: { id: 'i-c', firstSeen: ts, lastSeen: ts, occurrences: 1, pods: 0 } },
              ],
            });
          },
          adopt: unusedAdopt,
          forgetBatch: (request) => {
            calls.push('forget');
            forgotten = request;
            return Promise.resolve({ forgotten: request.incidents.map(() => true) });
          },
        },
        crdWriter: {
          applyBatch: (request) => {
            calls.push('crd-writer');
            writer = request;
            return Promise.resolve({
              results: request.updates.map((u) => ({
                effect: u.action === Action.ACTION_FOLD ? Effect.EFFECT_FOLDED : Effect.EFFECT_CREATED,
                resource: { namespace: 'n', name: 'r' },
                error: '',
              })),
            });
          },
        },
        rateLimit: {
          admit: (request) => {
            calls.push('ratelimit');
            admitted = request;
            return admit(request).then((result) => ({ results: [result] }));
          },
          failOpen,
        },
        storm: {
          evaluateBatch: (request) => {
            calls.push('storm');
            return Promise.resolve({
              keyLabels: ['namespace', 'alertname'],
              labelsRequired: false,
              verdicts: request.inputs.map((_input, i) => (i === 0 ? { fingerprint: 'a', folded: true, storm } : { fingerprint: 'x', folded: false })),
            });
          },
        },
        stormKeys: inStorm(),
      });
    beforeEach(() => {
      calls.length = 0;
      forgotten = undefined;
      admitted = undefined;
      writer = undefined;
    });

    it('folds without forgetting and takes the source and the budget in one call', async () => {
      const pipeline = make((request) =>
        Promise.resolve({
          quota: quota(true),
          grants: (request.admissions[0]?.demands ?? []).map((d) => ({ namespace: d.namespace, granted: d.count, quota: quota(true) })),
        }),
      );
      const outcome = await pipeline.process([firing('a'), firing('b'), firing('c')], 't:abc');
      expect(calls).toEqual(['storm', 'dedup', 'ratelimit', 'crd-writer']);
      expect(admitted).toEqual({ admissions: [{ source: 't:abc', demands: [{ namespace: 'n', count: 2 }] }] });
      expect(writer?.updates.map((u) => u.action)).toEqual([Action.ACTION_FOLD, Action.ACTION_OPEN, Action.ACTION_OPEN]);
      expect('refused' in outcome ? [] : outcome.results.map((r) => r.outcome)).toEqual(['storm', 'created', 'created']);
    });

    it('defers the new incidents beyond the budget and forgets them', async () => {
      const pipeline = make(() => Promise.resolve({ quota: quota(true), grants: [{ namespace: 'n', granted: 1, quota: quota(false) }] }));
      const outcome = await pipeline.process([firing('a'), firing('b'), firing('c')]);
      expect(calls).toEqual(['storm', 'dedup', 'ratelimit', 'forget', 'crd-writer']);
      expect(forgotten?.incidents).toEqual([{ fingerprint: 'c', incidentId: 'i-c' }]);
      if ('refused' in outcome) throw new Error('not refused');
      expect(outcome.results.map((r) => r.outcome)).toEqual(['storm', 'created', 'deferred']);
      expect(outcome.creationBudget?.namespace).toBe('n');
    });

    it('refuses an over-limit source: its new incidents are forgotten and nothing is written', async () => {
      const pipeline = make(() => Promise.resolve({ quota: quota(false), grants: [{ namespace: 'n', granted: 0, quota: quota(true) }] }));
      const outcome = await pipeline.process([firing('a'), firing('b'), firing('c')]);
      expect(calls).toEqual(['storm', 'dedup', 'ratelimit', 'forget']);
      expect(forgotten?.incidents.map((i) => i.fingerprint)).toEqual(['b', 'c']);
      expect(outcome).toEqual({ refused: quota(false) });
    });

    it('goes on without limits when the rate limiter is down and fails open, and fails otherwise', async () => {
      const down = () => Promise.reject(new AlertgateError(Code.Unavailable, 'ratelimit down'));
      const open = await make(down, true).process([firing('a'), firing('b'), firing('c')]);
      expect('refused' in open ? undefined : open.source).toEqual({ kind: 'unavailable' });
      expect(calls).toEqual(['storm', 'dedup', 'ratelimit', 'crd-writer']);
      await expect(make(down, false).process([firing('a'), firing('b'), firing('c')])).rejects.toMatchObject({ code: Code.Unavailable });
    });
  });
  // The guess (StormKeys) and storm's answer disagree only when a storm begins or ends between two
  // webhooks: one more dedup call sets the decision to what asking in turn would have given.
  describe('when storm and the guess disagree', () => {
    const later = { seconds: Math.floor(Date.now() / 1000) + 3600, nanos: 0 };
    const storm = {
      key: 'n/A',
      keyFingerprint: 'k',
      type: StormType.STORM_TYPE_RATE,
      memberCount: 2,
      occurrences: 2,
      aggregateCreated: true,
      resolved: 0,
      overflow: 0,
      keyLabels: ['namespace', 'alertname'],
      endsAt: later,
    };
    const opened = (fingerprint: string, occurrences = 1) => ({
      fingerprint,
      outcome: Outcome.OUTCOME_NEW,
      incident: { id: `i-${fingerprint}`, firstSeen: ts, lastSeen: ts, occurrences, pods: 0 },
    });
    const writer = {
      applyBatch: (request: ApplyBatchRequest) =>
        Promise.resolve({
          results: request.updates.map((u) => ({
            effect: u.action === Action.ACTION_FOLD ? Effect.EFFECT_FOLDED : Effect.EFFECT_CREATED,
            resource: { namespace: 'n', name: 'r' },
            error: '',
          })),
        }),
    };

    it('a storm that begins now: the incidents dedup opened are forgotten and folded, and the next webhook folds at once', async () => {
      const forgotten: string[][] = [];
      const foldIfNew: boolean[][] = [];
      const pipeline = new IngestPipeline({
        dedup: {
          checkBatch: (request) => {
            foldIfNew.push(request.foldIfNew);
            return Promise.resolve({
              decisions: request.foldIfNew.map((fold, i) => (fold ? { fingerprint: `f${i}`, outcome: Outcome.OUTCOME_FOLDED } : opened(`f${i}`))),
            });
          },
          adopt: unusedAdopt,
          forgetBatch: (request) => {
            forgotten.push(request.incidents.map((incident) => incident.incidentId));
            return Promise.resolve({ forgotten: request.incidents.map(() => true) });
          },
        },
        crdWriter: writer,
        storm: {
          evaluateBatch: (request) =>
            Promise.resolve({
              keyLabels: ['namespace', 'alertname'],
              labelsRequired: false,
              verdicts: request.inputs.map((_input, i) => ({ fingerprint: `f${i}`, folded: true, storm })),
            }),
        },
      });
      const first = await pipeline.process([signal('f0'), signal('f1')]);
      expect(foldIfNew).toEqual([[false, false]]);
      expect(forgotten).toEqual([['i-f0', 'i-f1']]);
      expect('refused' in first ? [] : first.results.map((r) => r.outcome)).toEqual(['storm', 'storm']);
      const second = await pipeline.process([signal('f2')]);
      expect(foldIfNew).toEqual([[false, false], [true]]);
      expect(forgotten).toHaveLength(1);
      expect('refused' in second ? [] : second.results.map((r) => r.outcome)).toEqual(['storm']);
    });

    it('a storm that ended: what dedup folded is decided again and opened', async () => {
      const requests: boolean[][] = [];
      const keys = new StormKeys();
      keys.learn(storm);
      const pipeline = new IngestPipeline({
        dedup: {
          checkBatch: (request) => {
            requests.push(request.foldIfNew);
            return Promise.resolve({
              decisions: request.foldIfNew.map((fold) => (fold ? { fingerprint: 'x', outcome: Outcome.OUTCOME_FOLDED } : opened('x'))),
            });
          },
          adopt: unusedAdopt,
          forgetBatch: () => Promise.reject(new Error('nothing to forget')),
        },
        crdWriter: writer,
        storm: {
          evaluateBatch: (request) =>
            Promise.resolve({
              keyLabels: ['namespace', 'alertname'],
              labelsRequired: false,
              verdicts: request.inputs.map(() => ({ fingerprint: 'x', folded: false })),
            }),
        },
        stormKeys: keys,
      });
      const outcome = await pipeline.process([signal('x')]);
      expect(requests).toEqual([[true], [false]]);
      expect('refused' in outcome ? [] : outcome.results.map((r) => r.outcome)).toEqual(['created']);
    });

    it('storm down: the incidents dedup opened meanwhile are forgotten before the request fails', async () => {
      const forgotten: string[] = [];
      const pipeline = new IngestPipeline({
        dedup: {
          checkBatch: () =>
            Promise.resolve({
              decisions: [
                opened('a'),
                { fingerprint: 'b', outcome: Outcome.OUTCOME_DUPLICATE, incident: { id: 'i-b', firstSeen: ts, lastSeen: ts, occurrences: 3, pods: 0 } },
              ],
            }),
          adopt: unusedAdopt,
          forgetBatch: (request) => {
            forgotten.push(...request.incidents.map((incident) => incident.incidentId));
            return Promise.resolve({ forgotten: request.incidents.map(() => true) });
          },
        },
        crdWriter: { applyBatch: () => Promise.reject(new Error('must not be called')) },
        storm: { evaluateBatch: () => Promise.reject(new AlertgateError(Code.Unavailable, 'storm down')) },
      });
      await expect(pipeline.process([signal('a'), signal('b')])).rejects.toMatchObject({ code: Code.Unavailable });
      expect(forgotten).toEqual(['i-a']);
    });
  });
  // Storm needs only its key's labels: once it said which, the rest stay home; when its keys
  // changed meanwhile (labels_required), the batch goes again with every label.
  it('sends storm only the labels of its key, and everything again when it asks', async () => {
    const sent: { trimmed: boolean; only: string[]; labels: Record<string, string> }[] = [];
    let keyLabels = ['namespace', 'alertname'];
    const pipeline = new IngestPipeline({
      dedup: {
        checkBatch: (request) =>
          Promise.resolve({ decisions: request.signals.map((s) => ({ fingerprint: s.fingerprint, outcome: Outcome.OUTCOME_UNMATCHED })) }),
        adopt: unusedAdopt,
        forgetBatch: () => Promise.reject(new Error('unused')),
      },
      crdWriter: { applyBatch: (request) => Promise.resolve({ results: request.updates.map(() => ({ effect: Effect.EFFECT_UNSPECIFIED, error: '' })) }) },
      storm: {
        evaluateBatch: (request) => {
          sent.push({ trimmed: request.labelsTrimmed, only: request.onlyLabels, labels: request.inputs[0]?.signal?.labels ?? {} });
          const missing = request.labelsTrimmed && keyLabels.some((l) => l !== 'namespace' && l !== 'alertname' && !request.onlyLabels.includes(l));
          return Promise.resolve({
            keyLabels,
            labelsRequired: missing,
            verdicts: missing ? [] : request.inputs.map(() => ({ fingerprint: 'x', folded: false })),
          });
        },
      },
    });
    const labelled = (): Signal => ({ ...signal('x'), labels: { alertname: 'A', namespace: 'n', pod: 'p-1', service: 'api', team: 't' } });
    await pipeline.process([labelled()]);
    await pipeline.process([labelled()]);
    keyLabels = ['namespace', 'alertname', 'service'];
    await pipeline.process([labelled()]);
    await pipeline.process([labelled()]);
    expect(sent).toEqual([
      { trimmed: false, only: [], labels: { alertname: 'A', namespace: 'n', pod: 'p-1', service: 'api', team: 't' } },
      { trimmed: true, only: [], labels: {} },
      { trimmed: true, only: [], labels: {} },
      { trimmed: false, only: [], labels: { alertname: 'A', namespace: 'n', pod: 'p-1', service: 'api', team: 't' } },
      { trimmed: true, only: ['service'], labels: { service: 'api' } },
    ]);
  });

  it('answers an update the crd-writer refuses as rejected, forgets its new incident, and keeps the rest', async () => {
    const forgotten: string[][] = [];
    const pipeline = new IngestPipeline({
      dedup: allNewDedup(forgotten),
      crdWriter: {
        applyBatch: (request) =>
          Promise.resolve({
            results: request.updates.map((u) =>
              u.signal?.fingerprint === 'bad'
                ? { effect: Effect.EFFECT_REJECTED, resource: undefined, error: 'spec.alertname: Too long' }
                : { effect: Effect.EFFECT_CREATED, resource: { namespace: 'n', name: 'r' }, error: '' },
            ),
          }),
      },
    });
    const [good, bad] = await pipeline.processBatch([
      { signals: [signal('a'), signal('b')], source: 's1' },
      { signals: [signal('bad')], source: 's2' },
    ]);
    expect((good as { results: { outcome: string }[] }).results.map((r) => r.outcome)).toEqual(['created', 'created']);
    expect((bad as { results: unknown[] }).results).toEqual([
      { fingerprint: 'bad', outcome: 'rejected', errors: [{ pointer: '', detail: 'spec.alertname: Too long' }] },
    ]);
    expect(forgotten).toEqual([['i-bad']]);
  });

  it('forgets the new incidents of a run that fails for good, and keeps them when the failure is retryable', async () => {
    for (const [code, expected] of [
      [Code.InvalidArgument, [['i-a']]],
      [Code.Unavailable, []],
    ] as const) {
      const forgotten: string[][] = [];
      const pipeline = new IngestPipeline({
        dedup: allNewDedup(forgotten),
        crdWriter: { applyBatch: () => Promise.reject(new AlertgateError(code, 'writer failed')) },
      });
      await expect(pipeline.process([signal('a')])).rejects.toMatchObject({ code });
      expect(forgotten).toEqual(expected);
    }
  });

  it('answers a webhook of repeats while another webhook of its run still waits for its creates', async () => {
    let releaseCreates: () => void = () => undefined;
    const creates = new Promise<void>((resolve) => (releaseCreates = resolve));
    const ref = { namespace: 'n', name: 'r' };
    const pipeline = new IngestPipeline({
      dedup: {
        checkBatch: (request) =>
          Promise.resolve({
            decisions: request.signals.map((s) => ({
              fingerprint: s.fingerprint,
              outcome: s.fingerprint.startsWith('new') ? Outcome.OUTCOME_NEW : Outcome.OUTCOME_DUPLICATE,
              incident: { id: `i-${s.fingerprint}`, firstSeen: ts, lastSeen: ts, occurrences: 2, pods: 0 },
            })),
          }),
        adopt: unusedAdopt,
        forgetBatch: () => Promise.reject(new Error('unused')),
      },
      crdWriter: {
        applyBatch: async (request) => {
          if (request.updates.some((u) => !u.signalTrimmed)) await creates;
          return {
            results: request.updates.map((u) => ({ effect: u.signalTrimmed ? Effect.EFFECT_UPDATED : Effect.EFFECT_CREATED, resource: ref, error: '' })),
          };
        },
      },
    });
    const [creating, repeats, both] = await pipeline.startBatch([
      { signals: [signal('new-1'), signal('old-1')], source: 's1' },
      { signals: [signal('old-2'), signal('old-3')], source: 's2' },
      // A repeat of the incident the first webhook creates waits for that create.
      { signals: [signal('old-4'), signal('new-1')], source: 's3' },
    ]);
    const settled: string[] = [];
    for (const [name, pending] of [
      ['creating', creating],
      ['repeats', repeats],
      ['both', both],
    ] as const)
      void pending?.then(() => settled.push(name));
    const answer = await repeats;
    expect('refused' in (answer ?? {}) ? [] : (answer as { results: { outcome: string }[] }).results.map((r) => r.outcome)).toEqual(['duplicate', 'duplicate']);
    expect(settled).toEqual(['repeats']);
    releaseCreates();
    await Promise.all([creating, both]);
    expect(settled.sort()).toEqual(['both', 'creating', 'repeats']);
  });

  it('defers what the crd-writer could not start in time: its new incidents forgotten, the retry-after passed on, the rest done', async () => {
    const forgotten: string[][] = [];
    const pipeline = new IngestPipeline({
      dedup: allNewDedup(forgotten),
      crdWriter: {
        applyBatch: (request) =>
          Promise.resolve({
            results: request.updates.map((u) =>
              u.incidentId === 'i-a'
                ? { effect: Effect.EFFECT_CREATED, resource: { namespace: 'n', name: 'r' }, error: '' }
                : { effect: Effect.EFFECT_NOT_STARTED, resource: undefined, error: '' },
            ),
            retryAfter: { seconds: 3, nanos: 0 },
          }),
      },
    });
    const outcome = await pipeline.process([signal('a'), signal('b'), signal('c')]);
    if ('refused' in outcome) throw new Error('no rate limit here');
    expect(outcome.results.map((r) => r.outcome)).toEqual(['created', 'deferred', 'deferred']);
    expect(outcome.writerBusy).toEqual({ retryAfterMs: 3000 });
    expect(forgotten).toEqual([['i-b', 'i-c']]);
  });

  it("defers what was still running at the crd-writer's deadline but keeps its incident, so that the retry finds it under the same name", async () => {
    const forgotten: string[][] = [];
    const pipeline = new IngestPipeline({
      dedup: allNewDedup(forgotten),
      crdWriter: {
        applyBatch: (request) =>
          Promise.resolve({
            results: request.updates.map(() => ({ effect: Effect.EFFECT_IN_PROGRESS, resource: undefined, error: '' })),
            retryAfter: { seconds: 5, nanos: 0 },
          }),
      },
    });
    const outcome = await pipeline.process([signal('a')]);
    if ('refused' in outcome) throw new Error('no rate limit here');
    expect(outcome.results.map((r) => r.outcome)).toEqual(['deferred']);
    expect(outcome.writerBusy).toEqual({ retryAfterMs: 5000 });
    expect(forgotten).toEqual([]);
  });
});
