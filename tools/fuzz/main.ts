/**
 * npm run fuzz [-- --count N] [-- --seed S] [-- --json]
 *
 * The HTTP fuzz run: N (50,000) mutated Alertmanager webhooks, structure-aware (fields deleted,
 * wrong types, hostile and huge strings, deep nesting, null bytes, invalid UTF-8, duplicate
 * keys, truncation, wrong content types and encodings), against the whole system on a Redis and a
 * file sink of its own, loopback only. Exits 1 on any 5xx, any 4xx that is not problem+json, or
 * anything written that no 200 acknowledged. The same seed sends the same bodies.
 */
import { resolve } from 'node:path';

import { errorStack } from '@alertgate/errors';
import { FUZZ_DEFAULTS, runFuzz, type FuzzReport } from '@alertgate/chaos';

const root = resolve(__dirname, '..', '..');

function flag(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return undefined;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer`);
  return value;
}

function holds(report: FuzzReport): boolean {
  return (
    report.answers5xx.count === 0 &&
    report.notProblemJson.count === 0 &&
    report.dedupEntries === report.acknowledgedAlerts &&
    report.resources === report.acknowledgedAlerts
  );
}

function print(report: FuzzReport): void {
  const out = (text: string): boolean => process.stdout.write(`${text}\n`);
  out(`fuzz: ${report.sent} bodies in ${report.seconds} s; answers ${JSON.stringify(report.byStatus)}`);
  for (const [mutation, statuses] of Object.entries(report.byMutation)) out(`  ${mutation.padEnd(20)} ${JSON.stringify(statuses)}`);
  out(`5xx answers: ${report.answers5xx.count}${report.answers5xx.examples.length ? ` (${report.answers5xx.examples.join('; ')})` : ''}`);
  out(`4xx not problem+json: ${report.notProblemJson.count}${report.notProblemJson.examples.length ? ` (${report.notProblemJson.examples.join('; ')})` : ''}`);
  out(`written: ${report.dedupEntries} dedup entries and ${report.resources} resources, for ${report.acknowledgedAlerts} alerts answered 200`);
  out(
    `gateway RSS: ${report.gatewayRssMiB.before} MiB before, ${report.gatewayRssMiB.after} MiB after, ${report.gatewayRssMiB.settled} MiB ${FUZZ_DEFAULTS.settleMs / 1000} s later`,
  );
  out(
    `gateway V8 heap in use: ${report.gatewayHeapUsedMiB.before} MiB before, ${report.gatewayHeapUsedMiB.after} MiB after, ${report.gatewayHeapUsedMiB.settled} MiB ${FUZZ_DEFAULTS.settleMs / 1000} s later`,
  );
}

async function main(): Promise<void> {
  const report = await runFuzz({ ...FUZZ_DEFAULTS, root, count: flag('count') ?? FUZZ_DEFAULTS.count, seed: flag('seed') ?? FUZZ_DEFAULTS.seed });
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else print(report);
  if (!holds(report)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`fuzz failed: ${errorStack(err)}\n`);
  process.exit(1);
});
