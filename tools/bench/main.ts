/**
 * npm run bench [-- --seconds 10 --concurrency 16 --rounds 2 --only a,b,c --sweep 64,128 --profile DIR --env K=V --node-arg FLAG --json]
 * npm run bench -- --yardstick [--seconds 20]   (Alertmanager alone: its rate over a run, per timer setting)
 * npm run bench -- --soak N                     (workload (a) for N s, each service's memory sampled)
 * npm run bench -- --overload F [--seconds 30]   (F × the webhooks/s the system carries, open loop)
 * npm run bench -- --redis cluster [--seconds 10 --rounds 2]   (workload (a) on one Redis and on a
 *   3-master Cluster with 3 replicas of each service, side by side: CPU, script calls, per master)
 *
 * The whole system as in production (separate processes, its own Redis, the null sink so that
 * neither a disk nor an API server is measured), driven by a keep-alive HTTP load generator:
 *   (a) Alertmanager-style webhooks of 50 alerts: 80% duplicates, 15% new, 5% storm
 *   (b) single-alert requests, same mix
 *   (c) a fixed rate of 1,000 alerts/s (webhooks of 50 at 20/s) for latency
 * and the same alert stream posted to Debian's Alertmanager (/api/v2/alerts, null receiver; a
 * fresh one per run), in alternating rounds (A B A B), medians reported; then
 *   (d) resource creation through the crd-writer's kubernetes sink on the test API server.
 * Prints alerts/s, p50/p95/p99, Redis round trips and commands (INFO commandstats), Redis bytes
 * per open incident, CPU seconds per 1,000 alerts for each process and the time spent inside
 * each service and waiting for it. --sweep N,M runs (a) and (b) again at those concurrencies,
 * both systems alike, to show each at its peak. Not part of npm test.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

import { execFileSync } from 'node:child_process';

import {
  AlertmanagerProcess,
  defaultKubeEnvDir,
  ensureKubeEnv,
  RedisCluster,
  RedisServer,
  startSystem,
  stopKubeEnv,
  type AppName,
  type RunningSystem,
} from '@alertgate/local-env';
import { errorStack } from '@alertgate/errors';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';

import { AlertmanagerSenders, SENDERS_DEFAULTS, type SendersResult } from './alertmanager-senders.js';
import { API_LOAD_CHILD, API_LOAD_RATES, ApiLoad, runApiLoad } from './api-load.js';
import { memoryTable, sampleMemory, type MemorySample } from './memory-samples.js';
import { overloadRun } from './overload-run.js';
import { processCpuSeconds } from './process-cpu.js';
import { compareTopologies, formatTopologies, type Topology } from './topology-run.js';
import { median, quantile, round2 } from './stats.js';
import { assessTargets, type SweepFigures } from './targets.js';
import { webhookBody } from './webhook-body.js';

const root = resolve(__dirname, '..', '..');
const out = (line: string): void => void process.stdout.write(`${line}\n`);
function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
}

const SECONDS = arg('seconds', 10);
const CONCURRENCY = arg('concurrency', 16);
const ROUNDS = arg('rounds', 2);
const HOT = 2_000;
/** Makes this run's new alerts unlike any of an earlier run on the same Redis. */
const STARTED = Date.now().toString(36);
/** --profile DIR: every service writes a V8 CPU profile there when it stops (node --cpu-prof). */
const PROFILE_DIR = ((i: number) => (i < 0 ? undefined : process.argv[i + 1]))(process.argv.indexOf('--profile'));
/** --env KEY=VALUE (repeatable): extra environment for every service, for experiments. */
const EXTRA_ENV: Record<string, string> = {};
process.argv.forEach((a, i) => {
  const [key, value] = a.split(/=(.*)/s);
  if (process.argv[i - 1] === '--env' && key && value !== undefined) EXTRA_ENV[key] = value;
});
/** --node-arg FLAG (repeatable): an extra Node flag for every service, for experiments (V8 flags NODE_OPTIONS refuses). */
const NODE_ARGS = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--node-arg' ? [a] : []));
const serviceNodeArgs = (): { nodeArgs?: string[] } => {
  const args = [...NODE_ARGS, ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${resolve(PROFILE_DIR)}`] : [])];
  return args.length > 0 ? { nodeArgs: args } : {};
};
/** --only a,b: run just these workloads (by their letter). */
/** --sweep 64,128: (a) and (b) again at these concurrencies (connections), both systems alike. */
const SWEEP = ((i: number) =>
  i < 0
    ? []
    : (process.argv[i + 1] ?? '')
        .split(',')
        .map(Number)
        .filter((n) => n > 0))(process.argv.indexOf('--sweep'));
const ONLY = ((i: number) => (i < 0 ? undefined : (process.argv[i + 1] ?? '').split(',')))(process.argv.indexOf('--only'));
/**
 * --api-load: workload (e) also runs the null-sink system beside an API server loaded as the
 * kubernetes sink loads it (ApiLoad), each round: what the pipeline loses to the API server's
 * share of the cores alone.
 */
const API_LOAD = process.argv.includes('--api-load');
/** --groups N, --new-per-second N: workload (e)'s senders, instead of SENDERS_DEFAULTS. */
const SENDERS = {
  ...(process.argv.includes('--groups') ? { groups: arg('groups', SENDERS_DEFAULTS.groups) } : {}),
  ...(process.argv.includes('--new-per-second') ? { newPerSecond: arg('new-per-second', SENDERS_DEFAULTS.newPerSecond) } : {}),
};

/**
 * The alert stream: 80% repeats of HOT known alerts, 15% never seen before, 5% of one storm.
 * Hot and new alerts are spread over 20 namespaces × 50 alertnames (1,000 storm keys, two hot
 * pods each) so that they stay individual incidents; the storm's alerts share one key.
 */
/** Counts across runs, so that a new alert is new in every run. */
let fresh = 0;
class AlertStream {
  private stormPod = 0;
  next(): { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string } {
    const roll = Math.random();
    // A minute ago: Alertmanager refuses alerts that start in the future.
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    if (roll < 0.8) {
      const i = Math.floor(Math.random() * HOT);
      return {
        labels: { alertname: `KubePodNotReady${i % 50}`, namespace: `team-${Math.floor(i / 50) % 20}`, pod: `hot-${i}`, severity: 'warning' },
        annotations: { summary: 'pod not ready' },
        startsAt,
      };
    }
    if (roll < 0.95) {
      fresh += 1;
      return {
        labels: {
          alertname: `KubeContainerWaiting${fresh % 50}`,
          namespace: `team-${Math.floor(fresh / 50) % 20}`,
          pod: `new-${fresh}-${STARTED}`,
          severity: 'warning',
        },
        annotations: { summary: 'waiting' },
        startsAt,
      };
    }
    this.stormPod = (this.stormPod + 1) % 500;
    return {
      labels: { alertname: 'NodeNetworkUnavailable', namespace: 'storm', pod: `s-${this.stormPod}`, severity: 'critical' },
      annotations: { summary: 'node down' },
      startsAt,
    };
  }
}

const webhook = (alerts: ReturnType<AlertStream['next']>[]): string =>
  webhookBody(alerts.map((a) => ({ status: 'firing', ...a, endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom', fingerprint: '0123456789abcdef' })));

interface RunResult {
  readonly alerts: number;
  readonly seconds: number;
  readonly alertsPerSecond: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly errors: number;
  /** Resources the gateway answered 'created' for (counted when asked). */
  readonly created: number;
}

/**
 * Alertmanager's own defaults (group_wait 30s, group_interval 5m, repeat_interval 4h), as users
 * run it: the yardstick ingests and deduplicates at a rate that does not depend on how long a run lasts.
 */
const ALERTMANAGER_YARDSTICK_TIMERS = { groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' } as const;
/** The end-to-end tests' timers (AlertmanagerProcess' defaults), kept for --yardstick's comparison. */
const ALERTMANAGER_TEST_TIMERS = {} as const;

/**
 * --yardstick: Alertmanager alone, fresh, with the tests' timers and then with its own defaults,
 * webhooks of 50 (the AlertStream) at CONCURRENCY connections for SECONDS, its rate printed every
 * 2 s: shows whether its rate depends on how long a run lasts (BENCHMARKS.md).
 */
async function yardstickCheck(): Promise<void> {
  const agent = new Agent({ connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 30_000 });
  try {
    for (const [name, timers] of [
      ["1 s / 1 s (the end-to-end tests' timers)", ALERTMANAGER_TEST_TIMERS],
      ["30 s / 5 m (Alertmanager's defaults, the yardstick)", ALERTMANAGER_YARDSTICK_TIMERS],
    ] as const) {
      const alertmanager = await new AlertmanagerProcess(timers).start();
      try {
        const stream = new AlertStream();
        let alerts = 0;
        const started = performance.now();
        const rates: string[] = [];
        let mark = { at: started, alerts: 0 };
        const ticker = setInterval(() => {
          const now = performance.now();
          rates.push(`${Math.round((now - started) / 1000)}s ${Math.round((alerts - mark.alerts) / ((now - mark.at) / 1000))}`);
          mark = { at: now, alerts };
        }, 2_000);
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (performance.now() < started + SECONDS * 1000) {
              const response = await request(`${alertmanager.url}/api/v2/alerts`, {
                method: 'POST',
                dispatcher: agent,
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(Array.from({ length: 50 }, () => stream.next())),
              });
              await response.body.dump();
              if (response.statusCode < 300) alerts += 50;
            }
          }),
        );
        clearInterval(ticker);
        out(`${name}: alerts/s every 2 s (end of interval, rate) ${rates.join(', ')}; mean ${Math.round(alerts / ((performance.now() - started) / 1000))}`);
      } finally {
        await alertmanager.stop();
      }
    }
  } finally {
    await agent.close();
  }
}

/** Closed loop: CONCURRENCY requests in flight for SECONDS; or open loop at a fixed rate. */
async function drive(
  agent: Agent,
  url: string,
  body: (stream: AlertStream) => { payload: string; alerts: number },
  options: { rate?: number; concurrency?: number; countCreated?: boolean; seconds?: number },
): Promise<RunResult> {
  const stream = new AlertStream();
  const latencies: number[] = [];
  let alerts = 0;
  let errors = 0;
  let created = 0;
  const started = performance.now();
  const deadline = started + (options.seconds ?? SECONDS) * 1000;
  const one = async (): Promise<void> => {
    const { payload, alerts: count } = body(stream);
    const t0 = performance.now();
    try {
      const response = await request(url, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: payload });
      if (options.countCreated) created += ((await response.body.text()).match(/"outcome":"created"/g) ?? []).length;
      else await response.body.dump();
      if (response.statusCode >= 300) errors += 1;
      else alerts += count;
    } catch {
      errors += 1;
    }
    latencies.push(performance.now() - t0);
  };
  if (options.rate) {
    const interval = 1000 / options.rate;
    const inflight: Promise<void>[] = [];
    for (let k = 0; performance.now() < deadline; k++) {
      const due = started + k * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(one());
    }
    await Promise.all(inflight);
  } else {
    await Promise.all(
      Array.from({ length: options.concurrency ?? CONCURRENCY }, async () => {
        while (performance.now() < deadline) await one();
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    alerts,
    seconds,
    alertsPerSecond: Math.round(alerts / seconds),
    p50: quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
    p99: quantile(latencies, 0.99),
    errors,
    created,
  };
}

/** Commands Redis ran (scripts' inner commands included) and script calls (round trips). */
async function commandCalls(redis: Redis): Promise<{ all: number; scripts: number; scriptUsec: number }> {
  const info = await redis.info('commandstats');
  const all = [...info.matchAll(/calls=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
  const scripts = [...info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  // Time Redis spent executing the scripts (their inner commands included).
  const scriptUsec = [...info.matchAll(/^cmdstat_(?:evalsha|eval):calls=\d+,usec=(\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  return { all, scripts, scriptUsec };
}

/** alertgate's alerts/s over Alertmanager's, to two decimals. */
const ratioOf = (ours: number, theirs: number): number => Math.round((ours / Math.max(1, theirs)) * 100) / 100;

/**
 * Time spent inside each service per call, from the services' own histograms: for every gRPC
 * method (alertgate_rpc_server_duration_seconds), Redis script (alertgate_redis_script_duration_seconds)
 * and Kubernetes API call (alertgate_kube_request_duration_seconds), the crd-writer's status flushes
 * the call count and summed seconds, the gateway's HTTP handling, and each process' garbage
 * collection pauses by kind (nodejs_gc_duration_seconds: a pause holds up every call the process
 * has in hand, so it shows where a latency tail comes from). Read before and after a run.
 */
type Timing = { count: number; sum: number; buckets: Map<number, number> };
type Timings = Map<string, Timing>;
interface TimingDelta {
  readonly calls: number;
  readonly meanMs: number;
  /** The histogram bucket (its upper bound, ms) that holds the 99th percentile: where a tail comes from. */
  readonly p99UpToMs: number;
}
/** What a histogram's series is called in the per-call table: its kind of call, then the call. */
function timingName(metric: string, labels: string): string {
  if (metric.includes('status_flush')) return 'kubernetes status flush';
  const call = /(?:method|script|route|target|kind|operation)="([^"]+)"/.exec(labels)?.[1] ?? '?';
  const kinds: [string, string][] = [
    ['redis', 'redis '],
    ['rpc_client', 'waits for '],
    ['gc', 'gc '],
    ['kube', 'kubernetes '],
  ];
  return `${kinds.find(([part]) => metric.includes(part))?.[1] ?? ''}${call}`;
}
async function serviceTimings(system: RunningSystem): Promise<Timings> {
  const timings: Timings = new Map();
  const sources: [string, string][] = [['ingest-gateway', `${system.gatewayUrl}/metrics`]];
  for (const s of ['dedup', 'storm', 'ratelimit', 'crd-writer'] as const) sources.push([s, `http://127.0.0.1:${system.services[s].metricsPort}/metrics`]);
  for (const [service, url] of sources) {
    const text = await (await fetch(url)).text();
    for (const match of text.matchAll(
      /^(alertgate_(?:rpc_server|rpc_client|redis_script|http_request|kube_request|kube_status_flush)_duration_seconds|nodejs_gc_duration_seconds)_(sum|count|bucket)(?:\{([^}]*)\})? (\S+)$/gm,
    )) {
      const [, metric = '', kind, labels = '', value] = match;
      const key = `${service} ${timingName(metric, labels)}`;
      const entry = timings.get(key) ?? { count: 0, sum: 0, buckets: new Map<number, number>() };
      if (kind === 'sum') entry.sum += Number(value);
      else if (kind === 'count') entry.count += Number(value);
      else {
        const le = /le="([^"]+)"/.exec(labels)?.[1] ?? '+Inf';
        const bound = le === '+Inf' ? Infinity : Number(le);
        entry.buckets.set(bound, (entry.buckets.get(bound) ?? 0) + Number(value));
      }
      timings.set(key, entry);
    }
  }
  return timings;
}
function timingDelta(before: Timings, after: Timings): Record<string, TimingDelta> {
  const delta: Record<string, TimingDelta> = {};
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, sum: 0, buckets: new Map<number, number>() };
    const calls = a.count - b.count;
    if (calls <= 0) continue;
    // Buckets are cumulative: the first whose count reaches 99% of the calls holds the p99.
    const bounds = [...a.buckets.keys()].sort((x, y) => x - y);
    const p99 = bounds.find((bound) => (a.buckets.get(bound) ?? 0) - (b.buckets.get(bound) ?? 0) >= 0.99 * calls) ?? Infinity;
    delta[key] = { calls, meanMs: Math.round(((a.sum - b.sum) / calls) * 1e5) / 100, p99UpToMs: p99 * 1000 };
  }
  return delta;
}

