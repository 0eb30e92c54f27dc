import { Counter, Gauge, Histogram, register, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration } from 'prom-client';

/**
 * Metrics live in prom-client's process-wide registry (one process is one service). These
 * getters are idempotent, so a library can declare its metrics where it uses them and a test
 * process that builds the same component twice does not fail on double registration.
 */
export function counter<T extends string>(config: CounterConfiguration<T>): Counter<T> {
  const existing = register.getSingleMetric(config.name);
  return existing instanceof Counter ? existing : new Counter(config);
}

export function gauge<T extends string>(config: GaugeConfiguration<T>): Gauge<T> {
  const existing = register.getSingleMetric(config.name);
  return existing instanceof Gauge ? existing : new Gauge(config);
}

export function histogram<T extends string>(config: HistogramConfiguration<T>): Histogram<T> {
  const existing = register.getSingleMetric(config.name);
  return existing instanceof Histogram ? existing : new Histogram(config);
}

/** Latency buckets for calls between services and to Redis (seconds). */
export const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export { register as metricsRegistry };
