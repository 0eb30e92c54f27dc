import { AlertgateError, Code } from '@alertgate/errors';
import { defineService, unary, type GrpcService } from '@alertgate/grpc-kit';
import type { Logger } from '@alertgate/logging';
import {
  RateLimitServiceService,
  type CheckSourceRequest,
  type CheckSourceResponse,
  type Quota,
  type RateLimitServiceServer,
  type ReserveCreationsRequest,
  type ReserveCreationsResponse,
} from '@alertgate/proto';

import type { QuotaResult, RateLimiter } from './rate-limiter.js';

export const RATELIMIT_SERVICE_NAME = 'alertgate.ratelimit.v1.RateLimitService';

const duration = (ms: number): { seconds: number; nanos: number } => {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
};

export function toQuota(result: QuotaResult): Quota {
  return {
    admitted: result.admitted,
    limit: result.limit,
    remaining: result.remaining,
    resetAfter: duration(result.resetAfterMs),
    retryAfter: duration(result.retryAfterMs),
    policy: result.policy,
  };
}

export function createRateLimitService(limiter: RateLimiter, logger: Logger): GrpcService {
  const implementation: RateLimitServiceServer = {
    checkSource: unary<CheckSourceRequest, CheckSourceResponse>('CheckSource', logger, async (request) => ({
      quota: toQuota(await limiter.checkSource(request.source)),
    })),
    reserveCreations: unary<ReserveCreationsRequest, ReserveCreationsResponse>('ReserveCreations', logger, async (request) => {
      if (request.demands.length > 1000) throw new AlertgateError(Code.InvalidArgument, 'at most 1000 namespaces per call');
      const results = await limiter.reserveCreations(request.demands);
      return {
        grants: request.demands.map((demand, i) => {
          const result = results[i];
          if (!result) throw new AlertgateError(Code.Internal, 'missing grant');
          return { namespace: demand.namespace, granted: result.granted, quota: toQuota(result) };
        }),
      };
    }),
  };
  return defineService(RATELIMIT_SERVICE_NAME, RateLimitServiceService, implementation);
}
