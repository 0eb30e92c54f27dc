import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ensureKubeEnv, RedisCluster, RedisServer, startSystem, stopKubeEnv, type KubeEnv, type RunningSystem } from '@alertgate/local-env';

import { AlertmanagerLikeSender, type Failure } from './alertmanager-like-sender.js';
import { faults, type Fault, type FaultDurations, type RedisTarget } from './fault.js';
import { Ledger, type LedgerEntry } from './ledger.js';
import { compareLedger, finding, type Finding, type LedgerComparison, type ResourceView } from './verify-ledger.js';

export interface ChaosOptions {
  /** Workspace root, with the bundles built (dist/apps). */
  readonly root: string;
  /** The directory of this run's own API server (it is stopped and continued). */
  readonly kubeDir: string;
  readonly durations: FaultDurations;
  /** One Redis server, or a Cluster of 3 masters with a replica each (its master killed instead of the server's faults). */
  readonly redis: 'standalone' | 'cluster';
  /** Only the faults whose names match (all by default). */
  readonly only?: RegExp;
  /** Normal running before the first fault and after each recovery: at least this long... */
  readonly settleMs: number;
  /** ...and until each group was answered 200 at least this many times. */
  readonly settleWebhooks: number;
  readonly groups: number;
  /** A fault not recovered from within this fails the run's readiness. */
  readonly recoveryTimeoutMs: number;
  readonly log: (line: string) => void;
  /** Where each service's log of the run is written (<app>.log), if anywhere. */
  readonly logDir?: string;
}

/** The defaults of `npm run chaos`. */
export const CHAOS_DEFAULTS: Omit<ChaosOptions, 'root' | 'kubeDir' | 'log'> = {
  durations: { redisStopMs: 10_000, apiserverStopMs: 30_000, failoverTimeoutMs: 30_000 },
  redis: 'standalone',
  settleMs: 10_000,
  settleWebhooks: 10,
  groups: 6,
  recoveryTimeoutMs: 60_000,
};

/** The run in npm test: shorter stops, less settling, fewer groups (under 2 minutes). */
export const CHAOS_SHORT: Omit<ChaosOptions, 'root' | 'kubeDir' | 'log'> = {
  durations: { redisStopMs: 5_000, apiserverStopMs: 10_000, failoverTimeoutMs: 30_000 },
  redis: 'standalone',
  settleMs: 2_000,
  settleWebhooks: 4,
  groups: 4,
  recoveryTimeoutMs: 30_000,
};

/** What one fault cost the sender. */
export interface FaultOutcome {
  readonly name: string;
  /** Failed attempts (5xx or no answer) from the fault until the next one. */
  readonly failedAttempts: number;
  /** From the first failed attempt to the last, ms (0 when none failed). */
  readonly unavailableMs: number;
  /** The failures' answers, most frequent first ("503 <detail>" × count), at most three. */
  readonly answers: readonly string[];
  /** From the fault's end (restart, SIGCONT) until every group was answered 200 again, ms. */
  readonly recoveredMs: number | undefined;
  /** What the fault measured on the way (a replica's lag), if anything. */
  readonly note?: string;
}

export interface ChaosReport {
  readonly seconds: number;
  readonly webhooks: number;
  readonly faults: readonly FaultOutcome[];
  /** Failed attempts while no fault was active (examples: when, and the status or 0 for no answer). */
  readonly failuresWithoutFault: Finding;
  /** 4xx answers to valid webhooks. */
  readonly refused: readonly string[];
  /** Processes not running, or a gateway not ready, at the end. */
  readonly notReady: readonly string[];
  readonly comparison: LedgerComparison;
}

function writeLogs(dir: string, system: RunningSystem): void {
  mkdirSync(dir, { recursive: true });
  for (const service of Object.values(system.services)) writeFileSync(join(dir, `${service.name}.log`), `${service.logs.join('\n')}\n`);
}

