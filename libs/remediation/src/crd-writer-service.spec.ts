import { AlertgateError, Code } from '@alertgate/errors';
import { Action, Effect, StormType, type IncidentUpdate, type Storm } from '@alertgate/proto';
import { testSignal } from '@alertgate/testing';

import { answerMarginMs, applyBatch, callDeadline } from './crd-writer-service.js';
import type { RemediationSink } from './remediation-sink.js';

const ts = { seconds: 1_700_000_000, nanos: 0 };
const fp = (c: string): string => c.repeat(64);
const open = (fingerprint: string, namespace = 'shop'): IncidentUpdate => ({
  action: Action.ACTION_OPEN,
  signal: testSignal({ fingerprint, namespace }),
  incidentId: `${fingerprint.slice(0, 12)}-1`,
  firstSeen: ts,
  lastSeen: ts,
  occurrences: 1,
  pods: 0,
  storm: undefined,
  signalTrimmed: false,
  sender: 'alertmanager',
});

const fold = (storm: Partial<Storm>): IncidentUpdate => ({
  ...open(fp('f')),
  action: Action.ACTION_FOLD,
  storm: {
    key: 'shop/Crash',
    keyFingerprint: fp('e'),
    keyLabels: ['namespace', 'alertname'],
    type: StormType.STORM_TYPE_RATE,
    windowStart: ts,
    endsAt: ts,
    memberCount: 10,
    occurrences: 10,
    resolved: 0,
    overflow: 0,
    aggregateCreated: false,
    aggregate: { namespace: 'shop', name: 'storm-crash' },
    ...storm,
  },
});

/** A sink that creates everything except what the API server would refuse (fingerprint "b…"). */
function fakeSink(opened: string[]): RemediationSink {
  const never = (): Promise<never> => Promise.reject(new Error('not used'));
  return {
    kind: 'file',
    open: (incident) => {
      if (incident.signal.fingerprint === fp('b'))
        return Promise.reject(new AlertgateError(Code.InvalidArgument, 'create shop/x: Kubernetes API answered 422'));
      opened.push(incident.signal.fingerprint);
      return Promise.resolve({ created: true, ref: { namespace: incident.signal.namespace, name: incident.incidentId } });
    },
    resolve: never,
    fold: (folded) => Promise.resolve({ created: false, ref: folded.storm.aggregate }),
    endStorms: never,
    closeQuietEvents: never,
    check: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

describe('crd-writer applyBatch', () => {
  it('answers an invalid or refused update alone and applies every other update of the call', async () => {
    const opened: string[] = [];
    const { results } = await applyBatch(fakeSink(opened), [open(fp('a')), open(fp('b')), open(fp('c'), 'Bad_Namespace'), open(fp('d'))]);
    expect(results.map((r) => r.effect)).toEqual([Effect.EFFECT_CREATED, Effect.EFFECT_REJECTED, Effect.EFFECT_REJECTED, Effect.EFFECT_CREATED]);
    expect(results[1]?.error).toContain('422');
    expect(results[2]?.error).toContain('updates[2].signal.namespace');
    expect(opened).toEqual([fp('a'), fp('d')]);
  });

  it('refuses a storm fold that lacks what the storm service of the same version always sends', async () => {
    const { results } = await applyBatch(fakeSink([]), [fold({}), fold({ endsAt: undefined }), fold({ keyLabels: [] }), fold({ windowStart: undefined })]);
    expect(results.map((r) => r.effect)).toEqual([Effect.EFFECT_FOLDED, Effect.EFFECT_REJECTED, Effect.EFFECT_REJECTED, Effect.EFFECT_REJECTED]);
    expect(results.slice(1).map((r) => r.error)).toEqual([
      expect.stringContaining('updates[1].storm.ends_at'),
      expect.stringContaining('updates[2].storm.key_labels'),
      expect.stringContaining('updates[3].storm.window_start'),
    ]);
  });

  it('rejects a sender name that could not be an annotation value of ours', async () => {
    const { results } = await applyBatch(fakeSink([]), [
      { ...open(fp('a')), sender: '../Admin\n' },
      { ...open(fp('d')), sender: '' },
    ]);
    expect(results.map((r) => r.effect)).toEqual([Effect.EFFECT_REJECTED, Effect.EFFECT_CREATED]);
    expect(results[0]?.error).toContain('updates[0].sender');
  });

  it('fails the whole call on a retryable failure, so that the sender retries it', async () => {
    const sink = { ...fakeSink([]), open: () => Promise.reject(new AlertgateError(Code.Unavailable, 'API server down')) };
    await expect(applyBatch(sink, [open(fp('a'))])).rejects.toMatchObject({ code: Code.Unavailable });
  });

  it("starts no update once the caller's deadline has passed, and answers those not started", async () => {
    const opened: string[] = [];
    const { results: late } = await applyBatch(fakeSink(opened), [open(fp('a')), open(fp('c'))], undefined, callDeadline(Date.now()));
    expect(late.map((r) => r.effect)).toEqual([Effect.EFFECT_NOT_STARTED, Effect.EFFECT_NOT_STARTED]);
    expect(opened).toEqual([]);
    // No deadline (grpc-js reports Infinity): everything is applied.
    expect((await applyBatch(fakeSink(opened), [open(fp('a'))], undefined, callDeadline(Infinity))).results.map((r) => r.effect)).toEqual([
      Effect.EFFECT_CREATED,
    ]);
  });

  it('answers by the deadline: what is still running is in progress, what never started is not started, what finished is done', async () => {
    let finish: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (finish = resolve));
    const sink: RemediationSink = {
      ...fakeSink([]),
      // The create of "a…" hangs (a slow API server); the others finish at once.
      open: async (incident) => {
        if (incident.signal.fingerprint === fp('a')) await hung;
        return { created: true, ref: { namespace: incident.signal.namespace, name: incident.incidentId } };
      },
    };
    // Answered a second from now (the deadline less its 250 ms margin): "c…" resolves at once.
    const { results, retryAfterMs } = await applyBatch(sink, [open(fp('a')), open(fp('c'))], undefined, callDeadline(Date.now() + 1_250));
    expect(results.map((r) => r.effect)).toEqual([Effect.EFFECT_IN_PROGRESS, Effect.EFFECT_CREATED]);
    expect(retryAfterMs).toBeGreaterThan(0);
    finish();
  });

  it("keeps a fifth of a call's time for the answer, between 250 ms and 2 s", () => {
    expect([500, 5_000, 10_000, 60_000].map(answerMarginMs)).toEqual([250, 1_000, 2_000, 2_000]);
    expect(callDeadline(11_000, 1_000).at).toBe(9_000);
  });
});