/** Redis' own CPU seconds (INFO cpu), and this process' (the load generator's). */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  return Number(/^used_cpu_sys:([\d.]+)/m.exec(info)?.[1] ?? 0) + Number(/^used_cpu_user:([\d.]+)/m.exec(info)?.[1] ?? 0);
}
const loadGeneratorCpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/**
 * (d) Resource creation on the real test API server (npm run k8s:up's): the same stream of
 * webhooks of 50 through a second system whose crd-writer uses the kubernetes sink, closed loop
 * at concurrency 4. Alertmanager has no counterpart (it creates nothing), so this run is ours alone.
 */
/** The test API server (started if needed), with the CRD and the streams' namespaces. */
async function prepareKube(): Promise<{ kube: Awaited<ReturnType<typeof ensureKubeEnv>>; kubectl: (...args: string[]) => string }> {
  const kube = await ensureKubeEnv(root);
  const kubectl = (...args: string[]): string =>
    execFileSync(kube.kubectl, ['--kubeconfig', kube.adminKubeconfig, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  kubectl('apply', '-f', resolve(root, 'k8s', 'crds', 'remediationrequests.yaml'));
  kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/remediationrequests.remediation.alertgate.io');
  const namespaces = [...Array.from({ length: 20 }, (_v, i) => `team-${i}`), 'storm', 'alertgate'];
  for (const ns of namespaces) {
    try {
      kubectl('create', 'namespace', ns);
    } catch {
      // exists from an earlier run
    }
  }
  return { kube, kubectl };
}

/** A system for the kubernetes-sink and topology workloads: limits off, the bench's storm thresholds. */
function benchSystem(
  redisUrl: string,
  keyPrefix: string,
  crdWriterEnv: Record<string, string>,
  extra: { replicas?: number; env?: Record<string, string> } = {},
): Promise<RunningSystem> {
  return startSystem({
    root,
    redisUrl,
    keyPrefix,
    sinkDir: '/nonexistent',
    ...(extra.replicas === undefined ? {} : { replicas: extra.replicas }),
    env: { LOG_LEVEL: 'warn', ...EXTRA_ENV, ...extra.env },
    ...serviceNodeArgs(),
    serviceEnv: {
      'crd-writer': crdWriterEnv,
      storm: { STORM_RATE_THRESHOLD: '1000000', STORM_PATTERN_THRESHOLD: '64', STORM_WINDOW: '5s', STORM_OVERRIDES: 'storm=rate:50,pattern:20,window:60s' },
      ratelimit: {
        SOURCE_RATE_PER_SECOND: '1000000',
        SOURCE_BURST: '1000000',
        NAMESPACE_CREATIONS_PER_MINUTE: '1000000',
        NAMESPACE_CREATIONS_BURST: '1000000',
      },
    },
  });
}

async function kubernetesRun(redisUrl: string, agent: Agent): Promise<{ run: RunResult; resources: number; apiServer: string }> {
  const { kube, kubectl } = await prepareKube();
  // Namespaces never finish deleting without a controller-manager: each run has its own prefix.
  const system = await benchSystem(redisUrl, `agk${STARTED}:`, { SINK: 'kubernetes', KUBECONFIG: kube.adminKubeconfig });
  try {
    const url = `${system.gatewayUrl}/api/v1/signals/alertmanager`;
    const before = kubectl('get', 'remediationrequests', '-A', '--no-headers', '-o', 'name').split('\n').filter(Boolean).length;
    const stream = (s: AlertStream): { payload: string; alerts: number } => ({ payload: webhook(Array.from({ length: 50 }, () => s.next())), alerts: 50 });
    const run = await drive(agent, url, stream, { concurrency: 4, countCreated: true });
    const after = kubectl('get', 'remediationrequests', '-A', '--no-headers', '-o', 'name').split('\n').filter(Boolean).length;
    return { run, resources: after - before, apiServer: kube.server };
  } finally {
    await system.stop();
    if (kube.started) await stopKubeEnv(defaultKubeEnvDir(root));
  }
}

/** A counter of the crd-writer's /metrics, summed over its labels. */
async function crdWriterCounter(system: RunningSystem, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${system.services['crd-writer'].metricsPort}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** One senders run on a system, with the crd-writer's status writes per second over it. */
async function sendersRun(system: RunningSystem, agent: Agent, runId: string, others: Record<string, number>): Promise<SendersFigures> {
  const senders = new AlertmanagerSenders(agent, `${system.gatewayUrl}/api/v1/signals/alertmanager`, {
    ...SENDERS_DEFAULTS,
    ...SENDERS,
    seconds: SECONDS,
    runId,
  });
  await senders.warm();
  const before = await crdWriterCounter(system, 'alertgate_kube_status_writes_total');
  const timingsBefore = await serviceTimings(system);
  const pids: Record<string, number | undefined> = {
    ...Object.fromEntries(Object.entries(system.services).map(([name, service]) => [name, service.pid])),
    ...others,
  };
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuSeconds(pid, name)]));
  const loadBefore = loadGeneratorCpuSeconds();
  const result = await senders.run();
  const coresBusy = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, round2((processCpuSeconds(pid, name) - (cpuBefore[name] ?? 0)) / result.seconds)]),
  );
  coresBusy['load generator'] = round2((loadGeneratorCpuSeconds() - loadBefore) / result.seconds);
  const serverTimeMs = timingDelta(timingsBefore, await serviceTimings(system));
  const writes = (await crdWriterCounter(system, 'alertgate_kube_status_writes_total')) - before;
  return { ...result, statusWritesPerSecond: Math.round(writes / result.seconds), serverTimeMs, coresBusy };
}

