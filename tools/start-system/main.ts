/**
 * npm start: the whole system on this machine, on embedded defaults.
 * - Redis: REDIS_URL when set, else a local redis-server started here (maxmemory 256mb,
 *   noeviction) on a free port.
 * - Resources: KUBECONFIG when set (the crd-writer writes to that cluster), else YAML files under
 *   var/remediationrequests/.
 * - Authentication off (said so in the gateway's log); production deployments set a token.
 * Ctrl-C stops everything.
 */
import { join, resolve } from 'node:path';

import { errorMessage } from '@alertgate/errors';
import {
  localEndpointsPath,
  PortReservation,
  RedisServer,
  REDIS_INSTALL_HINT,
  redisServerAvailable,
  removeLocalEndpoints,
  startSystem,
  writeLocalEndpoints,
  type AppName,
} from '@alertgate/local-env';

const root = resolve(__dirname, '..', '..');
const out = (line: string): void => void process.stdout.write(`${line}\n`);

const COLORS: Record<AppName, string> = { dedup: '36', 'crd-writer': '35', ratelimit: '33', storm: '34', 'ingest-gateway': '32' };

function printLog(app: AppName, line: string): void {
  let text = line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const { level, msg, time: _time, service: _service, trace_id: _trace, span_id: _span, ...rest } = entry;
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    text = `${String(level).padEnd(5)} ${String(msg)}${extra}`;
  } catch {
    // not JSON: printed as is
  }
  out(`\u001b[${COLORS[app]}m${app.padEnd(14)}\u001b[0m ${text}`);
}

async function main(): Promise<void> {
  const env = process.env;
  const ports: Record<AppName, number> = {
    'ingest-gateway': Number(env['INGEST_PORT'] ?? 8080),
    dedup: Number(env['DEDUP_PORT'] ?? 50051),
    'crd-writer': Number(env['CRD_WRITER_PORT'] ?? 50054),
    ratelimit: Number(env['RATELIMIT_PORT'] ?? 50053),
    storm: Number(env['STORM_PORT'] ?? 50052),
  };
  // Held before anything opens a connection (Redis included): 50051–50054 are ephemeral ports.
  const reservation = await PortReservation.hold({
    INGEST_PORT: ports['ingest-gateway'],
    DEDUP_PORT: ports.dedup,
    CRD_WRITER_PORT: ports['crd-writer'],
    RATELIMIT_PORT: ports.ratelimit,
    STORM_PORT: ports.storm,
  });
  let redis: RedisServer | undefined;
  let redisUrl = env['REDIS_URL'];
  if (!redisUrl) {
    if (!redisServerAvailable()) {
      out(REDIS_INSTALL_HINT);
      process.exit(1);
    }
    redis = await new RedisServer({ maxmemory: '256mb', maxmemoryPolicy: 'noeviction' }).start();
    redisUrl = redis.url;
    out(`Started a local Redis at ${redisUrl} (set REDIS_URL to use your own).`);
  }
  const kubeconfig = env['KUBECONFIG'];
  const sinkDir = join(root, 'var', 'remediationrequests');
  const passThrough = Object.fromEntries(
    Object.entries(env).filter(
      ([key, value]) =>
        value !== undefined &&
        /^(OTEL_|KUBECONFIG$|SINK|LOG_LEVEL$|DEDUP_WINDOW$|STORM_|SOURCE_|NAMESPACE_CREATIONS_|NAMESPACE_OVERRIDES$|RATELIMIT_FAIL_MODE$|FALLBACK_NAMESPACE$|DEFAULT_NAMESPACE$|TARGET_LABELS$|STATUS_(FLUSH|REPEAT)_INTERVAL$|METRICS_PORT$)/.test(
          key,
        ),
    ),
  ) as Record<string, string>;
  const keyPrefix = env['REDIS_KEY_PREFIX'] ?? 'ag:';
  const system = await startSystem({
    root,
    redisUrl,
    keyPrefix,
    sinkDir,
    ports,
    reservation,
    env: passThrough,
    onLog: printLog,
  });
  writeLocalEndpoints(root, {
    redisUrl,
    keyPrefix,
    gatewayUrl: system.gatewayUrl,
    dedupAddress: system.dedupAddress,
    crdWriterAddress: system.crdWriterAddress,
    ratelimitAddress: system.ratelimitAddress,
    stormAddress: system.stormAddress,
    pid: process.pid,
  });
  const stop = async (): Promise<void> => {
    out('Stopping…');
    removeLocalEndpoints(root);
    await system.stop();
    await redis?.dispose();
    process.exit(0);
  };
  let stopping = false;
  const stopOnce = (): void => {
    if (stopping) return;
    stopping = true;
    void stop();
  };
  process.on('SIGINT', stopOnce);
  process.on('SIGTERM', stopOnce);
  process.on('SIGHUP', stopOnce);
  // npm does not pass a SIGTERM on to its script: when npm is gone, this process has a new
  // parent, and stops instead of leaving everything running orphaned.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stopOnce();
  }, 500).unref();

  out('');
  out(`alertgate is running.`);
  out(`  ingest gateway  ${system.gatewayUrl}   (auth off for local use)`);
  out(`  dedup           ${system.dedupAddress}    (gRPC, reflection on)`);
  out(`  crd-writer      ${system.crdWriterAddress}    (gRPC, reflection on)`);
  out(`  ratelimit       ${system.ratelimitAddress}    (gRPC, reflection on)`);
  out(`  storm           ${system.stormAddress}    (gRPC, reflection on)`);
  out(`  endpoints       ${localEndpointsPath(root)}   (npm run redis-report reads it)`);
  out(`  resources       ${kubeconfig ? `Kubernetes (KUBECONFIG=${kubeconfig}); kubectl get rr -A` : `${sinkDir}/<namespace>/<name>.yaml`}`);
  out('');
  out('Send an alert:');
  out(
    `  curl -s -X POST ${system.gatewayUrl}/api/v1/signals/alertmanager -H 'Content-Type: application/json' -d '` +
      `{"version":"4","status":"firing","receiver":"alertgate","groupKey":"demo","alerts":[{"status":"firing",` +
      `"labels":{"alertname":"KubePodCrashLooping","namespace":"default","pod":"web-1","severity":"critical"},` +
      `"annotations":{"summary":"web-1 is crash looping"},"startsAt":"${new Date().toISOString()}"}]}'`,
  );
  out('Press Ctrl-C to stop.');
  out('');
}

main().catch((err: unknown) => {
  out(`npm start failed: ${errorMessage(err)}`);
  process.exit(1);
});
