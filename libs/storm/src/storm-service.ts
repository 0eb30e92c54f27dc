import { AlertgateError, Code } from '@alertgate/errors';
import { defineService, unary, type GrpcService } from '@alertgate/grpc-kit';
import type { Logger } from '@alertgate/logging';
import { counter } from '@alertgate/metrics';
import {
  fromMillis,
  MAX_ITEMS_PER_CALL,
  StormServiceService,
  StormType,
  type EvaluateBatchRequest,
  type EvaluateBatchResponse,
  type StormServiceServer,
} from '@alertgate/proto';

import { aggregateName } from './aggregate-name.js';
import type { StormStore } from './storm-store.js';

export const STORM_SERVICE_NAME = 'alertgate.storm.v1.StormService';

const stormsTotal = counter({ name: 'alertgate_storms_total', help: 'Storms declared, by type (rate, pattern).', labelNames: ['type'] });
const foldedTotal = counter({
  name: 'alertgate_storm_members_folded_total',
  help: 'New incidents folded into a storm aggregate instead of getting their own resource.',
});

export function createStormService(store: StormStore, logger: Logger): GrpcService {
  const implementation: StormServiceServer = {
    evaluateBatch: unary<EvaluateBatchRequest, EvaluateBatchResponse>('EvaluateBatch', logger, async (request) => {
      if (request.inputs.length > MAX_ITEMS_PER_CALL) throw new AlertgateError(Code.InvalidArgument, `at most ${MAX_ITEMS_PER_CALL} inputs per call`);
      const keyLabels = [...store.keyLabels];
      // Namespace and alertname travel as fields of their own; other key labels must be among those sent.
      if (request.labelsTrimmed && !keyLabels.every((label) => label === 'namespace' || label === 'alertname' || request.onlyLabels.includes(label))) {
        return { verdicts: [], keyLabels, labelsRequired: true };
      }
      const queries = request.inputs.map((input, i) => {
        if (!input.signal) throw new AlertgateError(Code.InvalidArgument, `inputs[${i}].signal is required`, { details: { field: `inputs[${i}].signal` } });
        return { signal: input.signal, newIncident: input.newIncident };
      });
      const verdicts = await store.evaluate(queries);
      return {
        keyLabels,
        labelsRequired: false,
        verdicts: verdicts.map((verdict, i) => {
          const signal = queries[i]?.signal;
          const { storm } = verdict;
          if (storm?.declaredNow) {
            stormsTotal.inc({ type: storm.type });
            logger.info({ key: storm.key, type: storm.type, members: storm.members, occurrences: storm.occurrences }, 'storm declared');
          }
          if (verdict.folded) foldedTotal.inc();
          return {
            fingerprint: signal?.fingerprint ?? '',
            folded: verdict.folded,
            // One shape per verdict (no conditional spread): this runs for every alert.
            storm:
              storm && signal
                ? {
                    key: storm.key,
                    keyFingerprint: storm.keyFingerprint,
                    keyLabels,
                    type: storm.type === 'pattern' ? StormType.STORM_TYPE_PATTERN : StormType.STORM_TYPE_RATE,
                    windowStart: fromMillis(storm.startMs),
                    endsAt: fromMillis(storm.endsAtMs),
                    memberCount: storm.members,
                    occurrences: storm.occurrences,
                    resolved: storm.resolved,
                    overflow: storm.overflow,
                    aggregateCreated: storm.declaredNow,
                    aggregate: { namespace: signal.namespace, name: aggregateName(signal.alertname, storm.keyFingerprint, storm.startMs) },
                  }
                : undefined,
          };
        }),
      };
    }),
  };
  return defineService(STORM_SERVICE_NAME, StormServiceService, implementation);
}
