/** One limit: a sustained rate and a burst (GCRA), with a name for headers and metrics. */
export interface Limit {
  /** Units per second. */
  readonly perSecond: number;
  /** Units that may go at once on an idle limiter. */
  readonly burst: number;
}

export interface RateLimits {
  /** Requests per source (client identity from the bearer token, else client address). */
  readonly source: Limit;
  readonly sourceOverrides: ReadonlyMap<string, Limit>;
  /** New RemediationRequests per namespace. */
  readonly namespace: Limit;
  readonly namespaceOverrides: ReadonlyMap<string, Limit>;
}

/**
 * Defaults. Alertmanager sends one request per group per group_interval (an HA pair twice), so a
 * busy one stays well under 10 requests/s; 50/s with a burst of 100 absorbs the catch-up after an
 * outage and stops a runaway client. 30 new incidents per namespace per minute (burst 30) is more
 * than any remediation controller should start in one namespace; beyond it an alert storm should
 * be folded, not remediated resource by resource.
 */
export const RATE_LIMIT_DEFAULTS: RateLimits = {
  source: { perSecond: 50, burst: 100 },
  sourceOverrides: new Map(),
  namespace: { perSecond: 0.5, burst: 30 },
  namespaceOverrides: new Map(),
};

/** The draft's policy form: quota q over window w seconds (time for an empty limiter to refill). */
export function policyOf(name: string, limit: Limit): string {
  return `"${name}";q=${limit.burst};w=${Math.max(1, Math.round(limit.burst / limit.perSecond))}`;
}
