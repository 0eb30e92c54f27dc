import { assessTargets, type WorkloadFigures } from './targets.js';

const workload = (name: string, figures: Partial<WorkloadFigures>): WorkloadFigures => ({
  workload: name,
  alertgateAlertsPerSecond: 0,
  alertmanagerAlertsPerSecond: 0,
  ratio: 0,
  p99ms: 0,
  redisScriptCallsPerRequest: 0,
  cpuSecondsPer1000Alerts: {},
  ...figures,
});

describe('assessTargets', () => {
  it('judges each target and gives a throughput target its CPU budget on the machine', () => {
    const verdicts = assessTargets(
      [
        workload('a: webhooks of 50', {
          alertgateAlertsPerSecond: 16_000,
          alertmanagerAlertsPerSecond: 50_000,
          ratio: 0.32,
          redisScriptCallsPerRequest: 0.8,
          cpuSecondsPer1000Alerts: { gateway: 0.06, redis: 0.04 },
        }),
        workload('b: single alerts', {
          alertgateAlertsPerSecond: 5_000,
          alertmanagerAlertsPerSecond: 20_000,
          ratio: 0.25,
          redisScriptCallsPerRequest: 0.4,
          cpuSecondsPer1000Alerts: { gateway: 0.3 },
        }),
        workload('c: 1,000 alerts/s', { p99ms: 37, redisScriptCallsPerRequest: 3 }),
      ],
      2,
      [
        { workload: 'a: webhooks of 50', concurrency: 64, alertgateAlertsPerSecond: 26_000, alertmanagerAlertsPerSecond: 50_000, ratio: 0.52 },
        { workload: 'a: webhooks of 50', concurrency: 128, alertgateAlertsPerSecond: 24_000, alertmanagerAlertsPerSecond: 50_000, ratio: 0.48 },
      ],
    );
    expect(verdicts).toEqual([
      {
        target: '(a) webhooks of 50: ≥ 0.5× Alertmanager',
        measured: '0.32× (16000 vs 50000 alerts/s)',
        met: false,
        // 0.1 CPU s per 1,000 alerts on 2 cores: 20,000 alerts/s at most; 25,000 needs 0.08.
        budget: 'all processes spend 0.1 CPU s per 1,000 alerts: 2 cores allow at most 20000 alerts/s (0.4×); 25000 alerts/s needs ≤ 0.08',
        // The sweep is judged by the same target, connection count by connection count.
        sweep: '64 connections 0.52× (26000 vs 50000) met; 128 connections 0.48× (24000 vs 50000) NOT met',
      },
      {
        target: '(b) single alerts: ≥ 0.25× Alertmanager',
        measured: '0.25× (5000 vs 20000 alerts/s)',
        met: true,
        budget: 'all processes spend 0.3 CPU s per 1,000 alerts: 2 cores allow at most 6667 alerts/s (0.33×); 5000 alerts/s needs ≤ 0.4',
      },
      { target: '(c) p99 ≤ 10 ms at 1,000 alerts/s', measured: 'p99 37 ms', met: false },
      {
        target: 'Redis round trips ≤ 1 per service per webhook (≤ 3 in all)',
        measured: '3 script calls per request (mean; the highest of the workloads)',
        met: true,
      },
    ]);
  });

  it('judges only the workloads that ran', () => {
    expect(assessTargets([workload('c: 1,000 alerts/s', { p99ms: 9.5, redisScriptCallsPerRequest: 3.2 })], 2)).toEqual([
      { target: '(c) p99 ≤ 10 ms at 1,000 alerts/s', measured: 'p99 9.5 ms', met: true },
      {
        target: 'Redis round trips ≤ 1 per service per webhook (≤ 3 in all)',
        measured: '3.2 script calls per request (mean; the highest of the workloads)',
        met: false,
      },
    ]);
    expect(assessTargets([], 2)).toEqual([]);
  });
});
