// The contracts between alertgate's services, generated from proto/ by ts-proto
// (npm run proto:gen). Explicit exports: what the rest of the code base may use.
export {
  Action,
  ApplyBatchRequest,
  ApplyBatchResponse,
  ApplyResult,
  CrdWriterServiceClient,
  CrdWriterServiceService,
  Effect,
  IncidentUpdate,
} from './gen/alertgate/crdwriter/v1/crdwriter.js';
export type { CrdWriterServiceServer } from './gen/alertgate/crdwriter/v1/crdwriter.js';
export {
  AdoptRequest,
  AdoptResponse,
  CheckBatchRequest,
  CheckBatchResponse,
  Decision,
  DedupServiceClient,
  DedupServiceService,
  ForgetBatchRequest,
  ForgetBatchResponse,
  ForgetRequest,
  ForgetResponse,
  Incident,
  Outcome,
} from './gen/alertgate/dedup/v1/dedup.js';
export type { DedupServiceServer } from './gen/alertgate/dedup/v1/dedup.js';
export {
  AdmitRequest,
  AdmitResponse,
  Admission,
  AdmissionResult,
  CheckSourceRequest,
  CheckSourceResponse,
  CreationDemand,
  CreationGrant,
  Quota,
  RateLimitServiceClient,
  RateLimitServiceService,
  ReserveCreationsRequest,
  ReserveCreationsResponse,
} from './gen/alertgate/ratelimit/v1/ratelimit.js';
export type { RateLimitServiceServer } from './gen/alertgate/ratelimit/v1/ratelimit.js';
export { AlertmanagerRef, ResourceRef, Signal, Source, Status, TargetResource } from './gen/alertgate/signal/v1/signal.js';
export {
  EvaluateBatchRequest,
  EvaluateBatchResponse,
  Storm,
  StormInput,
  StormServiceClient,
  StormServiceService,
  StormType,
  Verdict,
} from './gen/alertgate/storm/v1/storm.js';
export type { StormServiceServer } from './gen/alertgate/storm/v1/storm.js';
export { Duration } from './gen/google/protobuf/duration.js';
export { Timestamp } from './gen/google/protobuf/timestamp.js';
export { descriptorSetBase64 } from './gen/descriptor-set.js';
export { durationFromMillis, durationToMillis } from './durations.js';
export { fromMillis, toMillis } from './timestamps.js';
export { MAX_ITEMS_PER_CALL } from './max-items-per-call.js';
