import { mkdir, readdir, readFile, rename, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';

import { AlertgateError, Code } from '@alertgate/errors';
import { Source } from '@alertgate/proto';
import { NAMESPACE_NAME_PATTERN } from '@alertgate/signal';
import { parse, stringify } from 'yaml';

import { KeyedMutex } from './keyed-mutex.js';
import {
  aggregateStatus,
  applyStatus,
  belongsToStorm,
  buildAggregate,
  buildRemediationRequest,
  endedStormStatus,
  STORM_END_MARGIN_MS,
  FINGERPRINT_LABEL_DIGITS,
  firedAt,
  isReopenable,
  LABEL_FINGERPRINT,
  openStatus,
  quietEventStatus,
  reopenedStatus,
  resolutionStatus,
  resourceName,
  type FoldedSignal,
  type OpenIncident,
  type RemediationRequest,
} from './remediation-request.js';
import type { OpenOptions, OpenResult, RemediationSink, ResolveRequest, ResolveResult } from './remediation-sink.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** Resolutions (flap damping) and open event incidents (quiet time) remembered, each at most. */
const MAX_REMEMBERED = 10_000;

/**
 * Writes each RemediationRequest as `<root>/<namespace>/<name>.yaml`: the object the API server
 * would hold, status included. For local runs and demos (the default of `npm start`); one writer
 * process per directory.
 */
export interface FileSinkOptions {
  /** The directory: `<root>/<namespace>/<name>.yaml`. */
  readonly root: string;
  /** Flap damping, as the kubernetes sink's (FLAP_HOLD_TIME); 0: never. */
  readonly flapHoldMs: number;
  /** A Warning event's incident not seen for this long is resolved (EVENT_QUIET_TIME); 0: never. */
  readonly eventQuietMs: number;
}

export class FileSink implements RemediationSink {
  readonly kind = 'file';
  readonly root: string;
  private readonly mutex = new KeyedMutex();
  /** Resolutions this sink wrote, by namespace and fingerprint: the resource's name. */
  private readonly recentlyResolved = new Map<string, string>();
  /**
   * The Warning events' resources this sink opened, by path, for closeQuietEvents: reading every
   * file of the directory on each sweep would cost as much as the resources it holds.
   */
  private readonly openEvents = new Set<string>();

  constructor(private readonly options: FileSinkOptions) {
    this.root = options.root;
  }

  private path(namespace: string, name: string): string {
    // Names become paths: only Kubernetes-valid names, so nothing can escape the root.
    if (!NAMESPACE_NAME_PATTERN.test(namespace)) throw new AlertgateError(Code.InvalidArgument, `namespace "${namespace}" is not a valid Kubernetes namespace`);
    if (!DNS_SUBDOMAIN.test(name)) throw new AlertgateError(Code.InvalidArgument, `name "${name}" is not a valid Kubernetes name`);
    return join(this.root, namespace, `${name}.yaml`);
  }

  private async read(path: string): Promise<RemediationRequest | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AlertgateError(Code.Unavailable, `cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
    return parse(text) as RemediationRequest;
  }

  private async write(path: string, object: RemediationRequest): Promise<void> {
    try {
      await mkdir(join(path, '..'), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, stringify(object), 'utf8');
      await rename(tmp, path);
    } catch (err) {
      throw new AlertgateError(Code.Unavailable, `cannot write ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  async open(incident: OpenIncident, options: OpenOptions = {}): Promise<OpenResult> {
    const { namespace } = incident.signal;
    const name = resourceName(incident.signal.alertname, incident.incidentId);
    const ref = { namespace, name };
    const updated = await this.mutex.run(this.path(namespace, name), () => this.updateIn(ref, incident, true));
    if (updated) return updated.result;
    // Resolved moments ago and firing again (a flapping alert): the same resource, reopened, and
    // the dedup window adopts its incident.
    const resolved = await this.findReopenable(namespace, incident);
    if (resolved) {
      const other = { namespace, name: resolved.metadata.name };
      const reopened = await this.mutex.run(this.path(namespace, other.name), () => this.updateIn(other, incident, false));
      if (reopened) return { ...reopened.result, adopted: { incidentId: resolved.spec.incidentId, occurrences: reopened.occurrences } };
    }
    if (options.mayCreate === false) return { created: false, ref, signalRequired: true };
    return this.mutex.run(this.path(namespace, name), async () => {
      const raced = await this.updateIn(ref, incident, true);
      if (raced) return raced.result;
      const object = buildRemediationRequest(incident, namespace);
      object.metadata.creationTimestamp = new Date().toISOString();
      object.status = { phase: 'Pending', ...object.status };
      await this.write(this.path(namespace, name), object);
      this.rememberEvent(incident, this.path(namespace, name));
      return { created: true, ref };
    });
  }

  /**
   * Records a firing on an existing resource: merged into an open one, or reopening a resolved
   * one within the hold time (`sameIncident`: dedup still had its incident). Undefined when the
   * resource is absent. The caller holds the resource's lock.
   */
  private async updateIn(
    ref: { namespace: string; name: string },
    incident: OpenIncident,
    sameIncident: boolean,
  ): Promise<{ result: OpenResult; occurrences: number } | undefined> {
    const path = this.path(ref.namespace, ref.name);
    const existing = await this.read(path);
    if (existing === undefined) return undefined;
    if (existing.status?.resolvedAt && isReopenable(existing, firedAt(incident), this.options.flapHoldMs)) {
      const status = reopenedStatus(existing.status, incident, sameIncident);
      await this.write(path, { ...existing, status });
      this.rememberEvent(incident, path);
      return { result: { created: false, ref, reopened: true }, occurrences: status.occurrences ?? 0 };
    }
    if (!sameIncident) return undefined;
    const status = applyStatus(existing.status, openStatus(incident));
    if (status) await this.write(path, { ...existing, status });
    return { result: { created: false, ref }, occurrences: (status ?? existing.status)?.occurrences ?? 0 };
  }

  /**
   * The resource of a fingerprint this sink resolved last, if it may open again now
   * (isReopenable). Read from the resolutions it remembers, not from a listing of the directory:
   * that would read every file of the namespace for every new incident.
   */
  private async findReopenable(namespace: string, incident: OpenIncident): Promise<RemediationRequest | undefined> {
    const key = `${namespace}/${incident.signal.fingerprint}`;
    const name = this.recentlyResolved.get(key);
    if (name === undefined) return undefined;
    const object = await this.read(this.path(namespace, name));
    if (object && isReopenable(object, firedAt(incident), this.options.flapHoldMs)) return object;
    this.recentlyResolved.delete(key);
    return undefined;
  }

  private rememberEvent(incident: OpenIncident, path: string): void {
    if (this.options.eventQuietMs <= 0 || incident.signal.source !== Source.SOURCE_KUBERNETES_EVENT) return;
    if (this.openEvents.size >= MAX_REMEMBERED) this.openEvents.delete(this.openEvents.values().next().value ?? '');
    this.openEvents.add(path);
  }

  /** Resolves the Warning events' incidents this sink opened that are quiet (quietEventStatus). */
  async closeQuietEvents(nowMs: number): Promise<number> {
    let closed = 0;
    for (const path of [...this.openEvents]) {
      await this.mutex.run(path, async () => {
        const current = await this.read(path);
        const status = current ? quietEventStatus(current, nowMs, this.options.eventQuietMs) : undefined;
        if (current && status) {
          await this.write(path, { ...current, status });
          closed += 1;
        }
        if (!current || current.status?.resolvedAt || status) this.openEvents.delete(path);
      });
    }
    return closed;
  }

  /** Remembers a resolution for findReopenable: bounded, the oldest forgotten first. */
  private rememberResolved(namespace: string, fingerprint: string, name: string): void {
    if (this.options.flapHoldMs <= 0) return;
    const key = `${namespace}/${fingerprint}`;
    this.recentlyResolved.delete(key);
    if (this.recentlyResolved.size >= MAX_REMEMBERED) this.recentlyResolved.delete(this.recentlyResolved.keys().next().value ?? '');
    this.recentlyResolved.set(key, name);
  }

  async resolve(request: ResolveRequest): Promise<ResolveResult> {
    const { namespace } = request.signal;
    let name = request.incidentId ? resourceName(request.signal.alertname, request.incidentId) : undefined;
    if (name === undefined || (await this.read(this.path(namespace, name))) === undefined) {
      name = await this.findOpen(namespace, request.signal.fingerprint);
    }
    if (name === undefined) return {};
    const path = this.path(namespace, name);
    return this.mutex.run(path, async () => {
      const existing = await this.read(path);
      if (existing === undefined) return {};
      const status = applyStatus(existing.status, resolutionStatus(request));
      if (status) await this.write(path, { ...existing, status });
      this.rememberResolved(namespace, request.signal.fingerprint, name);
      return { ref: { namespace, name } };
    });
  }

  private async list(namespace: string): Promise<RemediationRequest[]> {
    const dir = join(this.root, namespace);
    let files: string[];
    try {
      files = (await readdir(dir)).filter((file) => file.endsWith('.yaml'));
    } catch {
      return [];
    }
    const objects = await Promise.all(files.map((file) => this.read(join(dir, file))));
    return objects.filter((object): object is RemediationRequest => object !== undefined);
  }

  private async ofFingerprint(namespace: string, fingerprint: string): Promise<RemediationRequest[]> {
    return (await this.list(namespace)).filter(
      (object) => object.metadata.labels[LABEL_FINGERPRINT] === fingerprint.slice(0, FINGERPRINT_LABEL_DIGITS) && object.spec.fingerprint === fingerprint,
    );
  }

  /** The newest unresolved resource of a fingerprint in a namespace. */
  private async findOpen(namespace: string, fingerprint: string): Promise<string | undefined> {
    return (await this.ofFingerprint(namespace, fingerprint))
      .filter((object) => !object.status?.resolvedAt)
      .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0]?.metadata.name;
  }

  async fold(folded: FoldedSignal): Promise<OpenResult> {
    const { namespace, name } = folded.storm.aggregate;
    const path = this.path(namespace, name);
    let linked: string[] = [];
    const created = await this.mutex.run(path, async () => {
      const existing = await this.read(path);
      let base = existing;
      if (!base) {
        const fresh = buildAggregate(folded, namespace);
        base = { ...fresh, metadata: { ...fresh.metadata, creationTimestamp: new Date().toISOString() } };
        // The storm's incidents opened individually before it was detected.
        linked = (await this.list(namespace)).filter((object) => belongsToStorm(object, folded)).map((object) => object.metadata.name);
      }
      const status = applyStatus(base.status, aggregateStatus(folded, linked));
      if (!existing || status) await this.write(path, { ...base, ...(status ? { status } : {}) });
      return !existing;
    });
    for (const link of linked) {
      const linkPath = this.path(namespace, link);
      await this.mutex.run(linkPath, async () => {
        const individual = await this.read(linkPath);
        const status = individual ? applyStatus(individual.status, { stormRef: name }) : undefined;
        if (individual && status) await this.write(linkPath, { ...individual, status });
      });
    }
    return { created, ref: { namespace, name } };
  }

  async endStorms(nowMs: number): Promise<number> {
    let namespaces: string[];
    try {
      namespaces = (await readdir(this.root, { withFileTypes: true }))
        .filter((entry) => entry.isDirectory() && NAMESPACE_NAME_PATTERN.test(entry.name))
        .map((entry) => entry.name);
    } catch {
      return 0;
    }
    let ended = 0;
    for (const namespace of namespaces) {
      // Aggregates are named storm-… (libs/storm aggregateName): only those files are read.
      let files: string[];
      try {
        files = (await readdir(join(this.root, namespace))).filter((file) => file.startsWith('storm-') && file.endsWith('.yaml'));
      } catch {
        continue;
      }
      for (const file of files) {
        const object = await this.read(join(this.root, namespace, file));
        // Writes here are not coalesced: the margin alone is the grace.
        if (!object || !endedStormStatus(object, nowMs, STORM_END_MARGIN_MS)) continue;
        const path = this.path(namespace, object.metadata.name);
        // Decided again under the lock: a fold may have moved the storm's end meanwhile.
        await this.mutex.run(path, async () => {
          const current = await this.read(path);
          const status = current ? endedStormStatus(current, nowMs, STORM_END_MARGIN_MS) : undefined;
          if (current && status) {
            await this.write(path, { ...current, status });
            ended += 1;
          }
        });
      }
    }
    return ended;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root);
    } catch (err) {
      throw new AlertgateError(Code.Unavailable, `resource directory ${this.root} is not writable: ${(err as Error).message}`, { cause: err });
    }
  }
}
