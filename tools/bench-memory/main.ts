/**
 * npm run bench:memory -- [--fingerprints 100000] [--batch 50] [--limiters 10000]
 *   [--storm-alerts 10000] [--storm-resources 2000] [--detection-keys 10000] [--json]
 *
 * Prints Redis used_memory per open incident of the dedup window (through the real DedupStore
 * and its Lua script, on a Redis started for the purpose), and a naive layout (a JSON string key
 * per fingerprint) for comparison, the bytes per active rate limiter and per storm; then the same classes on a Redis
 * Cluster of 3 masters, summed over the masters, with each master's share. With --json, one JSON
 * object: {"bytesPerFingerprint": N, …, "rateLimit": {…}, "storm": {…}, "cluster": {…}}.
 */
import { measureClusterMemory } from './measure-cluster-memory.js';
import { measureDedupMemory } from './measure-dedup-memory.js';
import { measureRateLimitMemory } from './measure-ratelimit-memory.js';
import { measureStormMemory } from './measure-storm-memory.js';
import { errorMessage } from '@alertgate/errors';
import { positiveIntArg as arg } from '../bench/cli-args.js';

async function main(): Promise<void> {
  const result = await measureDedupMemory(arg('fingerprints', 100_000), arg('batch', 50));
  const rateLimit = await measureRateLimitMemory(arg('limiters', 10_000));
  const storm = await measureStormMemory(arg('storm-alerts', 10_000), arg('storm-resources', 2_000), arg('detection-keys', 10_000));
  const cluster = await measureClusterMemory(arg('fingerprints', 100_000), arg('limiters', 10_000), arg('detection-keys', 10_000), arg('storm-alerts', 10_000));
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ ...result, rateLimit, storm, cluster })}\n`);
    return;
  }
  process.stdout.write(
    `dedup window: ${result.bytesPerFingerprint} bytes of used_memory per open incident ` +
      `(${result.fingerprints} fingerprints in ${result.keys} ${result.encoding} hashes of ~${result.entriesPerKey}, TTL ${result.keyTtlSeconds}s; ` +
      `${result.checksPerSecond} checks/s in batches of ${result.batch}); ${result.bytesPerResolvedFingerprint} per resolved one, kept for DEDUP_RESOLVED_RETENTION\n` +
      `seed layout (JSON string per fingerprint): ${result.seedLayoutBytesPerFingerprint} bytes per fingerprint\n` +
      `rate limits: ${rateLimit.bytesPerLimiter} bytes per active limiter (${rateLimit.limiters} limiters, e.g. ${rateLimit.sampleKey})\n` +
      `storms: one storm of ${storm.stormAlerts} alerts over ${storm.stormResources} resources takes ${storm.stormBytes} bytes (${storm.stormEncoding}); ` +
      `detection state ${storm.detectionBytesPerKey} bytes per key (${storm.detectionKeys} keys; MEMORY USAGE of one: ${storm.detectionKeyBytes})\n` +
      `Redis Cluster of ${cluster.masters} masters: ${cluster.bytesPerIncident} bytes per open incident (${cluster.incidents}; masters' shares ${cluster.incidentShares.join(' / ')}), ` +
      `${cluster.bytesPerLimiter} per active limiter, ${cluster.detectionBytesPerKey} per storm detection key, one storm of ${cluster.stormAlerts} alerts ${cluster.stormBytes} bytes\n` +
      `Redis ${result.redisVersion}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:memory failed: ${errorMessage(err)}\n`);
  process.exit(1);
});
