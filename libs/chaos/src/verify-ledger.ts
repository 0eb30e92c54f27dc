import type { LedgerEntry } from './ledger.js';

/** The fields of a RemediationRequest the comparison reads. */
export interface ResourceView {
  readonly metadata: { readonly name: string };
  readonly spec: { readonly alertname: string; readonly labels: Readonly<Record<string, string>> };
  readonly status?: { readonly occurrences?: number; readonly alertState?: string; readonly resolvedAt?: string };
}

/** One kind of loss, with the alerts it hit (at most a few named). */
export interface Finding {
  readonly count: number;
  readonly examples: readonly string[];
}

/** The ledger against the resources: every figure is a loss or a duplicate, and must be 0. */
export interface LedgerComparison {
  readonly acknowledgedAlerts: number;
  readonly acknowledgedResolutions: number;
  readonly resources: number;
  /** Alerts answered 200 while firing, with no resource. */
  readonly withoutResource: Finding;
  /** Alerts with more than one resource still open (each alert here fires once, then resolves). */
  readonly moreThanOneOpen: Finding;
  /** Resolutions answered 200 that no resource records. */
  readonly resolutionsNotRecorded: Finding;
  /** Resources whose occurrences are below the deliveries answered 200. */
  readonly occurrencesBelowAcknowledged: Finding;
}

const EXAMPLES = 5;

export function finding(hits: readonly string[]): Finding {
  return { count: hits.length, examples: hits.slice(0, EXAMPLES) };
}

const isResolved = (resource: ResourceView): boolean => resource.status?.alertState === 'Resolved' || resource.status?.resolvedAt !== undefined;

/** Compares what the sender was acknowledged with the resources on the API server. */
export function compareLedger(
  entries: readonly LedgerEntry[],
  resources: readonly ResourceView[],
  describe: (entry: LedgerEntry) => string = () => '',
): LedgerComparison {
  const byAlert = new Map<string, ResourceView[]>();
  for (const resource of resources) {
    const key = `${resource.spec.alertname}/${resource.spec.labels['pod'] ?? ''}`;
    byAlert.set(key, [...(byAlert.get(key) ?? []), resource]);
  }
  const without: string[] = [];
  const doubled: string[] = [];
  const notResolved: string[] = [];
  const below: string[] = [];
  for (const entry of entries) {
    const key = `${entry.alertname}/${entry.pod}${describe(entry)}`;
    const found = byAlert.get(`${entry.alertname}/${entry.pod}`) ?? [];
    if (entry.firingAcks > 0 && found.length === 0) without.push(key);
    const open = found.filter((resource) => !isResolved(resource));
    if (open.length > 1) doubled.push(`${key}: ${open.map((resource) => resource.metadata.name).join(', ')}`);
    if (entry.resolvedAcked && found.length > 0 && open.length > 0) notResolved.push(key);
    const occurrences = found.reduce((sum, resource) => sum + (resource.status?.occurrences ?? 0), 0);
    if (found.length > 0 && occurrences < entry.firingAcks) below.push(`${key}: ${occurrences} < ${entry.firingAcks}`);
  }
  return {
    acknowledgedAlerts: entries.filter((entry) => entry.firingAcks > 0).length,
    acknowledgedResolutions: entries.filter((entry) => entry.resolvedAcked).length,
    resources: resources.length,
    withoutResource: finding(without),
    moreThanOneOpen: finding(doubled),
    resolutionsNotRecorded: finding(notResolved),
    occurrencesBelowAcknowledged: finding(below),
  };
}
