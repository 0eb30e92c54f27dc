/**
 * How far a signal's own times may be from the gateway's clock. Kept in one place so that the
 * alert and event parsers, the configuration and the documentation share one default each.
 */
export interface Freshness {
  /**
   * An alert that starts more than this ahead of the gateway's clock is refused: the sender's
   * clock is wrong, and its times would order the incident's history wrongly.
   */
  readonly maxFutureSkewMs: number;
  /**
   * A Warning event last seen longer ago than this is ignored: it is a replay (an event
   * exporter's restart, an old list), not a problem of now. One hour is the API server's own
   * default event TTL (--event-ttl): what is older is gone from the cluster too.
   */
  readonly maxEventAgeMs: number;
}

export const FRESHNESS_DEFAULTS: Freshness = { maxFutureSkewMs: 5 * 60_000, maxEventAgeMs: 60 * 60_000 };

/** Whole seconds, for the problems and reasons that name a time difference. */
export function wholeSeconds(ms: number): string {
  return `${Math.floor(ms / 1000)} s`;
}
