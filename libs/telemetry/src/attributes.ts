/**
 * Span attribute names of alertgate's own domain. Standard ones (http.*, rpc.*, db.*) come from
 * the instrumentations and follow the OpenTelemetry semantic conventions; these add what only
 * alertgate knows.
 */
export const ATTR_SIGNAL_COUNT = 'alertgate.signal.count';
/** How many webhooks one pipeline run served together (the gateway batches concurrent ones). */
export const ATTR_BATCH_REQUESTS = 'alertgate.batch.requests';
export const ATTR_SIGNAL_SOURCE = 'alertgate.signal.source';
export const ATTR_OUTCOME_PREFIX = 'alertgate.outcome.';
export const ATTR_INCIDENT_ID = 'alertgate.incident.id';
export const ATTR_SINK = 'alertgate.sink';

/** Semantic-convention attributes that alertgate sets itself (no instrumentation knows them). */
export const ATTR_HTTP_ROUTE = 'http.route';
