import { errorMessage } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import { counter } from '@alertgate/metrics';
import type * as K8s from '@kubernetes/client-node';

import { loadKubeClient, type KubernetesAccess } from './kube-client.js';

/** An events.k8s.io/v1 Event as the watch gives it: only what the watcher reads itself. */
export interface WatchedEvent {
  readonly metadata?: {
    readonly uid?: string;
    readonly namespace?: string;
    readonly name?: string;
    readonly resourceVersion?: string;
    readonly creationTimestamp?: Date | string;
  };
  readonly type?: string;
  readonly series?: { readonly count?: number; readonly lastObservedTime?: Date | string };
  readonly deprecatedCount?: number;
  readonly deprecatedLastTimestamp?: Date | string;
  readonly eventTime?: Date | string;
  readonly [field: string]: unknown;
}

export interface EventWatchOptions {
  readonly access: KubernetesAccess;
  /** Where the checkpoint (the newest observation handed on) is kept: a ConfigMap of alertgate's namespace. */
  readonly checkpoint: { readonly namespace: string; readonly name: string };
  /** How often a moved checkpoint is written (and at stop). */
  readonly checkpointIntervalMs: number;
  /** Hands on `occurrences` sightings of the event; resolves once they are acknowledged. */
  readonly deliver: (event: WatchedEvent, occurrences: number) => Promise<void>;
  readonly logger: Logger;
  /** Event counts remembered, by uid, to hand on only what a repeat adds (bounded). */
  readonly maxRemembered?: number;
}

const WARNING = 'type=Warning';
/** One delivery never hands on more sightings than this (a series that jumped by thousands). */
const MAX_OCCURRENCES_PER_UPDATE = 100;
const MAX_QUEUED = 10_000;

const watched = counter({
  name: 'alertgate_event_watch_events_total',
  help: 'Warning events the built-in watcher saw, by what it did: delivered, skipped (nothing new since the checkpoint or the last count), or failed (not delivered; retried on the next list).',
  labelNames: ['outcome'],
});

/** When an event was last observed, in ms (series, then the deprecated core/v1 time, then eventTime). */
export function observedAt(event: WatchedEvent): number {
  for (const time of [event.series?.lastObservedTime, event.deprecatedLastTimestamp, event.eventTime, event.metadata?.creationTimestamp]) {
    if (time === undefined || time === null) continue;
    const ms = time instanceof Date ? time.getTime() : Date.parse(time);
    if (!Number.isNaN(ms)) return ms;
  }
  return 0;
}

/** How many times the event was seen: its series count, or the deprecated count, or once. */
export function countOf(event: WatchedEvent): number {
  return Math.max(1, event.series?.count ?? event.deprecatedCount ?? 1);
}

/**
 * Watches the cluster's Warning events (events.k8s.io/v1) and hands each new sighting on, once.
 * No informer cache: a list (in pages) and then a watch from its resourceVersion, with only the
 * last count per event uid remembered (bounded), so memory does not grow with the cluster's
 * events. A repeat hands on what its count added. A checkpoint, the newest observation handed on,
 * is kept in a ConfigMap: after a restart (or a watch that expired, 410) the list hands on only
 * what was observed after it, so old events are not processed twice. A crash between two
 * checkpoint writes can hand on that interval's sightings again (at least once, never lost).
 */
