export { IngestMetrics } from './ingest-metrics.js';
export { IngestPipeline } from './ingest-pipeline.js';
export type { CrdWriterPort, DedupPort, IngestRequest, PipelineResult, RateLimitPort, RefusedResult, SignalOutcome, SignalResult, StormPort } from './ingest-pipeline.js';
export { BATCHER_DEFAULTS, PipelineBatcher } from './pipeline-batcher.js';
export type { PipelineBatcherOptions } from './pipeline-batcher.js';
export { createIngestServer, ROUTES } from './ingest-server.js';
export type { IngestAuth, IngestServerOptions, ReadinessReport } from './ingest-server.js';
export { problem, PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from './problem.js';
export type { Problem, ProblemType } from './problem.js';
