import { Action, Effect, Outcome, Source, Status, type ApplyBatchRequest, type CheckBatchRequest, type Signal } from '@alertgate/proto';
import { AlertgateError, Code } from '@alertgate/errors';

import { IngestPipeline } from './ingest-pipeline.js';

const signal = (fingerprint: string, status = Status.STATUS_FIRING): Signal => ({
  fingerprint,
  alertname: 'A',
  severity: '',
  namespace: 'n',
  cluster: '',
  status,
  source: Source.SOURCE_ALERTMANAGER,
  labels: {},
  annotations: {},
});
const ts = { seconds: 1, nanos: 0 };

describe('IngestPipeline (unit, fake services)', () => {
  it('maps dedup decisions to writer actions and writer effects to outcomes, in order', async () => {
    const seen: { dedup?: CheckBatchRequest; writer?: ApplyBatchRequest } = {};
    const pipeline = new IngestPipeline(
      {
        checkBatch: (request) => {
          seen.dedup = request;
          return Promise.resolve({
            decisions: [
              { fingerprint: 'a', outcome: Outcome.OUTCOME_NEW, incident: { id: 'i-a', firstSeen: ts, lastSeen: ts, occurrences: 1 } },
              { fingerprint: 'b', outcome: Outcome.OUTCOME_DUPLICATE, incident: { id: 'i-b', firstSeen: ts, lastSeen: ts, occurrences: 4 } },
              { fingerprint: 'c', outcome: Outcome.OUTCOME_RESOLVED, incident: { id: 'i-c', firstSeen: ts, lastSeen: ts, occurrences: 2 } },
              { fingerprint: 'd', outcome: Outcome.OUTCOME_UNMATCHED },
              { fingerprint: 'e', outcome: Outcome.OUTCOME_DUPLICATE, incident: { id: 'i-e', firstSeen: ts, lastSeen: ts, occurrences: 2 } },
            ],
          });
        },
        forgetBatch: () => Promise.reject(new Error('not called without a rate limit or storms')),
      },
      {
        applyBatch: (request) => {
          seen.writer = request;
          const ref = { namespace: 'n', name: 'r' };
          return Promise.resolve({
            results: [
              { effect: Effect.EFFECT_CREATED, resource: ref },
              { effect: Effect.EFFECT_UPDATED, resource: ref },
              { effect: Effect.EFFECT_RESOLVED, resource: ref },
              { effect: Effect.EFFECT_NOT_FOUND },
              // A retry after a failed first attempt: dedup says duplicate, the writer created it now.
              { effect: Effect.EFFECT_CREATED, resource: ref },
            ],
          });
        },
      },
    );
    const { results } = await pipeline.process([signal('a'), signal('b'), signal('c', Status.STATUS_RESOLVED), signal('d', Status.STATUS_RESOLVED), signal('e')]);
    expect(results.map((r) => r.outcome)).toEqual(['created', 'duplicate', 'resolved', 'unmatched', 'created']);
    expect(results[1]?.occurrences).toBe(4);
    expect(results[3]?.remediationRequest).toBeUndefined();
    expect(seen.writer?.updates.map((u) => u.action)).toEqual([Action.ACTION_OPEN, Action.ACTION_OPEN, Action.ACTION_RESOLVE, Action.ACTION_RESOLVE, Action.ACTION_OPEN]);
    expect(seen.writer?.updates[3]?.incidentId).toBe('');
    expect(seen.dedup?.signals).toHaveLength(5);
  });

  it('passes a dependency failure on untouched (the HTTP layer turns it into 503)', async () => {
    const pipeline = new IngestPipeline(
      { checkBatch: () => Promise.reject(new AlertgateError(Code.Unavailable, 'redis down')), forgetBatch: () => Promise.reject(new Error('unused')) },
      { applyBatch: () => Promise.reject(new Error('must not be called')) },
    );
    await expect(pipeline.process([signal('a')])).rejects.toMatchObject({ code: Code.Unavailable });
  });
});
