export { counter, FAST_BUCKETS, gauge, histogram, metricsRegistry } from './metrics.js';
export { startMetricsServer } from './metrics-server.js';
export type { MetricsServer } from './metrics-server.js';
