import { mkdir, readdir, readFile, rename, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';

import { AlertgateError, Code } from '@alertgate/errors';
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
  LABEL_FINGERPRINT,
  mergeOpenStatus,
  openStatus,
  resolutionStatus,
  resourceName,
  type FoldedSignal,
  type OpenIncident,
  type RemediationRequest,
} from './remediation-request.js';
import type { OpenOptions, OpenResult, RemediationSink, ResolveRequest, ResolveResult } from './remediation-sink.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * Writes each RemediationRequest as `<root>/<namespace>/<name>.yaml`: the object the API server
 * would hold, status included. For local runs and demos (the default of `npm start`); one writer
 * process per directory.
 */
export class FileSink implements RemediationSink {
  readonly kind = 'file';
  private readonly mutex = new KeyedMutex();

  constructor(readonly root: string) {}

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

  async open(incident: OpenIncident, namespace: string, options: OpenOptions = {}): Promise<OpenResult> {
    const name = resourceName(incident.signal.alertname, incident.incidentId);
    const path = this.path(namespace, name);
    return await this.mutex.run(path, async () => {
      const existing = await this.read(path);
      if (existing === undefined && options.mayCreate === false) return { created: false, ref: { namespace, name }, signalRequired: true };
      if (existing === undefined) {
        const object = buildRemediationRequest(incident, namespace);
        object.metadata.creationTimestamp = new Date().toISOString();
        object.status = { phase: 'Pending', ...object.status };
        await this.write(path, object);
        return { created: true, ref: { namespace, name } };
      }
      const status = mergeOpenStatus(existing.status, openStatus(incident));
      if (status) await this.write(path, { ...existing, status });
      return { created: false, ref: { namespace, name } };
    });
  }

  async resolve(request: ResolveRequest, namespace: string): Promise<ResolveResult> {
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

  /** The newest unresolved resource of a fingerprint in a namespace. */
  private async findOpen(namespace: string, fingerprint: string): Promise<string | undefined> {
    return (await this.list(namespace))
      .filter((object) => object.metadata.labels[LABEL_FINGERPRINT] === fingerprint.slice(0, FINGERPRINT_LABEL_DIGITS))
      .filter((object) => object.spec.fingerprint === fingerprint && !object.status?.resolvedAt)
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
      namespaces = (await readdir(this.root, { withFileTypes: true })).filter((entry) => entry.isDirectory() && NAMESPACE_NAME_PATTERN.test(entry.name)).map((entry) => entry.name);
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
