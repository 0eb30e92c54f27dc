import { Action, type IncidentUpdate } from '@alertgate/proto';

/**
 * Which crd-writer call each update of a run goes in, so that a webhook waits only for its own
 * work. Updates that only change a status (repeats, which travel trimmed, and resolutions) go in
 * one call for the whole run: they cost the crd-writer a cache read and a scheduled write each.
 * Updates that may create a resource (whole signals: new incidents; folds: a storm's aggregate)
 * take a Kubernetes create each, and go in a call of the webhook that brings them, which only it
 * waits for. The updates of one incident (one storm's aggregate) stay in one call, in order: an
 * incident a webhook creates goes with its repeats in the run's other webhooks, which then wait
 * for that call too.
 */
export interface WritePlan {
  /** Indexes of the updates of the run's shared call. */
  readonly shared: readonly number[];
  /** Per webhook (its index in the run), the indexes of the updates of its own call. */
  readonly own: ReadonlyMap<number, readonly number[]>;
  /** Per webhook, the webhooks whose own calls it waits for (itself, when it has one). */
  readonly waits: ReadonlyMap<number, ReadonlySet<number>>;
}

/** Whether the crd-writer may have to create a resource for the update. */
function mayCreate(update: IncidentUpdate): boolean {
  return !update.signalTrimmed && update.action !== Action.ACTION_RESOLVE;
}

/** The incident (or storm aggregate) an update belongs to: its updates keep their order. */
function subjectOf(update: IncidentUpdate): string {
  const aggregate = update.action === Action.ACTION_FOLD ? update.storm?.aggregate : undefined;
  if (aggregate) return `storm:${aggregate.namespace}/${aggregate.name}`;
  return `${update.signal?.namespace ?? ''}/${update.signal?.fingerprint ?? ''}`;
}

/** The plan for a run's updates; `webhookOf[k]` is the webhook that brought update k. */
export function planWrites(updates: readonly IncidentUpdate[], webhookOf: readonly number[]): WritePlan {
  const subjects = updates.map(subjectOf);
  // Per subject: the first webhook that brings it, and whether any of its updates may create.
  const firsts = new Map<string, { readonly webhook: number; creates: boolean }>();
  updates.forEach((update, k) => {
    const subject = subjects[k] ?? '';
    const first = firsts.get(subject);
    if (first) first.creates ||= mayCreate(update);
    else firsts.set(subject, { webhook: webhookOf[k] ?? 0, creates: mayCreate(update) });
  });
  const shared: number[] = [];
  const own = new Map<number, number[]>();
  const waits = new Map<number, Set<number>>();
  updates.forEach((_update, k) => {
    const first = firsts.get(subjects[k] ?? '');
    if (!first?.creates) {
      shared.push(k);
      return;
    }
    const owner = first.webhook;
    const list = own.get(owner);
    if (list) list.push(k);
    else own.set(owner, [k]);
    const webhook = webhookOf[k] ?? owner;
    const waited = waits.get(webhook);
    if (waited) waited.add(owner);
    else waits.set(webhook, new Set([owner]));
  });
  return { shared, own, waits };
}