/** The test API server's processes (etcd, kube-apiserver), for their CPU. */
function kubePids(dir: string): Record<string, number> {
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { etcdPid: number; apiserverPid: number };
  return { etcd: state.etcdPid, 'kube-apiserver': state.apiserverPid };
}

/**
 * (e) The path users run: Alertmanager-like senders (SENDERS_DEFAULTS: groups with one webhook in
 * flight each, webhooks of 10–50 alerts, repeats of 300 open incidents and new incidents at
 * 50/s) through a kubernetes-sink system and a null-sink system, in alternating rounds, both on
 * the test API server's machine; then the stream of (a) (closed loop, CONCURRENCY connections)
 * through the kubernetes sink.
 */
async function workloadE(redisUrl: string, agent: Agent): Promise<WorkloadE> {
  const { kube } = await prepareKube();
  const onKube = await benchSystem(redisUrl, `age${STARTED}k:`, { SINK: 'kubernetes', KUBECONFIG: kube.adminKubeconfig });
  const onNull = await benchSystem(redisUrl, `age${STARTED}n:`, { SINK: 'null' });
  try {
    const kubeRuns: SendersFigures[] = [];
    const nullRuns: SendersFigures[] = [];
    const besideLoadRuns: BesideApiLoad[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      nullRuns.push(await sendersRun(onNull, agent, `${STARTED}n${round}`, kubePids(kube.dir)));
      kubeRuns.push(await sendersRun(onKube, agent, `${STARTED}k${round}`, kubePids(kube.dir)));
      if (API_LOAD) besideLoadRuns.push(await besideApiLoad(onNull, agent, `${STARTED}l${round}`, kube));
    }
    const streamA = await drive(
      agent,
      `${onKube.gatewayUrl}/api/v1/signals/alertmanager`,
      (s) => ({ payload: webhook(Array.from({ length: 50 }, () => s.next())), alerts: 50 }),
      { countCreated: true },
    );
    const kubernetesSink = medianRun(kubeRuns);
    const nullSink = medianRun(nullRuns);
    const besideLoad = besideLoadRuns.length > 0 ? medianRun(besideLoadRuns) : undefined;
    return {
      senders: { ...SENDERS_DEFAULTS, ...SENDERS },
      kubernetesSink,
      nullSink,
      ratioToNullSink: ratioOf(kubernetesSink.alertsPerSecond, nullSink.alertsPerSecond),
      repeatsOnlyP99ms: kubernetesSink.repeatsOnlyP99ms,
      ...(besideLoad
        ? { nullSinkBesideApiLoad: besideLoad, ratioToNullSinkBesideApiLoad: ratioOf(kubernetesSink.alertsPerSecond, besideLoad.alertsPerSecond) }
        : {}),
      rounds: nullRuns.map((run, round) => ({
        nullSink: run.alertsPerSecond,
        kubernetesSink: kubeRuns[round]?.alertsPerSecond ?? 0,
        ...(besideLoadRuns[round] ? { nullSinkBesideApiLoad: besideLoadRuns[round].alertsPerSecond } : {}),
      })),
      streamA: {
        alertsPerSecond: streamA.alertsPerSecond,
        p50ms: round2(streamA.p50),
        p95ms: round2(streamA.p95),
        p99ms: round2(streamA.p99),
        createdPerSecond: Math.round(streamA.created / streamA.seconds),
        errors: streamA.errors,
      },
    };
  } finally {
    await Promise.all([onKube.stop(), onNull.stop()]);
    if (kube.started) await stopKubeEnv(defaultKubeEnvDir(root));
  }
}

