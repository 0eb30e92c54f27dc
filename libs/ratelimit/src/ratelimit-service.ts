import { AlertgateError, Code } from '@alertgate/errors';
import { defineService, unary, type GrpcService } from '@alertgate/grpc-kit';
import type { Logger } from '@alertgate/logging';
import { counter, histogram } from '@alertgate/metrics';
import {
  durationFromMillis,
  RateLimitServiceService,
  type AdmitRequest,
  type AdmitResponse,
  type CreationDemand,
  type CreationGrant,
  type CheckSourceRequest,
  type CheckSourceResponse,
  type Quota,
  type RateLimitServiceServer,
  type ReserveCreationsRequest,
  type ReserveCreationsResponse,
} from '@alertgate/proto';

import type { QuotaResult, RateLimiter } from './rate-limiter.js';

export const RATELIMIT_SERVICE_NAME = 'alertgate.ratelimit.v1.RateLimitService';

const decisionsTotal = counter({
  name: 'alertgate_ratelimit_service_decisions_total',
  help: 'Limiter decisions by limit kind (source, namespace) and decision (admitted, limited); namespace counts units.',
  labelNames: ['limit', 'decision'],
});
const budgetRemaining = histogram({
  name: 'alertgate_ratelimit_remaining_ratio',
  help: "Share of a limiter's burst left after each decision (budget usage), by limit kind.",
  labelNames: ['limit'],
  buckets: [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1],
});

export function toQuota(result: QuotaResult): Quota {
  return {
    admitted: result.admitted,
    limit: result.limit,
    remaining: result.remaining,
    resetAfter: durationFromMillis(result.resetAfterMs),
    retryAfter: durationFromMillis(result.retryAfterMs),
    policy: result.policy,
  };
}

function recordSource(result: QuotaResult): void {
  decisionsTotal.inc({ limit: 'source', decision: result.admitted ? 'admitted' : 'limited' });
  budgetRemaining.observe({ limit: 'source' }, result.remaining / Math.max(1, result.limit));
}

function toGrants(demands: readonly CreationDemand[], results: readonly QuotaResult[], taken: boolean): CreationGrant[] {
  return demands.map((demand, i) => {
    const result = results[i];
    if (!result) throw new AlertgateError(Code.Internal, 'missing grant');
    // A refused source's demands were not evaluated: they are neither granted nor limited.
    if (taken) {
      decisionsTotal.inc({ limit: 'namespace', decision: 'admitted' }, result.granted);
      decisionsTotal.inc({ limit: 'namespace', decision: 'limited' }, demand.count - result.granted);
      budgetRemaining.observe({ limit: 'namespace' }, result.remaining / Math.max(1, result.limit));
    }
    return { namespace: demand.namespace, granted: result.granted, quota: toQuota(result) };
  });
}

export function createRateLimitService(limiter: RateLimiter, logger: Logger): GrpcService {
  const implementation: RateLimitServiceServer = {
    checkSource: unary<CheckSourceRequest, CheckSourceResponse>('CheckSource', logger, async (request) => {
      const result = await limiter.checkSource(request.source);
      recordSource(result);
      return { quota: toQuota(result) };
    }),
    reserveCreations: unary<ReserveCreationsRequest, ReserveCreationsResponse>('ReserveCreations', logger, async (request) => {
      return { grants: toGrants(request.demands, await limiter.reserveCreations(request.demands), true) };
    }),
    admit: unary<AdmitRequest, AdmitResponse>('Admit', logger, async (request) => {
      const results = await limiter.admit(request.admissions);
      return {
        results: request.admissions.map((admission, i) => {
          const result = results[i];
          if (!result) throw new AlertgateError(Code.Internal, 'missing admission result');
          recordSource(result.source);
          return { quota: toQuota(result.source), grants: toGrants(admission.demands, result.grants, result.source.admitted) };
        }),
      };
    }),
  };
  return defineService(RATELIMIT_SERVICE_NAME, RateLimitServiceService, implementation);
}
