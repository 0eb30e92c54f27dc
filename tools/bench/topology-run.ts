import type { RunningSystem } from '@alertgate/local-env';
import { Redis } from 'ioredis';

import { processCpuSeconds } from './process-cpu.js';
import { median, round2, round3 } from './stats.js';

/** One system under test: its processes, and the Redis servers (masters) it writes to. */
export interface Topology {
  readonly name: string;
  readonly system: RunningSystem;
  /** host:port of every Redis server holding its keys (the one server, or every master). */
  readonly redis: readonly { readonly host: string; readonly port: number }[];
}

/** What a load run returns (the bench's closed loop of workload (a)). */
export interface LoadFigures {
  readonly alerts: number;
  readonly alertsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

export interface TopologyFigures {
  readonly topology: string;
  readonly alertsPerSecond: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly errors: number;
  /** CPU seconds per 1,000 alerts: every process of every service, and every Redis server. */
  readonly cpuPer1000Alerts: { readonly services: number; readonly redis: number; readonly total: number };
  /** Script calls (Redis round trips) per webhook, per service, summed over its replicas. */
  readonly scriptCallsPerWebhook: Readonly<Record<string, number>>;
  /** Each Redis server's share of the script calls and its CPU per 1,000 alerts. */
  readonly perServer: readonly { readonly node: string; readonly scriptCallShare: number; readonly cpuPer1000Alerts: number }[];
}

const SCRIPT_SERVICES: Readonly<Record<string, string>> = {
  'dedup-batch': 'dedup',
  'dedup-forget': 'dedup',
  'dedup-adopt': 'dedup',
  'storm-batch': 'storm',
  gcra: 'ratelimit',
};

interface Sample {
  readonly serviceCpu: number;
  readonly servers: readonly { readonly cpu: number; readonly scriptCalls: number }[];
  readonly scripts: Readonly<Record<string, number>>;
}

function pids(system: RunningSystem): number[] {
  return Object.values(system.replicas).flatMap((processes) => processes.flatMap((p) => (p.pid ? [p.pid] : [])));
}

/** alertgate_redis_script_duration_seconds_count per service, summed over every process. */
async function scriptCounts(system: RunningSystem): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const processes of Object.values(system.replicas)) {
    for (const { metricsPort } of processes) {
      if (!metricsPort) continue;
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      for (const match of text.matchAll(/^alertgate_redis_script_duration_seconds_count\{[^}]*script="([^"]+)"[^}]*\} (\S+)$/gm)) {
        const service = SCRIPT_SERVICES[match[1] ?? ''] ?? match[1] ?? '?';
        counts[service] = (counts[service] ?? 0) + Number(match[2]);
      }
    }
  }
  return counts;
}

