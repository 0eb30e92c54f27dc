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
 * The storm key of an alert: its STORM_KEY_LABELS values joined by "/", each with "%" and "/"
 * percent-encoded so that two different sets of values never make one key ("a/b" + "c" against
 * "a" + "b/c"; storm-key.spec.ts). Values without either character — every namespace, and the
 * alertnames of the default key in practice — read as before: "namespace/alertname". The storm
 * service keys on it; the gateway (StormKeys) reads it the same way.
 */
export function stormKeyOf(keyLabels: readonly string[], fields: StormKeyFields): string {
  return keyLabels.map((label) => escapeKeyPart(keyLabelValue(label, fields))).join('/');
}

const KEY_SPECIAL = /[%/]/g;
const escapeKeyPart = (value: string): string =>
  value.includes('/') || value.includes('%') ? value.replace(KEY_SPECIAL, (c) => (c === '%' ? '%25' : '%2F')) : value;
