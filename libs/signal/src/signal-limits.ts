/**
 * Input limits of the gateway. Anything over a limit is refused with a 4xx that names the field,
 * before anything is written (Redis or Kubernetes). Defaults are documented in docs/operations.md.
 */
export interface SignalLimits {
  /** Alerts in one webhook. Set Alertmanager's `max_alerts` at or below it. */
  readonly maxAlerts: number;
  /** Labels per alert, and separately annotations per alert. */
  readonly maxLabels: number;
  readonly maxLabelNameBytes: number;
  readonly maxLabelValueBytes: number;
  readonly maxAnnotationValueBytes: number;
}

export const SIGNAL_LIMIT_DEFAULTS: SignalLimits = {
  maxAlerts: 1000,
  maxLabels: 64,
  maxLabelNameBytes: 256,
  maxLabelValueBytes: 4096,
  maxAnnotationValueBytes: 16384,
};