/** The ledger entries and resources of every finding, for finding the cause (findings.json). */
function writeFindings(dir: string, comparison: LedgerComparison, entries: readonly LedgerEntry[], resources: readonly ResourceView[]): void {
  const keys = new Set(
    [comparison.withoutResource, comparison.moreThanOneOpen, comparison.resolutionsNotRecorded, comparison.occurrencesBelowAcknowledged].flatMap((f) =>
      f.examples.map((example) => example.split(' ')[0]),
    ),
  );
  const keyOf = (alertname: string, pod: string): string => `${alertname}/${pod}`;
  const findings = [...keys].map((key) => ({
    ledger: entries.find((entry) => keyOf(entry.alertname, entry.pod) === key),
    resources: resources.filter((resource) => keyOf(resource.spec.alertname, resource.spec.labels['pod'] ?? '') === key),
  }));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'findings.json'), `${JSON.stringify({ comparison, findings }, null, 2)}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const run = promisify(execFile);

/** The CRD and this run's namespace on the run's own API server. */
async function prepareKube(options: ChaosOptions, namespace: string): Promise<{ kube: KubeEnv; kubectl: (...args: string[]) => Promise<string> }> {
  const kube = await ensureKubeEnv(options.root, options.kubeDir);
  const kubectl = async (...args: string[]): Promise<string> =>
    (await run(kube.kubectl, ['--kubeconfig', kube.adminKubeconfig, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })).stdout;
  await kubectl('apply', '-f', join(options.root, 'k8s', 'crds', 'remediationrequests.yaml'));
  await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/remediationrequests.remediation.alertgate.io');
  await kubectl('create', 'namespace', namespace);
  // The crd-writer's fallback namespace, as the manifests create it.
  await kubectl('apply', '-f', join(options.root, 'k8s', 'base', 'namespace.yaml'));
  return { kube, kubectl };
}

/** The whole system on the kubernetes sink; storms and rate limits stay out of the way of the count. */
function chaosSystem(options: ChaosOptions, redis: RedisTarget, kube: KubeEnv, runId: string): Promise<RunningSystem> {
  return startSystem({
    root: options.root,
    redisUrl: redis.kind === 'standalone' ? redis.server.url : '',
    keyPrefix: `chaos${runId}:`,
    sinkDir: '/nonexistent',
    // The Cluster runs on the default REDIS_WAIT_POLICY (connected): the ledger holds the
    // defaults to the promise that a master's death loses nothing acknowledged.
    env: { LOG_LEVEL: 'warn', ...(redis.kind === 'cluster' ? { REDIS_CLUSTER_NODES: redis.cluster.addresses.join(',') } : {}) },
    serviceEnv: {
      'crd-writer': { SINK: 'kubernetes', KUBECONFIG: kube.adminKubeconfig },
      // Each alert its own storm key: no storm folds alerts, so each is one resource.
      storm: { STORM_KEY_LABELS: 'namespace,alertname,pod', STORM_RATE_THRESHOLD: '1000000' },
      ratelimit: {
        SOURCE_RATE_PER_SECOND: '1000000',
        SOURCE_BURST: '1000000',
        NAMESPACE_CREATIONS_PER_MINUTE: '1000000',
        NAMESPACE_CREATIONS_BURST: '1000000',
      },
    },
  });
}

async function startRedis(kind: ChaosOptions['redis']): Promise<RedisTarget> {
  if (kind === 'standalone') return { kind, server: await new RedisServer({ maxmemory: '64mb' }).start() };
  return { kind, cluster: await new RedisCluster({ masters: 3, replicasPerMaster: 1, maxmemory: '64mb' }).start() };
}

const disposeRedis = (redis: RedisTarget): Promise<void> => (redis.kind === 'standalone' ? redis.server.dispose() : redis.cluster.dispose());

async function gatewayReady(system: RunningSystem): Promise<boolean> {
  try {
    return (await fetch(`${system.gatewayUrl}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return false;
  }
}

/** Whether every group was answered 200 at least `times` more times within `timeoutMs`. */
async function eachGroupAnswered(
  ledger: Ledger,
  groups: number,
  times: number,
  timeoutMs: number,
  also: () => Promise<boolean> = () => Promise.resolve(true),
): Promise<boolean> {
  const from = Date.now();
  const seen = ledger.acknowledgedPerGroup(groups);
  while (Date.now() - from < timeoutMs) {
    if (ledger.acknowledgedPerGroup(groups).every((count, g) => count >= (seen[g] ?? 0) + times) && (await also())) return true;
    await sleep(50);
  }
  return false;
}

/** Waits until every group has been answered 200 once more and the gateway is ready; ms, or undefined. */
async function recovery(system: RunningSystem, ledger: Ledger, options: ChaosOptions): Promise<number | undefined> {
  const from = Date.now();
  return (await eachGroupAnswered(ledger, options.groups, 1, options.recoveryTimeoutMs, () => gatewayReady(system))) ? Date.now() - from : undefined;
}

/**
 * Normal running: settleMs, and at least settleWebhooks answers per group, so that the run's
 * traffic is counted, not timed (a slow machine runs longer, not thinner).
 */
async function settle(ledger: Ledger, options: ChaosOptions): Promise<void> {
  await Promise.all([sleep(options.settleMs), eachGroupAnswered(ledger, options.groups, options.settleWebhooks, options.recoveryTimeoutMs)]);
}

function outcome(name: string, failures: readonly Failure[], from: number, to: number, recoveredMs: number | undefined): FaultOutcome {
  const within = failures.filter((failure) => failure.at >= from && failure.at < to);
  const first = within[0]?.at ?? 0;
  const last = within[within.length - 1]?.at ?? 0;
  const counts = new Map<string, number>();
  for (const failure of within) {
    const answer = `${failure.status} ${failure.detail.replace(/[0-9a-f]{12,}|\d+(\.\d+)?/g, '…')}`;
    counts.set(answer, (counts.get(answer) ?? 0) + 1);
  }
  const answers = [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([answer, count]) => `${count} × ${answer}`);
  return { name, failedAttempts: within.length, unavailableMs: last - first, answers, recoveredMs };
}

