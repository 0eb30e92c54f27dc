export { ATTR_BATCH_REQUESTS, ATTR_HTTP_ROUTE, ATTR_INCIDENT_ID, ATTR_OUTCOME_PREFIX, ATTR_SIGNAL_COUNT, ATTR_SIGNAL_SOURCE, ATTR_SINK } from './attributes.js';
export { currentTraceparent, withSpan } from './with-span.js';
