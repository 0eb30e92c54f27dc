import { AlertgateError, Code } from '@alertgate/errors';
import { counter } from '@alertgate/metrics';

/** Why a request was shed: too many requests in flight, the run queue full, or waited too long. */
export type ShedReason = 'in_flight' | 'queue_full' | 'queue_timeout';

const shed = counter({
  name: 'alertgate_ingest_shed_total',
  help: 'Webhooks refused with 503 before any work because the gateway was overloaded: too many requests in flight (INGEST_MAX_REQUESTS_IN_FLIGHT), its queue full (INGEST_QUEUE_MAX_SIGNALS) or their wait too long (INGEST_QUEUE_TIMEOUT).',
  labelNames: ['reason'],
});

/**
 * A request shed for overload, counted: retryable, and nothing of it was processed (the gateway
 * answers it with the problem type urn:alertgate:problem:overloaded). Not logged per request: a
 * line per shed request would add to the load.
 */
export function overloaded(reason: ShedReason, message: string): AlertgateError {
  shed.inc({ reason });
  return new AlertgateError(Code.Unavailable, message, { details: { overloaded: 1 } });
}
