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
/** An update of a run and the webhook (its index in the run) that brought it. */
export interface PlannedUpdate {
  readonly update: IncidentUpdate;
  readonly webhook: number;
}

export interface WritePlan<T extends PlannedUpdate> {
  /** The updates of the run's shared call. */
  readonly shared: readonly T[];
  /** Per webhook, the updates of its own call. */
  readonly own: ReadonlyMap<number, readonly T[]>;
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

/** Per subject: the first webhook that brings it, and whether any of its updates may create. */
function firstsOf(planned: readonly { readonly subject: string; readonly of: PlannedUpdate }[]): Map<string, { readonly webhook: number; creates: boolean }> {
  const firsts = new Map<string, { readonly webhook: number; creates: boolean }>();
  for (const { subject, of } of planned) {
    const first = firsts.get(subject);
    if (first) first.creates ||= mayCreate(of.update);
    else firsts.set(subject, { webhook: of.webhook, creates: mayCreate(of.update) });
  }
  return firsts;
}

/** The plan for a run's updates, in their order. */
export function planWrites<T extends PlannedUpdate>(updates: readonly T[]): WritePlan<T> {
  const planned = updates.map((of) => ({ subject: subjectOf(of.update), of }));
  const firsts = firstsOf(planned);
  const shared: T[] = [];
  const own = new Map<number, T[]>();
  const waits = new Map<number, Set<number>>();
  for (const { subject, of } of planned) {
    const first = firsts.get(subject);
    if (!first?.creates) {
      shared.push(of);
      continue;
    }
    const owner = first.webhook;
    const list = own.get(owner);
    if (list) list.push(of);
    else own.set(owner, [of]);
    const waited = waits.get(of.webhook);
    if (waited) waited.add(owner);
    else waits.set(of.webhook, new Set([owner]));
  }
  return { shared, own, waits };
}
