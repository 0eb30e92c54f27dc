import { resourceName, type FoldedSignal, type OpenIncident } from './remediation-request.js';
import type { OpenOptions, OpenResult, RemediationSink, ResolveRequest, ResolveResult } from './remediation-sink.js';

/** Remembered resource names are bounded; beyond, the oldest are forgotten (benchmarks only). */
const MAX_REMEMBERED = 1_000_000;

/**
 * Writes nothing: for benchmarks of the pipeline without a disk or an API server in the way
 * (`npm run bench`). It answers like a real sink, remembering which resources it "created".
 */
export class NullSink implements RemediationSink {
  readonly kind = 'null';
  private readonly created = new Set<string>();

  private remember(key: string): boolean {
    if (this.created.has(key)) return false;
    if (this.created.size >= MAX_REMEMBERED) this.created.clear();
    this.created.add(key);
    return true;
  }

  open(incident: OpenIncident, options: OpenOptions = {}): Promise<OpenResult> {
    const { namespace } = incident.signal;
    const name = resourceName(incident.signal.alertname, incident.incidentId);
    const key = `${namespace}/${name}`;
    if (options.mayCreate === false && !this.created.has(key)) return Promise.resolve({ created: false, ref: { namespace, name }, signalRequired: true });
    return Promise.resolve({ created: this.remember(key), ref: { namespace, name } });
  }

  resolve(request: ResolveRequest): Promise<ResolveResult> {
    const { namespace } = request.signal;
    if (!request.incidentId) return Promise.resolve({});
    return Promise.resolve({ ref: { namespace, name: resourceName(request.signal.alertname, request.incidentId) } });
  }

  fold(folded: FoldedSignal): Promise<OpenResult> {
    const { namespace, name } = folded.storm.aggregate;
    return Promise.resolve({ created: this.remember(`${namespace}/${name}`), ref: { namespace, name } });
  }

  endStorms(): Promise<number> {
    return Promise.resolve(0);
  }

  closeQuietEvents(): Promise<number> {
    return Promise.resolve(0);
  }

  check(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
