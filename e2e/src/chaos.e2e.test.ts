import { resolve } from 'node:path';

import { CHAOS_SHORT, runChaos, type ChaosReport } from '@alertgate/chaos';
import { repoRoot } from '@alertgate/testing';

/**
 * The fault ledger, shortened (npm run chaos is the full run): an Alertmanager-like sender while
 * Redis is killed and hung, each service is SIGKILLed, and the API server hangs; then every alert
 * answered 200 is looked up on the real API server. It runs on a Redis and an API server of its
 * own, so that its faults touch no other suite.
 */
/** The ledger's promise: nothing acknowledged lost or doubled, no valid webhook refused, every process back. */
function expectNothingLost(report: ChaosReport): void {
  const { comparison } = report;
  expect(comparison.withoutResource).toEqual({ count: 0, examples: [] });
  expect(comparison.moreThanOneOpen).toEqual({ count: 0, examples: [] });
  expect(comparison.resolutionsNotRecorded).toEqual({ count: 0, examples: [] });
  expect(comparison.occurrencesBelowAcknowledged).toEqual({ count: 0, examples: [] });
  expect(report.refused).toEqual([]);
  expect(report.notReady).toEqual([]);
}

describe('chaos: nothing acknowledged is lost, nothing doubled, under faults one after another', () => {
  it('the ledger matches the resources after every fault, and every process came back', async () => {
    const root = repoRoot();
    const report = await runChaos({
      ...CHAOS_SHORT,
      root,
      kubeDir: resolve(root, 'var', 'k8s-chaos-test'),
      logDir: resolve(root, 'var', 'chaos-test'),
      log: () => undefined,
    });
    process.stdout.write(
      `chaos (short): ${JSON.stringify({ seconds: report.seconds, webhooks: report.webhooks, faults: report.faults, comparison: report.comparison })}\n`,
    );
    const { comparison } = report;
    // Counted, not timed: every group is answered at least 36 times (4 per settling, 9 settlings),
    // holds at least 10 firing alerts, and each alert resolves within 16 of its group's answers:
    // so at least 4 × 30 alerts and 4 × 20 resolutions are acknowledged, on any machine.
    expect(comparison.acknowledgedAlerts).toBeGreaterThan(100);
    expect(comparison.acknowledgedResolutions).toBeGreaterThan(50);
    expectNothingLost(report);
    expect(report.faults.filter((fault) => fault.recoveredMs === undefined).map((fault) => fault.name)).toEqual([]);
    // The faults met the traffic: the run is not one where nothing failed.
    expect(report.faults.reduce((sum, fault) => sum + fault.failedAttempts, 0)).toBeGreaterThan(0);
  }, 240_000);

  it('on a Redis Cluster with a replica per master, the master of the dedup keys killed under load: its replica takes over, and nothing acknowledged is lost or doubled', async () => {
    const root = repoRoot();
    const report = await runChaos({
      ...CHAOS_SHORT,
      redis: 'cluster',
      only: /Cluster master/,
      root,
      kubeDir: resolve(root, 'var', 'k8s-chaos-test'),
      logDir: resolve(root, 'var', 'chaos-cluster-test'),
      log: () => undefined,
    });
    process.stdout.write(
      `chaos (Cluster master killed): ${JSON.stringify({ seconds: report.seconds, webhooks: report.webhooks, faults: report.faults, comparison: report.comparison })}\n`,
    );
    const { comparison } = report;
    expect(report.faults.map((fault) => fault.name)).toEqual(['Redis Cluster master (a third of every class) SIGKILLed; its replica takes over']);
    expect(report.faults[0]?.note).toMatch(/^replica acknowledged up to \d+ bytes behind the master at the kill; promoted \d+ ms after it$/);
    // Counted: every group is answered at least 8 times (4 per settling, 2 settlings), with at least 10 firing alerts.
    expect(comparison.acknowledgedAlerts).toBeGreaterThanOrEqual(40);
    expectNothingLost(report);
    expect(report.faults[0]?.recoveredMs).toBeDefined();
    // Until the replica is promoted, calls to the dedup keys' slot fail: the fault met the traffic.
    expect(report.faults[0]?.failedAttempts).toBeGreaterThan(0);
  }, 240_000);
});
