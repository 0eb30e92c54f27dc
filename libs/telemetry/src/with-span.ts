import { errorMessage } from '@alertgate/errors';
import { SpanStatusCode, trace, type Attributes, type Link, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('alertgate');

/**
 * Runs fn inside a new active span; the span records an exception and ends either way. Links
 * name other traces the work also belongs to (a batch serving several requests).
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, links: readonly Link[] = []): Promise<T> {
  return tracer.startActiveSpan(name, { attributes, links: [...links] }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The W3C traceparent of the active span, or undefined when nothing is traced. */
export function currentTraceparent(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!trace.isSpanContextValid(span.spanContext())) return undefined;
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}
