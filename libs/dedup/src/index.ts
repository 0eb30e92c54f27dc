export { DEDUP_DEFAULTS, DedupStore, FIELD_DIGITS, SHARD_DIGITS } from './dedup-store.js';
export type { DedupDecision, DedupOutcome, DedupQuery, DedupStoreOptions, IncidentState } from './dedup-store.js';
export { createDedupService, DEDUP_SERVICE_NAME } from './dedup-service.js';