/** A null-sink run with the API server loaded beside it as the kubernetes sink loads it (--api-load). */
async function besideApiLoad(system: RunningSystem, agent: Agent, runId: string, kube: { dir: string; adminKubeconfig: string }): Promise<BesideApiLoad> {
  const load = await ApiLoad.start(kube.adminKubeconfig);
  const run = await sendersRun(system, agent, runId, { ...kubePids(kube.dir), 'api load': load.pid }).catch(async (err: unknown) => {
    await load.stop();
    throw err;
  });
  const counts = await load.stop();
  const perSecond = (n: number): number => Math.round(n / counts.seconds);
  return { ...run, apiLoad: { createsPerSecond: perSecond(counts.created), statusWritesPerSecond: perSecond(counts.statusWrites), failed: counts.failed } };
}

type SendersFigures = SendersResult & { statusWritesPerSecond: number; serverTimeMs: Record<string, TimingDelta>; coresBusy: Record<string, number> };
/** What the API load made while the null-sink run went on beside it. */
type BesideApiLoad = SendersFigures & { apiLoad: { createsPerSecond: number; statusWritesPerSecond: number; failed: number } };
interface WorkloadE {
  readonly senders: typeof SENDERS_DEFAULTS;
  readonly kubernetesSink: SendersFigures;
  readonly nullSink: SendersFigures;
  readonly ratioToNullSink: number;
  readonly repeatsOnlyP99ms: number;
  /** --api-load: the null sink beside an API server loaded at API_LOAD_RATES, and the kubernetes sink's ratio to it. */
  readonly nullSinkBesideApiLoad?: BesideApiLoad;
  readonly ratioToNullSinkBesideApiLoad?: number;
  /** Each round's alerts/s per system, in the order they ran: the runs' spread beside the medians. */
  readonly rounds: readonly { readonly kubernetesSink: number; readonly nullSink: number; readonly nullSinkBesideApiLoad?: number }[];
  readonly streamA: { alertsPerSecond: number; p50ms: number; p95ms: number; p99ms: number; createdPerSecond: number; errors: number };
}

