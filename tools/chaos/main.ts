/**
 * npm run chaos [-- --short] [-- --redis cluster] [-- --only REGEX] [-- --json]
 *
 * An Alertmanager-like sender against the whole system on a real API server of its own, while
 * Redis, each service and the API server fail one after another; at the end the ledger of every
 * alert answered 200 is compared with the resources. A few minutes, loopback only; it stops by
 * itself and exits 1 on any loss or duplicate. --short is the run of npm test. --redis cluster
 * runs on a Redis Cluster of 3 masters with a replica each, and kills the master of the dedup keys
 * instead of the single server's faults; --only runs the faults whose names match. Each service's
 * log of the run is left in var/chaos/. docs/reliability.md has the method and figures.
 */
import { resolve } from 'node:path';

import { errorStack } from '@alertgate/errors';
import { CHAOS_DEFAULTS, CHAOS_SHORT, runChaos, type ChaosReport, type Finding } from '@alertgate/chaos';

const root = resolve(__dirname, '..', '..');

function line(label: string, finding: Finding): string {
  return `${label.padEnd(44)} ${String(finding.count).padStart(6)}${finding.examples.length ? `   e.g. ${finding.examples.join('; ')}` : ''}`;
}

function print(report: ChaosReport): void {
  const out = (text: string): boolean => process.stdout.write(`${text}\n`);
  out(
    `\nchaos: ${report.seconds} s, ${report.webhooks} webhooks answered 200, ${report.comparison.acknowledgedAlerts} alerts acknowledged firing, ${report.comparison.acknowledgedResolutions} resolutions, ${report.comparison.resources} resources\n`,
  );
  out(`${'fault'.padEnd(72)} ${'failed'.padStart(7)} ${'503/down ms'.padStart(12)} ${'recovered ms'.padStart(13)}`);
  for (const fault of report.faults) {
    out(
      `${fault.name.padEnd(72)} ${String(fault.failedAttempts).padStart(7)} ${String(fault.unavailableMs).padStart(12)} ${(fault.recoveredMs === undefined ? 'NOT' : String(fault.recoveredMs)).padStart(13)}`,
    );
    if (fault.note !== undefined) out(`  ${fault.note}`);
  }
  out(`${line('failed attempts with no fault active', report.failuresWithoutFault)}\n`);
  const c = report.comparison;
  out(line('acknowledged incidents without a resource', c.withoutResource));
  out(line('incidents with more than one open resource', c.moreThanOneOpen));
  out(line('acknowledged resolutions not recorded', c.resolutionsNotRecorded));
  out(line('occurrences below acknowledged deliveries', c.occurrencesBelowAcknowledged));
  out(`4xx answers to valid webhooks: ${report.refused.length}${report.refused.length ? ` (${report.refused.slice(0, 3).join('; ')})` : ''}`);
  out(`processes not ready at the end: ${report.notReady.length ? report.notReady.join('; ') : 'none'}`);
}

/** Whether the report holds the promise: nothing acknowledged lost or doubled, everything back. */
function holds(report: ChaosReport): boolean {
  const c = report.comparison;
  const losses = c.withoutResource.count + c.moreThanOneOpen.count + c.resolutionsNotRecorded.count + c.occurrencesBelowAcknowledged.count;
  return losses === 0 && report.refused.length === 0 && report.notReady.length === 0 && report.faults.every((fault) => fault.recoveredMs !== undefined);
}

/** The value after a flag (--redis cluster), if given. */
function argument(flag: string): string | undefined {
  const at = process.argv.indexOf(flag);
  return at < 0 ? undefined : process.argv[at + 1];
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const settings = process.argv.includes('--short') ? CHAOS_SHORT : CHAOS_DEFAULTS;
  const redis = argument('--redis') ?? 'standalone';
  if (redis !== 'standalone' && redis !== 'cluster') throw new Error(`--redis must be standalone or cluster, got "${redis}"`);
  const only = argument('--only');
  const report = await runChaos({
    ...settings,
    redis,
    ...(only === undefined ? {} : { only: new RegExp(only) }),
    root,
    kubeDir: resolve(root, 'var', 'k8s-chaos'),
    logDir: resolve(root, 'var', 'chaos'),
    log: (text) => process.stderr.write(`${text}\n`),
  });
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else print(report);
  if (!holds(report)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos failed: ${errorStack(err)}\n`);
  process.exit(1);
});