async function readResources(kubectl: (...args: string[]) => Promise<string>, namespace: string): Promise<ResourceView[]> {
  return (JSON.parse(await kubectl('get', 'remediationrequests.remediation.alertgate.io', '-n', namespace, '-o', 'json')) as { items: ResourceView[] }).items;
}

const clean = (c: LedgerComparison): boolean =>
  c.withoutResource.count + c.moreThanOneOpen.count + c.resolutionsNotRecorded.count + c.occurrencesBelowAcknowledged.count === 0;

/**
 * One chaos run: an Alertmanager-like sender against the whole system on a real API server, the
 * faults one after another with recovery in between, then the ledger of what was answered 200
 * compared with the resources.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const runId = Date.now().toString(36);
  const namespace = `chaos-${runId}`;
  const started = Date.now();
  const { kube, kubectl } = await prepareKube(options, namespace);
  const redis = await startRedis(options.redis);
  let system: RunningSystem | undefined;
  try {
    system = await chaosSystem(options, redis, kube, runId);
    const ledger = new Ledger();
    const sender = new AlertmanagerLikeSender(
      {
        url: `${system.gatewayUrl}/api/v1/signals/alertmanager`,
        namespace,
        groups: options.groups,
        minFiring: 10,
        maxFiring: 45,
        minDeliveries: 3,
        maxDeliveries: 15,
        intervalMs: 100,
        runId,
      },
      ledger,
    );
    sender.start();
    const phases: Phase[] = [];
    await settle(ledger, options);
    for (const fault of faults({ redis, system, apiserverPid: kube.apiserverPid, ledger }, options.durations).filter(
      (f) => options.only?.test(f.name) ?? true,
    )) {
      phases.push(await phase(fault, system, ledger, options, sender.failures));
    }
    await sender.stop();
    // Each finding says during which fault its alert was acknowledged, to lead to the cause.
    const describe = (entry: LedgerEntry): string => {
      const during = phases.filter((p) => entry.lastAckAt >= p.from && entry.firstAckAt <= p.to).map((p) => p.outcome.name);
      return ` (acknowledged ${Math.round((entry.firstAckAt - started) / 1000)}–${Math.round((entry.lastAckAt - started) / 1000)} s${during.length ? `, during: ${during.join(', ')}` : ''})`;
    };
    let resources: ResourceView[] = [];
    const comparison = await settledComparison(async () => compareLedger(ledger.all(), (resources = await readResources(kubectl, namespace)), describe));
    if (options.logDir) writeFindings(options.logDir, comparison, ledger.all(), resources);
    const inPhase = (failure: Failure): boolean => phases.some((p) => failure.at >= p.from && failure.at < p.to);
    const notReady = [
      ...Object.values(system.services)
        .filter((service) => !service.running)
        .map((service) => `${service.name} is not running`),
      ...((await gatewayReady(system)) ? [] : ['the gateway is not ready']),
    ];
    return {
      seconds: Math.round((Date.now() - started) / 1000),
      webhooks: ledger.acknowledgedWebhooks,
      faults: phases.map((p) => p.outcome),
      failuresWithoutFault: finding(
        sender.failures
          .filter((failure) => !inPhase(failure))
          .map((failure) => `${Math.round((failure.at - started) / 100) / 10} s: ${failure.status} ${failure.detail}`),
      ),
      refused: sender.refused,
      notReady,
      comparison,
    };
  } finally {
    if (system && options.logDir) writeLogs(options.logDir, system);
    await system?.stop();
    await disposeRedis(redis);
    if (kube.started) await stopKubeEnv(options.kubeDir);
  }
}

/** A fault and what follows it until the next: the failures it caused count to it. */
interface Phase {
  readonly from: number;
  readonly to: number;
  readonly outcome: FaultOutcome;
}

async function phase(fault: Fault, system: RunningSystem, ledger: Ledger, options: ChaosOptions, failures: readonly Failure[]): Promise<Phase> {
  options.log(`fault: ${fault.name}`);
  const from = Date.now();
  const note = await fault.inject();
  const recoveredMs = await recovery(system, ledger, options);
  await settle(ledger, options);
  const to = Date.now();
  const result = { ...outcome(fault.name, failures, from, to, recoveredMs), ...(note === undefined ? {} : { note }) };
  options.log(
    `  ${result.failedAttempts} failed attempts over ${result.unavailableMs} ms; ${recoveredMs === undefined ? 'NOT recovered' : `recovered ${recoveredMs} ms after`}${note === undefined ? '' : `; ${note}`}`,
  );
  for (const answer of result.answers) options.log(`    ${answer}`);
  return { from, to, outcome: result };
}

/**
 * Coalesced status writes land within STATUS_REPEAT_INTERVAL and a flush (12 s at the defaults):
 * the comparison is read until clean, or 20 s.
 */
async function settledComparison(compare: () => Promise<LedgerComparison>): Promise<LedgerComparison> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const comparison = await compare();
    if (clean(comparison) || Date.now() > deadline) return comparison;
    await sleep(1_000);
  }
}