/** The round with the median alerts/s (its other figures kept together with it). */
function medianRun<T extends SendersFigures>(runs: readonly T[]): T {
  const sorted = [...runs].sort((a, b) => a.alertsPerSecond - b.alertsPerSecond);
  const chosen = sorted[Math.floor(sorted.length / 2)];
  if (!chosen) throw new Error('no senders run');
  return chosen;
}

/** --soak N: workload (a) for N seconds, with each service's memory sampled along the way. */
const SOAK_SECONDS = process.argv.includes('--soak') ? arg('soak', 600) : 0;

/**
 * The long run: each service's RSS and V8 heap in use after start, every minute of workload (a),
 * and after the load stopped (at once and a minute later), to find growth that does not return.
 */
async function soak(system: RunningSystem, load: (seconds: number) => Promise<RunResult>): Promise<void> {
  const samples: MemorySample[] = [await sampleMemory(system, 'after start')];
  let alerts = 0;
  for (let done = 0; done < SOAK_SECONDS; done += 60) {
    const run = await load(Math.min(60, SOAK_SECONDS - done));
    alerts += run.alerts;
    samples.push(await sampleMemory(system, `load ${Math.min(done + 60, SOAK_SECONDS)} s (${Math.round(run.alertsPerSecond)}/s)`));
  }
  samples.push(await sampleMemory(system, 'load stopped'));
  await new Promise((resolve) => setTimeout(resolve, 60_000));
  samples.push(await sampleMemory(system, 'idle 60 s'));
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ soakSeconds: SOAK_SECONDS, alerts, samples }, null, 2)}\n`);
  else process.stdout.write(`soak: workload (a) for ${SOAK_SECONDS} s, ${alerts} alerts\n${memoryTable(samples)}\n`);
}

/** --overload F: F × the capacity measured first, open loop (see overload). */
const OVERLOAD_FACTOR = process.argv.includes('--overload') ? arg('overload', 5) : 0;

/**
 * Overload: the webhooks/s of workload (a) the system carries (closed loop, SECONDS), then F times
 * that rate, open loop, for SECONDS: what the gateway admits and sheds, the latency of both, and
 * its memory; then whether every service still runs.
 */
async function overload(system: RunningSystem, capacity: () => Promise<RunResult>, body: () => string): Promise<void> {
  const measured = await capacity();
  const webhooksPerSecond = measured.alertsPerSecond / 50;
  const rate = Math.round(webhooksPerSecond * OVERLOAD_FACTOR);
  const figures = await overloadRun({
    url: `${system.gatewayUrl}/api/v1/signals/alertmanager`,
    rate,
    seconds: SECONDS,
    gatewayPid: system.services['ingest-gateway'].pid,
    body,
    timeoutMs: 30_000,
  });
  const stillRunning = Object.values(system.services).filter((service) => service.running).length;
  const report = {
    capacityAlertsPerSecond: measured.alertsPerSecond,
    capacityP99Ms: Math.round(measured.p99),
    factor: OVERLOAD_FACTOR,
    webhooksPerSecond: rate,
    seconds: SECONDS,
    ...figures,
    servicesRunning: `${stillRunning}/${Object.keys(system.services).length}`,
  };
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else out(`overload: ${JSON.stringify(report)}`);
}

/** --redis cluster: workload (a) on one Redis and on a 3-master Cluster (topology-run.ts). */
const REDIS_TOPOLOGY = ((i: number) => (i < 0 ? 'standalone' : process.argv[i + 1]))(process.argv.indexOf('--redis'));

async function clusterComparison(): Promise<void> {
  const agent = new Agent({ connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 30_000 });
  const single = await new RedisServer({ maxmemory: '1gb' }).start();
  const singleForReplicas = await new RedisServer({ maxmemory: '1gb' }).start();
  const cluster = await new RedisCluster({ masters: 3, maxmemory: '1gb' }).start();
  const loopback = (server: RedisServer): { host: string; port: number } => ({ host: '127.0.0.1', port: server.port });
  const topologies: Topology[] = [];
  try {
    const crdWriter = { SINK: 'null' };
    topologies.push({
      name: 'standalone Redis, 1 process of each service',
      system: await benchSystem(single.url, 'ag:', crdWriter),
      redis: [loopback(single)],
    });
    topologies.push({
      name: 'standalone Redis, 3 replicas of each gRPC service',
      system: await benchSystem(singleForReplicas.url, 'ag:', crdWriter, { replicas: 3 }),
      redis: [loopback(singleForReplicas)],
    });
    topologies.push({
      name: 'Redis Cluster of 3 masters, 3 replicas of each gRPC service',
      system: await benchSystem(single.url, 'ag:', crdWriter, {
        replicas: 3,
        env: { REDIS_CLUSTER_NODES: cluster.addresses.join(','), REDIS_WAIT_REPLICAS: '0' },
      }),
      redis: (await cluster.masters()).map(loopback),
    });
    const load = (topology: Topology) =>
      drive(
        agent,
        `${topology.system.gatewayUrl}/api/v1/signals/alertmanager`,
        (stream) => ({ payload: webhook(Array.from({ length: 50 }, () => stream.next())), alerts: 50 }),
        {},
      );
    // Warm-up: the hot alerts exist, JIT is warm, on every topology.
    for (const topology of topologies) await load(topology);
    const figures = await compareTopologies(topologies, load, { rounds: ROUNDS, alertsPerWebhook: 50 });
    if (process.argv.includes('--json')) out(JSON.stringify({ seconds: SECONDS, concurrency: CONCURRENCY, rounds: ROUNDS, figures }));
    else {
      out(`a: webhooks of 50 on three Redis topologies — ${SECONDS}s per run, concurrency ${CONCURRENCY}, ${ROUNDS} alternating rounds (medians)`);
      for (const line of formatTopologies(figures)) out(line);
    }
  } finally {
    await agent.close();
    for (const { system } of topologies) await system.stop();
    await cluster.dispose();
    await singleForReplicas.dispose();
    await single.dispose();
  }
}

async function main(): Promise<void> {
  if (REDIS_TOPOLOGY === 'cluster') return clusterComparison();
  if (REDIS_TOPOLOGY !== 'standalone') throw new Error('--redis takes standalone or cluster');
  const redisServer = await new RedisServer({ maxmemory: '1gb' }).start();
  const redis = new Redis(redisServer.url);
  const system: RunningSystem = await startSystem({
    root,
    redisUrl: redisServer.url,
    keyPrefix: 'ag:',
    sinkDir: '/nonexistent',
    env: { LOG_LEVEL: 'warn', ...EXTRA_ENV },
    ...serviceNodeArgs(),
    serviceEnv: {
      'crd-writer': { SINK: 'null' },
      // At these rates the default thresholds (50 alerts or 20 resources of a key per minute)
      // would call every key a storm: only the storm namespace keeps them, the other keys get
      // thresholds they stay under (a 5 s window, at most 64 resources), so that the mix stays
      // 80% duplicates, 15% new incidents and 5% storm.
      storm: { STORM_RATE_THRESHOLD: '1000000', STORM_PATTERN_THRESHOLD: '64', STORM_WINDOW: '5s', STORM_OVERRIDES: 'storm=rate:50,pattern:20,window:60s' },
      // The benchmark measures the pipeline, not the limits.
      ratelimit: {
        SOURCE_RATE_PER_SECOND: '1000000',
        SOURCE_BURST: '1000000',
        NAMESPACE_CREATIONS_PER_MINUTE: '1000000',
        NAMESPACE_CREATIONS_BURST: '1000000',
      },
    },
  });
  /**
   * Each Alertmanager run gets a fresh Alertmanager: it keeps every posted alert in memory until
   * it resolves (resolve_timeout, 5m), and with a million held alerts it slows down and its
   * garbage collection takes CPU from the runs that follow. A fresh, empty one is its best case.
   * It runs with Alertmanager's own default timers (ALERTMANAGER_YARDSTICK_TIMERS): with the
   * tests' 1 s group_interval it flushes every group every second, work that grows with the
   * alerts it holds, so its rate fell with the length of a run (72,000 alerts/s over 4 s, 34,000
   * over 20 s; BENCHMARKS.md) and a 10-second run flattered alertgate.
   */
  const alertmanagerRun = async (
    theirs: (s: AlertStream) => { payload: string; alerts: number },
    options: { rate?: number; concurrency?: number },
  ): Promise<RunResult> => {
    const alertmanager = await new AlertmanagerProcess(ALERTMANAGER_YARDSTICK_TIMERS).start();
    try {
      return await drive(agent, `${alertmanager.url}/api/v2/alerts`, theirs, options);
    } finally {
      await alertmanager.stop();
    }
  };
  const agent = new Agent({ connections: Math.max(CONCURRENCY, ...SWEEP), pipelining: 1, keepAliveTimeout: 30_000 });
  const gateway = `${system.gatewayUrl}/api/v1/signals/alertmanager`;
  const batch = (size: number) => (stream: AlertStream) => {
    const alerts = Array.from({ length: size }, () => stream.next());
    return { payload: webhook(alerts), alerts: size };
  };
  const amBatch = (size: number) => (stream: AlertStream) => {
    const alerts = Array.from({ length: size }, () => stream.next());
    return { payload: JSON.stringify(alerts), alerts: size };
  };
  try {
    if (SOAK_SECONDS > 0) {
      await soak(system, (seconds) => drive(agent, gateway, batch(50), { seconds }));
      return;
    }
    if (OVERLOAD_FACTOR > 0) {
      await drive(agent, gateway, batch(50), {});
      const stream = new AlertStream();
      await overload(
        system,
        () => drive(agent, gateway, batch(50), {}),
        () => batch(50)(stream).payload,
      );
      return;
    }
    // Warm-up: the hot alerts exist, JIT is warm.
    await drive(agent, gateway, batch(50), {});
    const services: AppName[] = ['ingest-gateway', 'dedup', 'storm', 'ratelimit', 'crd-writer'];
    const results: Record<
      string,
      {
        gateway: RunResult[];
        alertmanager: RunResult[];
        cpu: Record<string, number[]>;
        redisCallsPerAlert: number[];
        scriptsPerRequest: number[];
        scriptUsecPerCall: number[];
        alertsPerRequest: number;
        timings: Record<string, TimingDelta>[];
      }
    > = {};
    const workloads: [
      string,
      (s: AlertStream) => { payload: string; alerts: number },
      (s: AlertStream) => { payload: string; alerts: number },
      { rate?: number },
    ][] = [
      ['a: webhooks of 50', batch(50), amBatch(50), {}],
      ['b: single alerts', batch(1), amBatch(1), {}],
      ['c: 1,000 alerts/s (20 webhooks/s of 50)', batch(50), amBatch(50), { rate: 20 }],
    ];
    for (const [name, ours, theirs, options] of workloads) {
      if (ONLY && !ONLY.includes(name.slice(0, 1))) continue;
      const entry: (typeof results)[string] = {
        gateway: [],
        alertmanager: [],
        cpu: Object.fromEntries([...services, 'redis', 'load generator'].map((s) => [s, [] as number[]])),
        redisCallsPerAlert: [],
        scriptsPerRequest: [],
        scriptUsecPerCall: [],
        alertsPerRequest: name.startsWith('b') ? 1 : 50,
        timings: [],
      };
      results[name] = entry;
      for (let round = 0; round < ROUNDS; round++) {
        const cpuBefore = Object.fromEntries(services.map((s) => [s, processCpuSeconds(system.services[s].pid)]));
        const redisCpuBefore = await redisCpuSeconds(redis);
        const loadCpuBefore = loadGeneratorCpuSeconds();
        const callsBefore = await commandCalls(redis);
        const timingsBefore = await serviceTimings(system);
        const run = await drive(agent, gateway, ours, options);
        entry.timings.push(timingDelta(timingsBefore, await serviceTimings(system)));
        const callsAfter = await commandCalls(redis);
        entry.gateway.push(run);
        entry.redisCallsPerAlert.push((callsAfter.all - callsBefore.all) / Math.max(1, run.alerts));
        entry.scriptUsecPerCall.push((callsAfter.scriptUsec - callsBefore.scriptUsec) / Math.max(1, callsAfter.scripts - callsBefore.scripts));
        entry.scriptsPerRequest.push(((callsAfter.scripts - callsBefore.scripts) / Math.max(1, run.alerts)) * entry.alertsPerRequest);
        for (const s of services) entry.cpu[s]?.push(((processCpuSeconds(system.services[s].pid) - (cpuBefore[s] ?? 0)) / Math.max(1, run.alerts)) * 1000);
        // Includes the few INFO calls around the run; negligible against a run's commands.
        entry.cpu['redis']?.push((((await redisCpuSeconds(redis)) - redisCpuBefore) / Math.max(1, run.alerts)) * 1000);
        entry.cpu['load generator']?.push(((loadGeneratorCpuSeconds() - loadCpuBefore) / Math.max(1, run.alerts)) * 1000);
        entry.alertmanager.push(await alertmanagerRun(theirs, options));
      }
    }
    // The sweep: throughput only, alternating as above, medians.
    const sweep: (SweepFigures & { p99ms: number })[] = [];
    for (const [name, ours, theirs] of workloads.slice(0, 2)) {
      if (ONLY && !ONLY.includes(name.slice(0, 1))) continue;
      for (const concurrency of SWEEP) {
        const mine: RunResult[] = [];
        const theirsRuns: RunResult[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          mine.push(await drive(agent, gateway, ours, { concurrency }));
          theirsRuns.push(await alertmanagerRun(theirs, { concurrency }));
        }
        const a = median(mine.map((x) => x.alertsPerSecond));
        const b = median(theirsRuns.map((x) => x.alertsPerSecond));
        sweep.push({
          workload: name,
          concurrency,
          alertgateAlertsPerSecond: a,
          alertmanagerAlertsPerSecond: b,
          ratio: ratioOf(a, b),
          p99ms: Math.round(median(mine.map((x) => x.p99)) * 100) / 100,
        });
      }
    }
    const memory = Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? 0);
    const dedupKeys = await redis.keys('ag:{d*');
    let incidents = 0;
    for (const key of dedupKeys) incidents += await redis.hlen(key);
    const summary = Object.entries(results).map(([name, r]) => ({
      workload: name,
      alertgateAlertsPerSecond: median(r.gateway.map((x) => x.alertsPerSecond)),
      alertmanagerAlertsPerSecond: median(r.alertmanager.map((x) => x.alertsPerSecond)),
      ratio: ratioOf(median(r.gateway.map((x) => x.alertsPerSecond)), median(r.alertmanager.map((x) => x.alertsPerSecond))),
      p50ms: Math.round(median(r.gateway.map((x) => x.p50)) * 100) / 100,
      p95ms: Math.round(median(r.gateway.map((x) => x.p95)) * 100) / 100,
      p99ms: Math.round(median(r.gateway.map((x) => x.p99)) * 100) / 100,
      alertmanagerP99ms: Math.round(median(r.alertmanager.map((x) => x.p99)) * 100) / 100,
      errors: r.gateway.reduce((sum, x) => sum + x.errors, 0),
      redisCommandsPerAlert: Math.round(median(r.redisCallsPerAlert) * 100) / 100,
      redisScriptCallsPerRequest: Math.round(median(r.scriptsPerRequest) * 100) / 100,
      redisUsecPerScriptCall: Math.round(median(r.scriptUsecPerCall)),
      cpuSecondsPer1000Alerts: Object.fromEntries(Object.entries(r.cpu).map(([s, v]) => [s, Math.round(median(v) * 1000) / 1000])),
      // The last round's: time inside each service per call (mean and p99 bucket).
      serverTimeMs: r.timings.at(-1) ?? {},
    }));
    const kubernetes = ONLY && !ONLY.includes('d') ? undefined : await kubernetesRun(redisServer.url, agent);
    const e = ONLY && !ONLY.includes('e') ? undefined : await workloadE(redisServer.url, agent);
    const cores = availableParallelism();
    const targets = assessTargets(summary, cores, sweep);
    const report = {
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      cores,
      redisUsedMemory: memory,
      openIncidents: incidents,
      bytesPerOpenIncident: incidents > 0 ? Math.round(memory / incidents) : undefined,
      summary,
      sweep,
      targets,
      kubernetes,
      e,
    };
    if (process.argv.includes('--json')) {
      out(JSON.stringify(report));
    } else {
      out(`alertgate vs Alertmanager 0.25 — ${SECONDS}s per run, concurrency ${CONCURRENCY}, ${ROUNDS} alternating rounds (medians)`);
      for (const s of summary) {
        out(`\n${s.workload}`);
        out(`  alerts/s      alertgate ${s.alertgateAlertsPerSecond}   Alertmanager ${s.alertmanagerAlertsPerSecond}   ratio ${s.ratio}`);
        out(`  latency ms    p50 ${s.p50ms}  p95 ${s.p95ms}  p99 ${s.p99ms}   (Alertmanager p99 ${s.alertmanagerP99ms})   errors ${s.errors}`);
        out(
          `  Redis         ${s.redisScriptCallsPerRequest} script calls (round trips) per request, ${s.redisUsecPerScriptCall} µs each inside Redis; ${s.redisCommandsPerAlert} commands per alert, scripts' inner commands included`,
        );
        out(
          `  CPU s / 1,000 alerts  ${Object.entries(s.cpuSecondsPer1000Alerts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        );
        out(
          `  ms inside, per call or GC pause: mean, p99 bucket (count)  ${Object.entries(s.serverTimeMs)
            .map(([k, v]) => `${k} ${v.meanMs}, ≤${v.p99UpToMs} (${v.calls})`)
            .join('; ')}`,
        );
      }
      if (sweep.length > 0) out('\nconcurrency sweep (alerts/s, medians)');
      for (const x of sweep)
        out(
          `  ${x.workload.slice(0, 1)} at ${String(x.concurrency).padStart(3)} connections: alertgate ${x.alertgateAlertsPerSecond} (p99 ${x.p99ms} ms)   Alertmanager ${x.alertmanagerAlertsPerSecond}   ratio ${x.ratio}`,
        );
      if (targets.length > 0) out(`\ntargets, at ${CONCURRENCY} connections`);
      for (const t of targets) {
        out(`  ${t.met ? 'met    ' : 'NOT met'}  ${t.target}: ${t.measured}`);
        if (t.budget) out(`           CPU budget: ${t.budget}`);
        if (t.sweep) out(`           at more connections, both systems alike: ${t.sweep}`);
      }
      out(
        `\nRedis: ${memory} bytes used for ${incidents} open incidents: ${incidents > 0 ? Math.round(memory / incidents) : '-'} bytes per open incident, limiters, storm state and Redis' own ~1 MB included`,
      );
      if (kubernetes) {
        const { run, resources } = kubernetes;
        out(`\nd: resource creation on the test API server (webhooks of 50, concurrency 4, crd-writer's kubernetes sink)`);
        out(`  alerts/s      alertgate ${run.alertsPerSecond}   errors ${run.errors}`);
        out(`  latency ms    p50 ${Math.round(run.p50 * 100) / 100}  p95 ${Math.round(run.p95 * 100) / 100}  p99 ${Math.round(run.p99 * 100) / 100}`);
        out(
          `  resources     ${run.created} answered created (${Math.round(run.created / run.seconds)}/s); ${resources} new RemediationRequests counted in the API server`,
        );
      }
      if (e) printWorkloadE(e);
    }
  } finally {
    await agent.close();
    await system.stop();
    redis.disconnect();
    await redisServer.dispose();
  }
}

