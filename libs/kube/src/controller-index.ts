import { errorMessage } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import { gauge } from '@alertgate/metrics';
import type * as K8s from '@kubernetes/client-node';

import { loadKubeClient, type KubernetesAccess } from './kube-client.js';
import type { OwnedObject } from './owner-resolver.js';

/** The kinds whose objects are owned by a controller in the usual chains: a pod, its ReplicaSet, its Job. */
const INDEXED_KINDS = [
  { apiVersion: 'v1', kind: 'Pod', path: '/api/v1/pods' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', path: '/apis/apps/v1/replicasets' },
  { apiVersion: 'batch/v1', kind: 'Job', path: '/apis/batch/v1/jobs' },
] as const;

type IndexedKind = (typeof INDEXED_KINDS)[number];

/** What of the API client the index uses (a fake in unit tests). */
export interface ControllerIndexClient {
  readonly objects: Pick<K8s.KubernetesObjectApi, 'list'>;
  readonly watch: Pick<K8s.Watch, 'watch'>;
}

export interface ControllerIndexOptions {
  readonly access: KubernetesAccess;
  /** The API client; made from `access` when absent. */
  readonly client?: ControllerIndexClient;
  readonly logger: Logger;
  /** Objects kept at most, live and deleted together; the oldest is forgotten first. */
  readonly maxEntries?: number;
  /** How long a deleted object's controller is kept: a resolution of a pod a rollout removed still finds its workload. */
  readonly deletedTtlMs?: number;
}

const CONTROLLER_INDEX_DEFAULTS = { maxEntries: 100_000, deletedTtlMs: 6 * 3_600_000 } as const;
const LIST_PAGE = 500;

interface Entry {
  readonly controller: OwnedObject | undefined;
  /** Set once the object was deleted (or missing from a list): kept until the TTL. */
  readonly deletedAt?: number;
}

interface ObjectMeta {
  readonly metadata?: K8s.V1ObjectMeta;
}

const indexed = gauge({
  name: 'alertgate_owner_index_objects',
  help: 'Objects (pods, ReplicaSets, Jobs) whose controller the gateway keeps from its watch, live and recently deleted.',
});

const keyOf = (kind: string, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

function controllerOf(object: ObjectMeta): OwnedObject | undefined {
  const reference = object.metadata?.ownerReferences?.find((candidate) => candidate.controller === true);
  if (!reference?.apiVersion || !reference.kind || !reference.name) return undefined;
  return { apiVersion: reference.apiVersion, kind: reference.kind, namespace: object.metadata?.namespace ?? '', name: reference.name };
}

/**
 * The controllers of the cluster's pods, ReplicaSets and Jobs, kept from a list and a watch of
 * each (an informer that keeps only each object's controller reference, not the object), so that
 * resolving an alert's pod to its workload costs no API call. A deleted object's controller is
 * kept for `deletedTtlMs`: the resolution of a pod that a rollout replaced arrives minutes after
 * the pod is gone. Bounded by `maxEntries`. Until a kind's first list is in, and for an object it
 * does not know, it answers undefined, and the caller reads the API.
 */
export class ControllerIndex {
  private readonly options: Required<Omit<ControllerIndexOptions, 'client'>>;
  private readonly entries = new Map<string, Entry>();
  private readonly synced = new Set<string>();
  private readonly aborts = new Set<AbortController>();
  private client: Promise<ControllerIndexClient> | undefined;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(options: ControllerIndexOptions) {
    const { client, ...rest } = options;
    this.options = { ...CONTROLLER_INDEX_DEFAULTS, ...rest };
    if (client) this.client = Promise.resolve(client);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether every kind's first list is in. */
  get isSynced(): boolean {
    return this.synced.size === INDEXED_KINDS.length;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = INDEXED_KINDS.map((kind) => this.run(kind));
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const abort of this.aborts) abort.abort();
    await Promise.all(this.loops);
  }

  /** The object's controller (undefined inside: it has none), or undefined when the index does not know the object. */
  lookup(object: OwnedObject): { readonly controller: OwnedObject | undefined } | undefined {
    if (!this.synced.has(object.kind)) return undefined;
    const entry = this.entries.get(keyOf(object.kind, object.namespace, object.name));
    if (!entry) return undefined;
    if (entry.deletedAt !== undefined && Date.now() - entry.deletedAt > this.options.deletedTtlMs) {
      this.entries.delete(keyOf(object.kind, object.namespace, object.name));
      return undefined;
    }
    return { controller: entry.controller };
  }

  private api(): Promise<ControllerIndexClient> {
    this.client ??= loadKubeClient(this.options.access).then(({ config, k8s }) => ({
      objects: k8s.KubernetesObjectApi.makeApiClient(config),
      watch: new k8s.Watch(config),
    }));
    return this.client;
  }

  /** List, then watch from the list's resourceVersion, again after every failure or expiry. */
  private async run(kind: IndexedKind): Promise<void> {
    while (this.running) {
      try {
        let resourceVersion: string | undefined = await this.list(kind);
        while (this.running && resourceVersion !== undefined) resourceVersion = await this.watch(kind, resourceVersion);
      } catch (err) {
        if (this.running) this.options.logger.warn({ kind: kind.kind, err: errorMessage(err) }, 'owner index: list or watch failed; listing again');
      }
      if (this.running) await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
    }
  }

  /** A full list in pages; what the index held live of the kind and the list lacks was deleted meanwhile. */
  private async list(kind: IndexedKind): Promise<string> {
    const { objects } = await this.api();
    const seen = new Set<string>();
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const page = await objects.list<ObjectMeta & K8s.KubernetesObject>(
        kind.apiVersion,
        kind.kind,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        LIST_PAGE,
        token,
      );
      for (const item of page.items) seen.add(this.put(kind, item));
      token = page.metadata?._continue;
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (token && this.running);
    const prefix = `${kind.kind}/`;
    for (const [key, entry] of this.entries) if (key.startsWith(prefix) && entry.deletedAt === undefined && !seen.has(key)) this.markDeleted(key, entry);
    this.synced.add(kind.kind);
    this.sweep();
    return resourceVersion;
  }

  /** Resolves with where to resume, or undefined to list again (the watch failed or expired). */
  private async watch(kind: IndexedKind, from: string): Promise<string | undefined> {
    const { watch } = await this.api();
    let resumeFrom: string | undefined = from;
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const onEvent = (phase: string, object: ObjectMeta): void => {
      if (phase === 'ERROR') resumeFrom = undefined;
      else if (resumeFrom !== undefined) resumeFrom = object.metadata?.resourceVersion ?? resumeFrom;
      if (phase === 'ADDED' || phase === 'MODIFIED') this.put(kind, object);
      else if (phase === 'DELETED') this.remove(kind, object);
    };
    // The client ends a watch that is quiet for 30 s ("aborted due to timeout"): resumed, not listed again.
    const onEnd = (err: unknown): void => {
      if (err && !errorMessage(err).includes('aborted')) resumeFrom = undefined;
      ended();
    };
    const abort = await watch.watch(kind.path, { resourceVersion: from, allowWatchBookmarks: true }, onEvent, onEnd);
    this.aborts.add(abort);
    if (!this.running) abort.abort();
    await done;
    this.aborts.delete(abort);
    this.sweep();
    return this.running ? resumeFrom : undefined;
  }

  private put(kind: IndexedKind, object: ObjectMeta): string {
    const key = keyOf(kind.kind, object.metadata?.namespace ?? '', object.metadata?.name ?? '');
    if (!this.entries.has(key)) this.makeRoom();
    this.entries.set(key, { controller: controllerOf(object) });
    indexed.set(this.entries.size);
    return key;
  }

  private remove(kind: IndexedKind, object: ObjectMeta): void {
    const key = keyOf(kind.kind, object.metadata?.namespace ?? '', object.metadata?.name ?? '');
    const entry = this.entries.get(key);
    this.markDeleted(key, entry ?? { controller: controllerOf(object) });
  }

  private markDeleted(key: string, entry: Entry): void {
    // Deleted objects go to the end: the oldest (live ones first) are forgotten first when full.
    this.entries.delete(key);
    this.makeRoom();
    this.entries.set(key, { controller: entry.controller, deletedAt: Date.now() });
    indexed.set(this.entries.size);
  }

  private makeRoom(): void {
    while (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) return;
      this.entries.delete(oldest);
    }
  }

  /** Forgets deleted objects past their TTL (after each list and each watch). */
  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.deletedAt !== undefined && now - entry.deletedAt > this.options.deletedTtlMs) this.entries.delete(key);
    indexed.set(this.entries.size);
  }
}
