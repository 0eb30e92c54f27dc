/**
 * Starts the OpenTelemetry SDK. Only apps call this, first thing in main.ts, before the modules
 * it instruments (node:http, @grpc/grpc-js, ioredis) are loaded; libraries use
 * @opentelemetry/api alone.
 *
 * Spans are always produced, so W3C trace context travels from the HTTP request through every
 * gRPC hop and the gateway can answer with `traceparent`. They are exported over OTLP only when
 * an endpoint is configured (the standard OTEL_EXPORTER_OTLP_* variables).
 */
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOffSampler, BatchSpanProcessor, NoopSpanProcessor, ParentBasedSampler, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface TelemetryConfig {
  readonly serviceName: string;
  readonly serviceVersion: string;
}

/**
 * The OTEL_* variables are the OpenTelemetry SDK's own contract (the SDK reads them itself), so
 * they are the one exception to "config.ts is the only reader of process.env": the SDK has to
 * start before config.ts loads anything instrumented.
 */
function otlpSettings(env: NodeJS.ProcessEnv): { export: boolean; protocol: string; samplerFromEnv: boolean } {
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? '';
  const disabled = (env['OTEL_SDK_DISABLED'] ?? '').toLowerCase() === 'true' || env['OTEL_TRACES_EXPORTER'] === 'none';
  const protocol = env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ?? env['OTEL_EXPORTER_OTLP_PROTOCOL'] ?? 'http/protobuf';
  return { export: endpoint.trim() !== '' && !disabled, protocol, samplerFromEnv: (env['OTEL_TRACES_SAMPLER'] ?? '') !== '' };
}

export interface Telemetry {
  /** Flushes pending spans and stops the SDK; call last during shutdown. */
  shutdown(): Promise<void>;
}

export function startTelemetry(config: TelemetryConfig): Telemetry {
  let processor: SpanProcessor = new NoopSpanProcessor();
  const otlp = otlpSettings(process.env);
  if (otlp.export) {
    const exporter = otlp.protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtoExporter();
    processor = new BatchSpanProcessor({ exporter, scheduledDelayMillis: 500 });
  }
  // Without export, spans are not recorded (nobody would read them) but still carry W3C trace
  // context: every hop, the traceparent answer and the resources' trace-id annotation keep the
  // trace id, and no CPU goes to spans nobody reads (a few percent, BENCHMARKS.md).
  // OTEL_TRACES_SAMPLER still wins.
  const sampler: Sampler | undefined = otlp.export || otlp.samplerFromEnv ? undefined : new ParentBasedSampler({ root: new AlwaysOffSampler() });
  const sdk = new NodeSDK({
    ...(sampler ? { sampler } : {}),
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_VERSION]: config.serviceVersion,
    }),
    spanProcessors: [processor],
    // Metrics are served by prom-client on /metrics and logs go to stdout; the SDK exports traces only.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes are not part of any alert's story.
        ignoreIncomingRequestHook: (request) => /^\/(healthz|readyz|metrics)\b/.test(request.url ?? ''),
      }),
      new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] }),
      // The statement is the command and, for scripts, the SHA only: the arguments are a whole
      // webhook's fingerprints (kilobytes per span, serialized even for unsampled spans).
      new IORedisInstrumentation({
        requireParentSpan: true,
        dbStatementSerializer: (command, args) => (/^evalsha$/i.test(command) ? `${command} ${String(args[0] ?? '')}` : command),
      }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
