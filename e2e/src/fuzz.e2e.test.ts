import { FUZZ_DEFAULTS, runFuzz } from '@alertgate/chaos';
import { repoRoot } from '@alertgate/testing';

/**
 * The HTTP fuzz run, bounded (npm run fuzz sends 50,000): mutated webhooks of every kind against
 * the whole system on a Redis and a file sink of its own. No body may get a 5xx, every 4xx is a
 * problem, and only what was answered 200 leaves anything behind.
 */
describe('HTTP fuzz: mutated webhooks get 200 or a 4xx problem, and leave nothing they were not acknowledged for', () => {
  it('2,000 mutated bodies', async () => {
    const report = await runFuzz({ ...FUZZ_DEFAULTS, root: repoRoot(), count: 2_000, seed: 20_261_202, settleMs: 5_000 });
    process.stdout.write(
      `fuzz (2,000 bodies): ${JSON.stringify({ seconds: report.seconds, byStatus: report.byStatus, gatewayRssMiB: report.gatewayRssMiB, gatewayHeapUsedMiB: report.gatewayHeapUsedMiB })}\n`,
    );
    expect(report.answers5xx).toEqual({ count: 0, examples: [] });
    expect(report.notProblemJson).toEqual({ count: 0, examples: [] });
    expect(report.dedupEntries).toBe(report.acknowledgedAlerts);
    expect(report.resources).toBe(report.acknowledgedAlerts);
    // Every kind of mutation was sent, and both answers occur: the run is not all 200 or all 400.
    expect(Object.keys(report.byMutation)).toHaveLength(13);
    expect(report.byStatus['200']).toBeGreaterThan(100);
    expect(report.byStatus['400']).toBeGreaterThan(100);
  }, 300_000);
});
