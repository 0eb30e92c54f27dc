/**
 * The rate-limit service's configuration: the only reader of process.env in this app. Every
 * variable, its default and its meaning are listed in docs/operations.md.
 */
import { ConfigError, EnvReader, readCommonConfig, type CommonConfig, type Env } from '@alertgate/config';
import { RATE_LIMIT_DEFAULTS, type Limit, type RateLimits } from '@alertgate/ratelimit';
import { readRedisConfig, type RedisConfig } from '@alertgate/redis';

export interface RateLimitConfig extends CommonConfig {
  readonly port: number;
  /** Prometheus /metrics, on a port of its own. */
  readonly metricsPort: number;
  readonly redis: RedisConfig;
  readonly limits: RateLimits;
}

const DEFAULT_PORT = 50053;

/** "key=rate/burst,…" with rate in units per `per` seconds. */
function overrides(reader: EnvReader, variable: string, perSeconds: number): Map<string, Limit> {
  const out = new Map<string, Limit>();
  for (const entry of reader.list(variable, [])) {
    const match = /^([^=\s]+)=(\d+(?:\.\d+)?)\/(\d+)$/.exec(entry);
    if (!match) throw new ConfigError(variable, `entries must be key=rate/burst, got "${entry}"`);
    const rate = Number(match[2]);
    const burst = Number(match[3]);
    if (rate <= 0 || burst < 1) throw new ConfigError(variable, `rate must be > 0 and burst ≥ 1 in "${entry}"`);
    out.set(match[1] ?? '', { perSecond: rate / perSeconds, burst });
  }
  return out;
}

export function loadConfig(env: Env): RateLimitConfig {
  const reader = new EnvReader(env);
  const d = RATE_LIMIT_DEFAULTS;
  const sourceRate = reader.int('SOURCE_RATE_PER_SECOND', d.source.perSecond, { min: 1, max: 1_000_000 });
  const namespacePerMinute = reader.int('NAMESPACE_CREATIONS_PER_MINUTE', Math.round(d.namespace.perSecond * 60), { min: 1, max: 1_000_000 });
  return {
    ...readCommonConfig(reader),
    port: reader.int('RATELIMIT_PORT', DEFAULT_PORT, { min: 0, max: 65535 }),
    metricsPort: reader.int('METRICS_PORT', 9153, { min: 0, max: 65535 }),
    redis: readRedisConfig(reader),
    limits: {
      source: { perSecond: sourceRate, burst: reader.int('SOURCE_BURST', d.source.burst, { min: 1, max: 1_000_000 }) },
      sourceOverrides: overrides(reader, 'SOURCE_OVERRIDES', 1),
      namespace: { perSecond: namespacePerMinute / 60, burst: reader.int('NAMESPACE_CREATIONS_BURST', d.namespace.burst, { min: 1, max: 1_000_000 }) },
      namespaceOverrides: overrides(reader, 'NAMESPACE_OVERRIDES', 60),
    },
  };
}
