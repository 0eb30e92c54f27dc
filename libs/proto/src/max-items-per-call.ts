/**
 * The most items one gRPC call of any alertgate service takes (signals, incidents, updates,
 * inputs, admissions and their namespace demands). The gateway never sends more: a run holds at
 * most INGEST_BATCH_MAX_SIGNALS (≤ 10,000) signals, or one webhook of INGEST_MAX_ALERTS
 * (≤ 10,000). It bounds what one call makes a service hold and send to Redis at once; more is
 * INVALID_ARGUMENT.
 */
export const MAX_ITEMS_PER_CALL = 10_000;
