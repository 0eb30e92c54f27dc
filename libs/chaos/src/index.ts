export { AlertmanagerLikeSender } from './alertmanager-like-sender.js';
export type { Failure, SenderOptions } from './alertmanager-like-sender.js';
export { CHAOS_DEFAULTS, CHAOS_SHORT, runChaos } from './chaos-run.js';
export type { ChaosOptions, ChaosReport, FaultOutcome } from './chaos-run.js';
export { Ledger } from './ledger.js';
export type { LedgerEntry } from './ledger.js';
export { compareLedger } from './verify-ledger.js';
export type { Finding, LedgerComparison, ResourceView } from './verify-ledger.js';
