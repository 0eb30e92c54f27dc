/**
 * The benchmark's targets, judged on a run's medians, and for the throughput targets the CPU budget
 * that explains them: every process of the run (services, Redis, the load generator) shares the
 * machine's cores, so alerts/s can never exceed cores ÷ CPU seconds per alert, however the work
 * is scheduled. A missed throughput target whose ceiling is below it cannot be met by latency or
 * concurrency alone: the CPU per alert has to fall to the figure printed.
 */

/** One workload's medians, as the benchmark's summary has them. */
export interface WorkloadFigures {
  readonly workload: string;
  readonly alertgateAlertsPerSecond: number;
  readonly alertmanagerAlertsPerSecond: number;
  readonly ratio: number;
  readonly p99ms: number;
  readonly redisScriptCallsPerRequest: number;
  /** Per process, the load generator included. */
  readonly cpuSecondsPer1000Alerts: Readonly<Record<string, number>>;
}

/** A throughput run at another number of connections (the benchmark's --sweep). */
export interface SweepFigures {
  readonly workload: string;
  readonly concurrency: number;
  readonly alertgateAlertsPerSecond: number;
  readonly alertmanagerAlertsPerSecond: number;
  readonly ratio: number;
}

export interface TargetVerdict {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
  /** For a throughput target: what the CPU per alert allows, and what the target needs. */
  readonly budget?: string;
  /** For a throughput target: the same target at the sweep's connections, both systems alike. */
  readonly sweep?: string;
}

/** The Redis-backed services, each allowed one script call (round trip) per webhook. */
const REDIS_SERVICES = 3;
const THROUGHPUT: readonly { letter: string; ratio: number; what: string }[] = [
  { letter: 'a', ratio: 0.5, what: 'webhooks of 50' },
  { letter: 'b', ratio: 0.25, what: 'single alerts' },
];
const LATENCY_P99_MS = 10;

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

export function assessTargets(summary: readonly WorkloadFigures[], cores: number, sweep: readonly SweepFigures[] = []): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [];
  const byLetter = new Map(summary.map((s) => [s.workload.slice(0, 1), s]));
  for (const { letter, ratio, what } of THROUGHPUT) {
    const s = byLetter.get(letter);
    if (!s) continue;
    const cpuPerAlert = Object.values(s.cpuSecondsPer1000Alerts).reduce((sum, v) => sum + v, 0) / 1000;
    const needed = ratio * s.alertmanagerAlertsPerSecond;
    const ceiling = cpuPerAlert > 0 ? cores / cpuPerAlert : Infinity;
    const others = sweep.filter((x) => x.workload.slice(0, 1) === letter);
    verdicts.push({
      target: `(${letter}) ${what}: ≥ ${ratio}× Alertmanager`,
      measured: `${s.ratio}× (${s.alertgateAlertsPerSecond} vs ${s.alertmanagerAlertsPerSecond} alerts/s)`,
      met: s.ratio >= ratio,
      budget:
        `all processes spend ${round(cpuPerAlert * 1000, 3)} CPU s per 1,000 alerts: ${cores} cores allow at most ${Math.round(ceiling)} alerts/s ` +
        `(${round(ceiling / Math.max(1, s.alertmanagerAlertsPerSecond), 2)}×); ${Math.round(needed)} alerts/s needs ≤ ${round((cores / Math.max(1, needed)) * 1000, 3)}`,
      ...(others.length > 0
        ? {
            sweep: others
              .map(
                (x) =>
                  `${x.concurrency} connections ${x.ratio}× (${x.alertgateAlertsPerSecond} vs ${x.alertmanagerAlertsPerSecond}) ${x.ratio >= ratio ? 'met' : 'NOT met'}`,
              )
              .join('; '),
          }
        : {}),
    });
  }
  const c = byLetter.get('c');
  if (c) verdicts.push({ target: `(c) p99 ≤ ${LATENCY_P99_MS} ms at 1,000 alerts/s`, measured: `p99 ${c.p99ms} ms`, met: c.p99ms <= LATENCY_P99_MS });
  if (summary.length > 0) {
    const worst = Math.max(...summary.map((s) => s.redisScriptCallsPerRequest));
    verdicts.push({
      target: `Redis round trips ≤ 1 per service per webhook (≤ ${REDIS_SERVICES} in all)`,
      measured: `${worst} script calls per request (mean; the highest of the workloads)`,
      met: worst <= REDIS_SERVICES,
    });
  }
  return verdicts;
}