function printWorkloadE(e: WorkloadE): void {
  const { groups, incidents, minAlerts, maxAlerts, newPerSecond } = e.senders;
  out(
    `\ne: Alertmanager-like senders (${groups} groups, one webhook in flight each, ${minAlerts}–${maxAlerts} alerts, repeats of ${incidents} open incidents, ${newPerSecond} new/s), test API server`,
  );
  const besideLoad = e.nullSinkBesideApiLoad ? ([['null sink beside the API load', e.nullSinkBesideApiLoad]] as const) : [];
  for (const [sink, r] of [['kubernetes sink', e.kubernetesSink] as const, ['null sink      ', e.nullSink] as const, ...besideLoad]) {
    out(
      `  ${sink}  alerts/s ${r.alertsPerSecond}  webhook ms p50 ${r.p50ms} p95 ${r.p95ms} p99 ${r.p99ms}  repeats-only p99 ${r.repeatsOnlyP99ms} (${r.repeatsOnlyWebhooks})  created/s ${r.createdPerSecond}  status writes/s ${r.statusWritesPerSecond}  503 ${r.answers503} (${r.answers503WithoutDeferred} deferring nothing)  errors ${r.errors}`,
    );
  }
  out(`  ratio to the null sink ${e.ratioToNullSink}`);
  out(
    `  alerts/s by round, in the order run (null sink, kubernetes sink${e.nullSinkBesideApiLoad ? ', null sink beside the API load' : ''}): ${e.rounds
      .map((r) => [r.nullSink, r.kubernetesSink, ...(r.nullSinkBesideApiLoad === undefined ? [] : [r.nullSinkBesideApiLoad])].join(', '))
      .join('; ')}`,
  );
  const load = e.nullSinkBesideApiLoad?.apiLoad;
  if (load)
    out(
      `  ratio to the null sink beside an API server loaded as the kubernetes sink loads it (asked ${API_LOAD_RATES.createsPerSecond} creates/s and ${API_LOAD_RATES.statusWritesPerSecond} status writes/s; made ${load.createsPerSecond} and ${load.statusWritesPerSecond}, ${load.failed} failed) ${e.ratioToNullSinkBesideApiLoad}`,
    );
  for (const [sink, r] of [['kubernetes sink', e.kubernetesSink] as const, ['null sink', e.nullSink] as const, ...besideLoad]) {
    out(
      `  ${sink}: cores busy  ${Object.entries(r.coresBusy)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; total ${round2(Object.values(r.coresBusy).reduce((a, b) => a + b, 0))}`,
    );
    out(
      `  ${sink}: ms inside, per call: mean, p99 bucket (count)  ${Object.entries(r.serverTimeMs)
        .filter(([k]) => !k.includes(' gc '))
        .map(([k, v]) => `${k} ${v.meanMs}, ≤${v.p99UpToMs} (${v.calls})`)
        .join('; ')}`,
    );
  }
  const a = e.streamA;
  out(
    `  stream of (a) on the kubernetes sink, ${CONCURRENCY} connections: alerts/s ${a.alertsPerSecond}  ms p50 ${a.p50ms} p95 ${a.p95ms} p99 ${a.p99ms}  created/s ${a.createdPerSecond}  non-200 ${a.errors}`,
  );
}

function entry(): Promise<void> {
  if (process.argv[2] === API_LOAD_CHILD) return runApiLoad(process.argv[3] ?? '');
  return process.argv.includes('--yardstick') ? yardstickCheck() : main();
}

entry().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${errorStack(err)}\n`);
  process.exit(1);
});
