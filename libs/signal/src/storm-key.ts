/** The fields a storm key is read from: a Signal, or a RemediationRequest's spec. */
export interface StormKeyFields {
  readonly namespace: string;
  readonly alertname: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** One key label's value: namespace and alertname from their own fields, others from the labels. */
export function keyLabelValue(label: string, fields: StormKeyFields): string {
  return label === 'namespace' ? fields.namespace : label === 'alertname' ? fields.alertname : (fields.labels[label] ?? '');
}

/**
 * The storm key of an alert: its STORM_KEY_LABELS values joined by "/". The storm service keys
 * on it; the gateway (StormKeys) and the crd-writer (storm links) must read it the same way.
 */
export function stormKeyOf(keyLabels: readonly string[], fields: StormKeyFields): string {
  return keyLabels.map((label) => keyLabelValue(label, fields)).join('/');
}
