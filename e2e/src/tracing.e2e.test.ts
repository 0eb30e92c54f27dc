import { PipelineFixture } from './support/pipeline-fixture.js';
import { amAlert, amWebhook } from '@alertgate/testing';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { eventually, eventuallyHolds } from './support/eventually.js';

const SERVER = 2;
const CLIENT = 3;

describe('one webhook is one trace across the gateway, the gRPC services and Redis', () => {
  let receiver: OtlpReceiver;
  let fixture: PipelineFixture;

  beforeAll(async () => {
    receiver = await new OtlpReceiver().start();
    fixture = await PipelineFixture.start('trace', {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      // One run in flight, so that webhooks sent together are batched (the last test).
      serviceEnv: { 'ingest-gateway': { INGEST_BATCH_IN_FLIGHT: '1' } },
    });
  });
  afterAll(async () => {
    await fixture?.close();
    await receiver?.stop();
  });

  it('links the HTTP server span, both sides of every gRPC call and the Redis script', async () => {
    const response = await fixture.postAlerts(amWebhook([amAlert({ pod: 'traced-1' }), amAlert({ pod: 'traced-2' })]));
    expect(response.status).toBe(200);
    const traceId = response.headers.get('traceparent')?.split('-')[1] ?? '';
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    let spans: ReceivedSpan[] = [];
    const has = (service: string, kind: number, test: (s: ReceivedSpan) => boolean = () => true): ReceivedSpan | undefined =>
      spans.find((s) => s.service === service && s.kind === kind && test(s));
    await eventuallyHolds(
      () => `every span of the trace (received: ${spans.map((s) => `${s.service} ${s.name}`).join(', ')})`,
      () => {
        spans = receiver.spans.filter((s) => s.traceId === traceId);
        return Boolean(
          has('alertgate-ingest-gateway', SERVER) &&
          has('alertgate-dedup', SERVER) &&
          has('alertgate-crd-writer', SERVER) &&
          has('alertgate-dedup', CLIENT, (s) => s.scope.includes('ioredis')) &&
          has('alertgate-ratelimit', CLIENT, (s) => s.scope.includes('ioredis')),
        );
      },
      15_000,
      200,
    );

    const httpServer = has('alertgate-ingest-gateway', SERVER);
    expect(httpServer?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/v1/signals/alertmanager',
      'http.response.status_code': 200,
    });
    expect(httpServer?.name).toBe('POST /api/v1/signals/alertmanager');
    const ingest = spans.find((s) => s.name === 'alertgate.ingest');
    expect(ingest?.attributes).toMatchObject({ 'alertgate.signal.count': 2, 'alertgate.outcome.created': 2 });
    const dedupClient = has('alertgate-ingest-gateway', CLIENT, (s) => s.name === 'grpc.alertgate.dedup.v1.DedupService/CheckBatch');
    const writerClient = has('alertgate-ingest-gateway', CLIENT, (s) => s.name === 'grpc.alertgate.crdwriter.v1.CrdWriterService/ApplyBatch');
    const dedupServer = has('alertgate-dedup', SERVER, (s) => s.name === 'grpc.alertgate.dedup.v1.DedupService/CheckBatch');
    const writerServer = has('alertgate-crd-writer', SERVER, (s) => s.name === 'grpc.alertgate.crdwriter.v1.CrdWriterService/ApplyBatch');
    const redis = has('alertgate-dedup', CLIENT, (s) => s.scope.includes('ioredis'));

    // The tree: HTTP server → ingest → gRPC client → gRPC server → Redis.
    expect(ingest?.parentSpanId).toBe(httpServer?.spanId);
    expect(dedupClient?.parentSpanId).toBe(ingest?.spanId);
    expect(writerClient?.parentSpanId).toBe(ingest?.spanId);
    expect(dedupServer?.parentSpanId).toBe(dedupClient?.spanId);
    expect(writerServer?.parentSpanId).toBe(writerClient?.spanId);
    expect(redis?.parentSpanId).toBe(dedupServer?.spanId);
    // Older and newer semantic conventions name the attribute differently.
    expect([redis?.attributes['db.system'], redis?.attributes['db.system.name']]).toContain('redis');
    expect(dedupServer?.attributes['rpc.system']).toBe('grpc');

    // The rate limiter is part of the same trace: the request limit and the creation budget (two
    // new incidents) are taken under the ingest span, its Redis script under the ratelimit server span.
    const limitClient = has('alertgate-ingest-gateway', CLIENT, (s) => s.name === 'grpc.alertgate.ratelimit.v1.RateLimitService/Admit');
    const limitServer = has('alertgate-ratelimit', SERVER, (s) => s.name === 'grpc.alertgate.ratelimit.v1.RateLimitService/Admit');
    expect(limitClient?.parentSpanId).toBe(ingest?.spanId);
    expect(limitServer?.parentSpanId).toBe(limitClient?.spanId);
    expect(spans.some((s) => s.service === 'alertgate-ratelimit' && s.scope.includes('ioredis') && s.parentSpanId === limitServer?.spanId)).toBe(true);
  });

  // A run that serves several webhooks belongs to the first one's trace and links the others'.
  it('links the traces of webhooks processed together', async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, (_v, i) => fixture.postAlerts(amWebhook([amAlert({ pod: `batched-${i}` })]))));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const traceIds = responses.map((r) => r.headers.get('traceparent')?.split('-')[1] ?? '');
    const batched = await eventually(
      'an ingest span of a run of several requests',
      () => receiver.spans.find((s) => s.name === 'alertgate.ingest' && traceIds.includes(s.traceId) && Number(s.attributes['alertgate.batch.requests']) > 1),
      15_000,
      200,
    );
    const requests = Number(batched?.attributes['alertgate.batch.requests']);
    expect(batched?.attributes['alertgate.signal.count']).toBe(requests);
    expect(batched?.links).toHaveLength(requests - 1);
    for (const link of batched?.links ?? []) {
      expect(traceIds).toContain(link.traceId);
      expect(link.traceId).not.toBe(batched?.traceId);
    }
  });
});
