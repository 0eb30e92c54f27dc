import { AlertgateError, Code, isRetryable } from '@alertgate/errors';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';

import { fromServiceError, toStatusObject } from './status-mapping.js';

const serviceError = (code: status, details: string): ServiceError => Object.assign(new Error(details), { code, details, metadata: new Metadata() });

describe('error mapping at the gRPC boundary', () => {
  it('maps every code to a gRPC status and back', () => {
    for (const code of Object.values(Code)) {
      const wire = toStatusObject(new AlertgateError(code, 'x'));
      expect(fromServiceError(serviceError(wire.code ?? status.UNKNOWN, 'x'), 'peer').code).toBe(code);
    }
  });

  it('makes unknown failures INTERNAL and keeps details in metadata', () => {
    expect(toStatusObject(new Error('boom')).code).toBe(status.INTERNAL);
    const wire = toStatusObject(new AlertgateError(Code.InvalidArgument, 'bad', { details: { field: 'signals[0]' } }));
    expect(wire.metadata?.get('x-alertgate-field')).toEqual(['signals[0]']);
  });

  it('treats a cancelled or unreachable peer as retryable', () => {
    expect(isRetryable(fromServiceError(serviceError(status.UNAVAILABLE, 'no'), 'peer').code)).toBe(true);
    expect(isRetryable(fromServiceError(serviceError(status.CANCELLED, 'no'), 'peer').code)).toBe(true);
    expect(isRetryable(fromServiceError(serviceError(status.DEADLINE_EXCEEDED, 'slow'), 'peer').code)).toBe(true);
    expect(isRetryable(fromServiceError(serviceError(status.INVALID_ARGUMENT, 'bad'), 'peer').code)).toBe(false);
  });
});
