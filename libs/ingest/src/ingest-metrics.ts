import { Counter, Histogram, type Registry } from 'prom-client';

/** The gateway's Prometheus metrics (served on /metrics). */
export class IngestMetrics {
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly duration: Histogram<'route' | 'method'>;
  readonly signals: Counter<'source' | 'outcome'>;
  readonly batchSize: Histogram<'source'>;
  readonly rateLimit: Counter<'limit' | 'decision'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'alertgate_http_requests_total',
      help: 'HTTP requests answered by the ingest gateway, by route and status code.',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'alertgate_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, from first byte to response.',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.signals = new Counter({
      name: 'alertgate_signals_total',
      help: 'Signals (alerts, Warning events) processed, by source and outcome.',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: 'alertgate_webhook_signals',
      help: 'Signals per request.',
      labelNames: ['source'],
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [registry],
    });
    this.rateLimit = new Counter({
      name: 'alertgate_ratelimit_decisions_total',
      help: 'Rate-limit decisions by limit (source, namespace) and decision (admitted, limited, unavailable).',
      labelNames: ['limit', 'decision'],
      registers: [registry],
    });
  }
}
