export { applyBatch, CRD_WRITER_SERVICE_NAME, createCrdWriterService } from './crd-writer-service.js';
export type { DedupLink } from './crd-writer-service.js';
export { FileSink } from './file-sink.js';
export { NullSink } from './null-sink.js';
export { KubernetesSink } from './kubernetes-sink.js';
export type { KubernetesSinkOptions } from './kubernetes-sink.js';
export {
  ANNOTATION_SENDER,
  ANNOTATION_TRACE_ID,
  buildRemediationRequest,
  FINGERPRINT_LABEL_DIGITS,
  LABEL_ALERTNAME,
  LABEL_FINGERPRINT,
  LABEL_MANAGED_BY,
  LABEL_ORIGIN_NAMESPACE,
  isTerminal,
  TERMINAL_PHASES,
  labelValue,
  mergeStatus,
  resolutionStatus,
  resourceName,
  RR_API_VERSION,
  RR_GROUP,
  RR_KIND,
  RR_PLURAL,
  RR_VERSION,
} from './remediation-request.js';
export type { OpenIncident, RemediationRequest, RemediationRequestStatus, ResourceKey } from './remediation-request.js';
export type { OpenResult, RemediationSink, ResolveRequest, ResolveResult } from './remediation-sink.js';
export { CREATE_LIMITER_DEFAULTS, CreateLimiter } from './create-limiter.js';
export { STATUS_WRITES_IN_FLIGHT_DEFAULT } from './status-coalescer.js';
export type { CreateLimiterOptions } from './create-limiter.js';
