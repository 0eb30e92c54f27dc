export { FINGERPRINT_DEFAULTS, FINGERPRINT_PATTERN, fingerprintOf, targetOf } from './fingerprint.js';
export type { FingerprintConfig, Target } from './fingerprint.js';
export { INCIDENT_ID_PATTERN, incidentId, parseIncidentId } from './incident-id.js';
export { FRESHNESS_DEFAULTS } from './freshness.js';
export type { Freshness } from './freshness.js';
export { InvalidInputError } from './input-problem.js';
export type { InputProblem } from './input-problem.js';
export { PARSE_DEFAULTS, parseAlertmanagerWebhook } from './parse-alertmanager-webhook.js';
export type { ParsedWebhook, ParseOptions, RejectedAlert } from './parse-alertmanager-webhook.js';
export {
  fitsCharacters,
  NAMESPACE_NAME_PATTERN,
  OBJECT_NAME_PATTERN,
  namespaceNameProblem,
  SPEC_MAX_LENGTH,
  SPEC_MAX_PROPERTIES,
  truncateCharacters,
} from './resource-constraints.js';
export { parseKubernetesEvent, retarget } from './parse-kubernetes-event.js';
export type { InvolvedObject, KubernetesEventResult } from './parse-kubernetes-event.js';
export { SIGNAL_LIMIT_DEFAULTS } from './signal-limits.js';
export { slug } from './slug.js';
export { keyLabelValue, stormKeyOf } from './storm-key.js';
export type { StormKeyFields } from './storm-key.js';
export type { SignalLimits } from './signal-limits.js';
export { DEFAULT_DEDUP_WINDOW_MS } from './dedup-window.js';
export { firstMatchingSelector, MatcherSyntaxError, parseLabelMatcher, parseMatcherRules, parseMatcherSelector } from './label-matchers.js';
export type { LabelMatcher, MatcherSelector, MatchOperator } from './label-matchers.js';