async function serverFigures(client: Redis): Promise<{ cpu: number; scriptCalls: number }> {
  const [cpu, stats] = [await client.info('cpu'), await client.info('commandstats')];
  const seconds = Number(/^used_cpu_sys:([\d.]+)/m.exec(cpu)?.[1] ?? 0) + Number(/^used_cpu_user:([\d.]+)/m.exec(cpu)?.[1] ?? 0);
  const scriptCalls = [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  return { cpu: seconds, scriptCalls };
}

async function sample(topology: Topology, clients: readonly Redis[]): Promise<Sample> {
  return {
    serviceCpu: pids(topology.system).reduce((sum, pid) => sum + processCpuSeconds(pid), 0),
    servers: await Promise.all(clients.map(serverFigures)),
    scripts: await scriptCounts(topology.system),
  };
}

interface Round {
  readonly load: LoadFigures;
  readonly before: Sample;
  readonly after: Sample;
}

function figuresOf(topology: Topology, rounds: readonly Round[], alertsPerWebhook: number): TopologyFigures {
  const per1000 = (pick: (round: Round) => number): number => round3(median(rounds.map((r) => (pick(r) / Math.max(1, r.load.alerts)) * 1000)));
  const services = per1000((r) => r.after.serviceCpu - r.before.serviceCpu);
  const serverCpu = (r: Round, s: number): number => (r.after.servers[s]?.cpu ?? 0) - (r.before.servers[s]?.cpu ?? 0);
  const redis = per1000((r) => r.after.servers.reduce((sum, _server, s) => sum + serverCpu(r, s), 0));
  const scriptServices = Object.keys(rounds[0]?.after.scripts ?? {});
  const calls = (r: Round, s: number): number => (r.after.servers[s]?.scriptCalls ?? 0) - (r.before.servers[s]?.scriptCalls ?? 0);
  return {
    topology: topology.name,
    alertsPerSecond: median(rounds.map((r) => r.load.alertsPerSecond)),
    p50ms: round2(median(rounds.map((r) => r.load.p50))),
    p99ms: round2(median(rounds.map((r) => r.load.p99))),
    errors: rounds.reduce((sum, r) => sum + r.load.errors, 0),
    cpuPer1000Alerts: { services, redis, total: round3(services + redis) },
    scriptCallsPerWebhook: Object.fromEntries(
      scriptServices.map((service) => [
        service,
        round2(median(rounds.map((r) => ((r.after.scripts[service] ?? 0) - (r.before.scripts[service] ?? 0)) / Math.max(1, r.load.alerts / alertsPerWebhook)))),
      ]),
    ),
    perServer: topology.redis.map(({ host, port }, s) => {
      const all = (r: Round): number => r.after.servers.reduce((sum, _server, k) => sum + calls(r, k), 0);
      return {
        node: `${host}:${port}`,
        scriptCallShare: round2(median(rounds.map((r) => calls(r, s) / Math.max(1, all(r))))),
        cpuPer1000Alerts: per1000((r) => serverCpu(r, s)),
      };
    }),
  };
}

/**
 * The same load on each topology in turn, `rounds` times (A B C A B C), with every process's
 * CPU, every Redis server's CPU and script calls, and each service's script calls counted around
 * each run; medians reported.
 */
export async function compareTopologies(
  topologies: readonly Topology[],
  load: (topology: Topology) => Promise<LoadFigures>,
  options: { rounds: number; alertsPerWebhook: number },
): Promise<TopologyFigures[]> {
  const clients = topologies.map((t) => t.redis.map(({ host, port }) => new Redis({ host, port, maxRetriesPerRequest: 1 })));
  const rounds: Round[][] = topologies.map(() => []);
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const [t, topology] of topologies.entries()) {
        const before = await sample(topology, clients[t] ?? []);
        const figures = await load(topology);
        rounds[t]?.push({ load: figures, before, after: await sample(topology, clients[t] ?? []) });
      }
    }
  } finally {
    for (const list of clients) for (const client of list) client.disconnect();
  }
  return topologies.map((topology, t) => figuresOf(topology, rounds[t] ?? [], options.alertsPerWebhook));
}

/** The CPU per 1,000 alerts of each topology over each earlier one's ("1.07× B"). */
function ratios(figures: readonly TopologyFigures[], at: number): string {
  const total = figures[at]?.cpuPer1000Alerts.total ?? 0;
  return figures
    .slice(0, at)
    .map((earlier, k) => `${earlier.cpuPer1000Alerts.total > 0 ? round2(total / earlier.cpuPer1000Alerts.total) : '-'}× ${String.fromCharCode(65 + k)}`)
    .join(', ');
}

export function formatTopologies(figures: readonly TopologyFigures[]): string[] {
  const lines: string[] = [];
  for (const [at, f] of figures.entries()) {
    lines.push(`\n${String.fromCharCode(65 + at)}. ${f.topology}`);
    lines.push(`  alerts/s ${f.alertsPerSecond}   ms p50 ${f.p50ms} p99 ${f.p99ms}   errors ${f.errors}`);
    lines.push(
      `  CPU s / 1,000 alerts  services ${f.cpuPer1000Alerts.services}, Redis ${f.cpuPer1000Alerts.redis}, total ${f.cpuPer1000Alerts.total}${at > 0 ? ` (${ratios(figures, at)})` : ''}`,
    );
    lines.push(
      `  script calls per webhook  ${Object.entries(f.scriptCallsPerWebhook)
        .map(([service, calls]) => `${service} ${calls}`)
        .join(', ')}`,
    );
    lines.push(
      `  per Redis server  ${f.perServer.map((s) => `${s.node}: ${Math.round(s.scriptCallShare * 100)}% of script calls, ${s.cpuPer1000Alerts} CPU s / 1,000 alerts`).join('; ')}`,
    );
  }
  return lines;
}