export class EventWatch {
  private api: Promise<{ readonly events: K8s.EventsV1Api; readonly core: K8s.CoreV1Api; readonly watch: K8s.Watch; readonly k8s: typeof K8s }> | undefined;
  private running = false;
  private abort: AbortController | undefined;
  private checkpointMs = 0;
  private writtenCheckpointMs = 0;
  private readonly counts = new Map<string, number>();
  private readonly queue: WatchedEvent[] = [];
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: EventWatchOptions) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => void this.writeCheckpoint(), this.options.checkpointIntervalMs);
    this.timer.unref();
    this.loop = this.run();
  }

  /** Stops watching, finishes the delivery in progress, and writes the checkpoint. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    this.abort?.abort();
    this.wake?.();
    await this.loop;
    await this.writeCheckpoint();
  }

  private client(): NonNullable<EventWatch['api']> {
    this.api ??= loadKubeClient(this.options.access).then(({ config, k8s }) => ({
      events: config.makeApiClient(k8s.EventsV1Api),
      core: config.makeApiClient(k8s.CoreV1Api),
      watch: new k8s.Watch(config),
      k8s,
    }));
    return this.api;
  }

  /** List, then watch, again and again until stopped; a failure waits a second and lists again. */
  private async run(): Promise<void> {
    this.checkpointMs = this.writtenCheckpointMs = await this.readCheckpoint();
    while (this.running) {
      try {
        // A watch the server ended in order resumes from the last resourceVersion it gave; one
        // that failed or expired (410 Gone) lists again.
        let resourceVersion: string | undefined = await this.listAndDeliver();
        while (this.running && resourceVersion !== undefined) resourceVersion = await this.watchAndDeliver(resourceVersion);
      } catch (err) {
        if (this.running) this.options.logger.warn({ err: errorMessage(err) }, 'event watch failed; listing again');
      }
      if (this.running) await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
    }
  }

  private async listAndDeliver(): Promise<string> {
    const { events } = await this.client();
    const items: WatchedEvent[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const page = await events.listEventForAllNamespaces({ fieldSelector: WARNING, limit: 500, ...(token ? { _continue: token } : {}) });
      items.push(...(page.items as unknown as WatchedEvent[]));
      token = page.metadata?._continue;
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (token && this.running);
    items.sort((a, b) => observedAt(a) - observedAt(b));
    for (const event of items) {
      if (!this.running) break;
      await this.handle(event);
    }
    return resourceVersion;
  }

  /** Watches from resourceVersion; resolves with where to resume, or undefined to list again. */
  private async watchAndDeliver(from: string): Promise<string | undefined> {
    const { watch } = await this.client();
    let ended = false;
    let failure: unknown;
    let expired = false;
    let resumeFrom = from;
    this.abort = await watch.watch(
      '/apis/events.k8s.io/v1/events',
      { fieldSelector: WARNING, resourceVersion: from, allowWatchBookmarks: true },
      (phase: string, object: WatchedEvent) => {
        if (phase === 'ERROR') {
          expired = true;
          return;
        }
        resumeFrom = object.metadata?.resourceVersion ?? resumeFrom;
        if (phase !== 'ADDED' && phase !== 'MODIFIED') return;
        // Bounded: past it the watch ends, and the next list picks up from the checkpoint.
        if (this.queue.length >= MAX_QUEUED) this.abort?.abort();
        else this.queue.push(object);
        this.wake?.();
      },
      (err: unknown) => {
        ended = true;
        failure = err;
        this.wake?.();
      },
    );
    while (this.running) {
      const next = this.queue.shift();
      if (next) {
        await this.handle(next);
        continue;
      }
      if (ended) break;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    this.abort.abort();
    const overflowed = this.queue.length > 0;
    this.queue.length = 0;
    if (failure && this.running && !errorMessage(failure).includes('aborted'))
      this.options.logger.info({ err: errorMessage(failure) }, 'event watch ended; listing again');
    return failure || expired || overflowed ? undefined : resumeFrom;
  }

  /** Hands on what the event adds: nothing for a count already handed on or an observation before the checkpoint. */
  private async handle(event: WatchedEvent): Promise<void> {
    if (event.type !== 'Warning') return;
    const uid = event.metadata?.uid ?? `${event.metadata?.namespace}/${event.metadata?.name}`;
    const count = countOf(event);
    const observed = observedAt(event);
    const known = this.counts.get(uid);
    const occurrences = known !== undefined ? count - known : observed > this.checkpointMs ? 1 : 0;
    if (occurrences <= 0) {
      watched.inc({ outcome: 'skipped' });
      this.remember(uid, Math.max(count, known ?? 0));
      return;
    }
    try {
      await this.options.deliver(event, Math.min(occurrences, MAX_OCCURRENCES_PER_UPDATE));
    } catch (err) {
      watched.inc({ outcome: 'failed' });
      this.options.logger.warn(
        { event: `${event.metadata?.namespace}/${event.metadata?.name}`, err: errorMessage(err) },
        'a Warning event could not be delivered',
      );
      return;
    }
    watched.inc({ outcome: 'delivered' });
    this.remember(uid, count);
    this.checkpointMs = Math.max(this.checkpointMs, observed);
  }

  private remember(uid: string, count: number): void {
    this.counts.delete(uid);
    this.counts.set(uid, count);
    const max = this.options.maxRemembered ?? 50_000;
    while (this.counts.size > max) {
      const oldest = this.counts.keys().next().value;
      if (oldest === undefined) break;
      this.counts.delete(oldest);
    }
  }

  private async readCheckpoint(): Promise<number> {
    const { core } = await this.client();
    const { namespace, name } = this.options.checkpoint;
    try {
      const map = await core.readNamespacedConfigMap({ namespace, name });
      const ms = Date.parse(map.data?.['observedUntil'] ?? '');
      return Number.isNaN(ms) ? 0 : ms;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return 0;
      throw err;
    }
  }

  private async writeCheckpoint(): Promise<void> {
    if (this.checkpointMs <= this.writtenCheckpointMs) return;
    const at = this.checkpointMs;
    const { core, k8s } = await this.client();
    const { namespace, name } = this.options.checkpoint;
    const body = Object.assign(new k8s.V1ConfigMap(), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: Object.assign(new k8s.V1ObjectMeta(), { name, namespace, labels: { 'app.kubernetes.io/part-of': 'alertgate' } }),
      data: { observedUntil: new Date(at).toISOString() },
    });
    try {
      try {
        await core.replaceNamespacedConfigMap({ namespace, name, body });
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
        await core.createNamespacedConfigMap({ namespace, body });
      }
      this.writtenCheckpointMs = Math.max(this.writtenCheckpointMs, at);
    } catch (err) {
      this.options.logger.warn({ err: errorMessage(err) }, 'could not write the event watch checkpoint; it is written again later');
    }
  }
}
