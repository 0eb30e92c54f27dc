export { IngestMetrics } from './ingest-metrics.js';
export { MaintenanceSchedule, MaintenanceWindowsError, parseMaintenanceWindows } from './maintenance-windows.js';
export type { MaintenanceScheduleOptions, MaintenanceWindow } from './maintenance-windows.js';
export { IngestPipeline } from './ingest-pipeline.js';
export type {
  CrdWriterPort,
  DedupPort,
  IngestRequest,
  PipelineResult,
  RateLimitPort,
  RefusedResult,
  SignalOutcome,
  SignalResult,
  StormPort,
} from './ingest-pipeline.js';
export { BATCHER_DEFAULTS, PipelineBatcher } from './pipeline-batcher.js';
export type { PipelineBatcherOptions } from './pipeline-batcher.js';
export { createIngestServer, DEFAULT_DROP_RULES, INGEST_SERVER_DEFAULTS, ROUTES } from './ingest-server.js';
export type { IngestServerOptions, ReadinessReport } from './ingest-server.js';
export type { ManagedScope } from './ignored-signals.js';
export { bearerToken, firstOf, NO_AUTHENTICATION, SenderTokens, withTokenReview } from './sender-tokens.js';
export { watchedEventDelivery } from './watched-events.js';
export type { WatchedEventDeliveryOptions } from './watched-events.js';
export type { Authentication, Authenticator, IngestAuth, SenderTokensOptions, TokenSource } from './sender-tokens.js';
export { problem, PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from './problem.js';
export type { Problem, ProblemType } from './problem.js';
export type { OwnerLookup } from './workload-incidents.js';
