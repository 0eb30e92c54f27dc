/**
 * What the RemediationRequest schema (k8s/crds/remediationrequests.yaml) and Kubernetes' naming
 * rules accept of the fields the gateway takes from alert data. The gateway checks every signal
 * against these before any state is written, so that an alert the API server would refuse is
 * refused at the edge, alone, instead of failing in the crd-writer after Redis counted it.
 * resource-constraints.spec.ts proves that these numbers are the schema's.
 *
 * Lengths are the schema's maxLength, which Kubernetes counts in characters (code points).
 */
export const SPEC_MAX_LENGTH = {
  alertname: 1024,
  severity: 256,
  cluster: 256,
  namespace: 63,
  targetKind: 256,
  targetName: 4096,
  labelValue: 4096,
  annotationValue: 16384,
  /** spec.storm.key: made from several label values, so it is shortened to fit, never refused. */
  stormKey: 1024,
} as const;

/** spec.labels and spec.annotations: maxProperties. */
export const SPEC_MAX_PROPERTIES = { labels: 128, annotations: 128 } as const;

/** A namespace name: an RFC 1123 label (lower-case alphanumerics and '-', at most 63). */
export const NAMESPACE_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Most objects' names (a pod's, a RemediationRequest's): an RFC 1123 subdomain. */
export const OBJECT_NAME_PATTERN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The problem with a namespace name, or undefined when Kubernetes accepts it. */
export function namespaceNameProblem(value: string): string | undefined {
  if (NAMESPACE_NAME_PATTERN.test(value)) return undefined;
  return `"${value.length > 80 ? `${value.slice(0, 80)}…` : value}" is not a Kubernetes namespace name (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)`;
}

/** The value cut to at most `max` characters (code points), with '…' marking the cut. */
export function truncateCharacters(value: string, max: number): string {
  if (fitsCharacters(value, max)) return value;
  return `${Array.from(value)
    .slice(0, max - 1)
    .join('')}…`;
}

/** Characters (code points) of a string, counted only when its UTF-16 length could exceed `max`. */
export function fitsCharacters(value: string, max: number): boolean {
  if (value.length <= max) return true;
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // A low surrogate is the second half of a code point already counted.
    if ((unit < 0xdc00 || unit > 0xdfff) && ++count > max) return false;
  }
  return true;
}
