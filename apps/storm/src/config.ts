/**
 * The storm service's configuration: the only reader of process.env in this app. Every
 * variable, its default and its meaning are listed in docs/operations.md.
 */
import { ConfigError, EnvReader, readCommonConfig, type CommonConfig, type Env } from '@alertgate/config';
import { readRedisConfig, type RedisConfig } from '@alertgate/redis';
import { STORM_DEFAULTS, type StormConfig, type StormSettings } from '@alertgate/storm';

export interface StormAppConfig extends CommonConfig {
  readonly port: number;
  readonly metricsPort: number;
  readonly redis: RedisConfig;
  readonly storm: StormConfig;
}

const DEFAULT_PORT = 50052;

const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "scope=rate:50,pattern:10,window:2m,inactivity:5m,max:1h;…" where scope is a namespace, an alertname or namespace/alertname. */
function overrides(raw: string | undefined): Map<string, Partial<StormSettings>> {
  const out = new Map<string, Partial<StormSettings>>();
  if (raw === undefined) return out;
  for (const entry of raw
    .split(';')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [scope, settings] = entry.split('=');
    if (!scope || !settings) throw new ConfigError('STORM_OVERRIDES', `entries must be scope=name:value,…, got "${entry}"`);
    const partial: Record<string, number> = {};
    for (const pair of settings.split(',')) {
      const [name = '', value = ''] = pair.split(':').map((s) => s.trim());
      const duration = DURATION.exec(value);
      const number = duration ? Number(duration[1]) * (UNIT[duration[2] ?? 'ms'] ?? 1) : Number(value);
      const field = { rate: 'rateThreshold', pattern: 'patternThreshold', window: 'windowMs', inactivity: 'inactivityMs', max: 'maxDurationMs' }[name];
      if (!field || !Number.isFinite(number) || number <= 0)
        throw new ConfigError('STORM_OVERRIDES', `unknown or bad setting "${pair}" in "${entry}" (rate, pattern, window, inactivity, max)`);
      partial[field] = number;
    }
    out.set(scope, partial);
  }
  return out;
}

/**
 * A storm's aggregate is named after its alertname and lives in its namespace, so every key must
 * hold both: without them one storm would get an aggregate per alertname or namespace. More
 * labels split keys further (e.g. per service).
 */
function keyLabels(labels: readonly string[]): string[] {
  for (const label of labels) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(label)) throw new ConfigError('STORM_KEY_LABELS', `"${label}" is not a label name`);
  }
  if (new Set(labels).size !== labels.length) throw new ConfigError('STORM_KEY_LABELS', 'names a label twice');
  if (!labels.includes('namespace') || !labels.includes('alertname')) {
    throw new ConfigError('STORM_KEY_LABELS', `must include namespace and alertname (and may add labels), got "${labels.join(',')}"`);
  }
  return [...labels];
}

export function loadConfig(env: Env): StormAppConfig {
  const reader = new EnvReader(env);
  const d = STORM_DEFAULTS;
  return {
    ...readCommonConfig(reader),
    port: reader.int('STORM_PORT', DEFAULT_PORT, { min: 0, max: 65535 }),
    metricsPort: reader.int('METRICS_PORT', 9152, { min: 0, max: 65535 }),
    redis: readRedisConfig(reader),
    storm: {
      keyLabels: keyLabels(reader.list('STORM_KEY_LABELS', ['namespace', 'alertname'])),
      overrides: overrides(reader.optional('STORM_OVERRIDES')),
      defaults: {
        rateThreshold: reader.int('STORM_RATE_THRESHOLD', d.rateThreshold, { min: 2, max: 1_000_000 }),
        patternThreshold: reader.int('STORM_PATTERN_THRESHOLD', d.patternThreshold, { min: 2, max: 64 }),
        windowMs: reader.durationMs('STORM_WINDOW', d.windowMs, { min: 1_000, max: 3_600_000 }),
        inactivityMs: reader.durationMs('STORM_INACTIVITY', d.inactivityMs, { min: 1_000, max: 86_400_000 }),
        maxDurationMs: reader.durationMs('STORM_MAX_DURATION', d.maxDurationMs, { min: 1_000, max: 7 * 86_400_000 }),
        // Bounded so that a storm's hash stays small and listpack-encoded (under 4 KB).
        memberCap: reader.int('STORM_MEMBER_CAP', d.memberCap, { min: 1, max: 64 }),
      },
    },
  };
}
