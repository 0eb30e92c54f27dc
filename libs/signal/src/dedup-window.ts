/**
 * How long an incident stays open without a sighting (DEDUP_WINDOW): the dedup service closes it
 * in Redis after this, and the crd-writer adopts no resource last seen longer ago. One default
 * for both, here.
 */
export const DEFAULT_DEDUP_WINDOW_MS = 5 * 3_600_000;
