/**
 * Storm detection settings. Defaults, and why:
 * - rate: 50 alerts of one key within 60 s. Alertmanager re-sends a group at most every
 *   group_interval (5 min), so 50 alerts of one alertname in one namespace within a minute means
 *   many resources failing at once (a node, a bad rollout, a shared dependency), not one noisy one.
 * - pattern: 20 distinct target resources within 60 s: the same alert on twenty objects is one
 *   cause even when each alerts only once; a handful of failing replicas stay individual
 *   incidents that a controller can handle one by one.
 * - inactivity 5 min (one Alertmanager group_interval): a storm with no alert for that long is
 *   over; max duration 1 h: a storm that never calms down is re-assessed as a new aggregate hourly.
 * - member cap 50 keeps a storm's Redis hash small and listpack-encoded (< 4 KB).
 */
export interface StormSettings {
  readonly rateThreshold: number;
  readonly patternThreshold: number;
  readonly windowMs: number;
  readonly inactivityMs: number;
  readonly maxDurationMs: number;
  readonly memberCap: number;
}

export interface StormConfig {
  readonly defaults: StormSettings;
  /** Per namespace, per alertname, or per "namespace/alertname" (most specific wins). */
  readonly overrides: ReadonlyMap<string, Partial<StormSettings>>;
  /** Labels that make the storm key, in order. */
  readonly keyLabels: readonly string[];
}

export const STORM_DEFAULTS: StormSettings = {
  rateThreshold: 50,
  patternThreshold: 20,
  windowMs: 60_000,
  inactivityMs: 300_000,
  maxDurationMs: 3_600_000,
  memberCap: 50,
};

export function settingsFor(config: StormConfig, namespace: string, alertname: string): StormSettings {
  return {
    ...config.defaults,
    ...config.overrides.get(namespace),
    ...config.overrides.get(alertname),
    ...config.overrides.get(`${namespace}/${alertname}`),
  };
}
