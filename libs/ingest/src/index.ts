export { IngestMetrics } from './ingest-metrics.js';
export { IngestPipeline } from './ingest-pipeline.js';
export type { CrdWriterPort, DedupPort, PipelineResult, RateLimitPort, SignalOutcome, SignalResult } from './ingest-pipeline.js';
export { createIngestServer, ROUTES } from './ingest-server.js';
export type { IngestAuth, IngestServerOptions, ReadinessReport } from './ingest-server.js';
export { problem, PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from './problem.js';
export type { Problem, ProblemType } from './problem.js';
