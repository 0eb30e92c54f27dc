import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';

import { loadKubeClient } from '@alertgate/kube';
import { buildRemediationRequest, LABEL_MANAGED_BY, RR_GROUP, RR_PLURAL, RR_VERSION, type RemediationRequest } from '@alertgate/remediation';
import { incidentId } from '@alertgate/signal';
import { testSignal } from '@alertgate/testing';

/**
 * The API server's work that workload (e)'s kubernetes sink causes at the senders' defaults: 50
 * creates a second, their first statuses and the repeats, 75 status writes a second in all.
 */
export const API_LOAD_RATES = { createsPerSecond: 50, statusWritesPerSecond: 75 } as const;
/** The argument that makes the bench process the load's child (see ApiLoad). */
export const API_LOAD_CHILD = '--api-load-child';

const TICK_MS = 100;
/** Not alertgate's: the bench systems' crd-writers watch only their own resources. */
const MANAGED_BY = 'alertgate-bench-load';

export interface ApiLoadCounts {
  readonly created: number;
  readonly statusWrites: number;
  readonly failed: number;
  readonly seconds: number;
}

/** A resource like the kubernetes sink's, numbered, in the load's namespace and not managed by alertgate. */
function loadResource(namespace: string, i: number): RemediationRequest {
  const fingerprint = createHash('sha256').update(`api-load-${i}`).digest('hex');
  const signal = testSignal({
    fingerprint,
    alertname: 'BenchApiLoad',
    severity: 'warning',
    namespace,
    labels: { alertname: 'BenchApiLoad', pod: `load-${i}` },
  });
  const now = Date.now();
  const object = buildRemediationRequest({ signal, incidentId: incidentId(fingerprint, now), firstSeenMs: now, lastSeenMs: now, occurrences: 1 }, namespace);
  return { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, [LABEL_MANAGED_BY]: MANAGED_BY } } };
}

/**
 * The child's loop: every TICK_MS, a tick's share of API_LOAD_RATES through the same client the
 * crd-writer uses, the next tick once these are answered (as the crd-writer's bounded writes
 * are). Prints "ready" once its namespace exists, and its counts as one JSON line on SIGTERM.
 */
export async function runApiLoad(kubeconfigPath: string): Promise<void> {
  const { config, k8s } = await loadKubeClient({ kubeconfigPath });
  const objects = config.makeApiClient(k8s.CustomObjectsApi);
  const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  // A namespace of its own per load: an earlier load's may still be terminating.
  const namespace = `bench-api-load-${Date.now().toString(36)}`;
  const core = config.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: Object.assign(new k8s.V1Namespace(), { metadata: Object.assign(new k8s.V1ObjectMeta(), { name: namespace }) }) });
  const ref = { group: RR_GROUP, version: RR_VERSION, namespace, plural: RR_PLURAL };
  const names: string[] = [];
  const counts = { created: 0, statusWrites: 0, failed: 0 };
  const startedAt = Date.now();
  let running = true;
  process.on('SIGTERM', () => (running = false));
  process.stdout.write('ready\n');
  for (let tick = 0; running; tick++) {
    const tickStart = Date.now();
    const creates = Array.from({ length: (API_LOAD_RATES.createsPerSecond * TICK_MS) / 1000 }, (_v, k) => {
      const body = loadResource(namespace, tick * 1000 + k);
      return objects.createNamespacedCustomObject({ ...ref, body }).then(
        () => void ((counts.created += 1), names.push(body.metadata.name)),
        () => void (counts.failed += 1),
      );
    });
    const writes = Array.from({ length: names.length === 0 ? 0 : (API_LOAD_RATES.statusWritesPerSecond * TICK_MS) / 1000 }, () => {
      const name = names[Math.floor(Math.random() * names.length)] ?? '';
      const status = { occurrences: tick, lastSeen: new Date().toISOString(), alertState: 'Firing' };
      return objects.patchNamespacedCustomObjectStatus({ ...ref, name, body: { status } }, mergePatch).then(
        () => void (counts.statusWrites += 1),
        () => void (counts.failed += 1),
      );
    });
    await Promise.all([...creates, ...writes]);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, TICK_MS - (Date.now() - tickStart))));
  }
  process.stdout.write(`${JSON.stringify({ ...counts, seconds: (Date.now() - startedAt) / 1000 })}\n`);
  // The load's resources go with their namespace; the API server deletes them in the background.
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
}

/**
 * The API server loaded as the kubernetes sink would load it, by a child process (so that its
 * CPU is counted apart and it does not share the senders' event loop), for a null-sink run beside
 * it: what the pipeline loses to an API server this busy on the same cores, without writing to it.
 */
export class ApiLoad {
  private constructor(
    private readonly child: ChildProcess,
    private readonly lines: AsyncIterator<string>,
  ) {}

  static async start(kubeconfigPath: string): Promise<ApiLoad> {
    const script = process.argv[1] ?? '';
    const child = spawn(process.execPath, [...process.execArgv, script, API_LOAD_CHILD, kubeconfigPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    if (!child.stdout) throw new Error('the API load has no stdout');
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done || first.value !== 'ready') throw new Error(`the API load did not start (${first.done ? 'it exited' : first.value})`);
    return new ApiLoad(child, lines);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Stops the load; its counts. */
  async stop(): Promise<ApiLoadCounts> {
    this.child.kill('SIGTERM');
    const last = await this.lines.next();
    if (last.done) throw new Error('the API load exited without its counts');
    return JSON.parse(last.value) as ApiLoadCounts;
  }
}
