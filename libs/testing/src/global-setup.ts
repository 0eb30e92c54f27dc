import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { ensureKubeEnv, RedisCluster, RedisServer, type KubeEnv } from '@alertgate/local-env';

/**
 * Runs once before all tests: builds the service bundles that end-to-end tests start as
 * processes, and starts the suite's own Redis with a small maxmemory and noeviction, so that
 * a leak shows up as an OOM error instead of silently growing (docs/design.md §8).
 * With ALERTGATE_TEST_REDIS=cluster the suite's Redis is a Cluster of 3 masters with a replica
 * each instead, every node with the same limits, and the fixtures point every service at it (REDIS_CLUSTER_NODES).
 */
export default async function globalSetup(globalConfig: { rootDir: string }): Promise<void> {
  // Once per run, though both the integration and the end-to-end projects name it.
  if ((globalThis as { alertgateTestRedis?: RedisServer }).alertgateTestRedis) return;
  const root = globalConfig.rootDir;
  execFileSync(process.execPath, [join(root, 'tools', 'build', 'build-apps.mjs'), '--tools'], { stdio: 'inherit' });
  if (process.env['ALERTGATE_TEST_REDIS'] === 'cluster') {
    // Replicas as in production: every write the tests make is replicated asynchronously.
    const cluster = await new RedisCluster({ masters: 3, replicasPerMaster: 1, maxmemory: '32mb', maxmemoryPolicy: 'noeviction' }).start();
    (globalThis as { alertgateTestRedis?: RedisCluster }).alertgateTestRedis = cluster;
    process.env['ALERTGATE_TEST_REDIS_CLUSTER_NODES'] = cluster.addresses.join(',');
    // What takes one URL gets a node of it; the fixtures use the Cluster.
    process.env['ALERTGATE_TEST_REDIS_URL'] = cluster.nodes[0]?.url ?? '';
  } else {
    const server = await new RedisServer({ maxmemory: '32mb', maxmemoryPolicy: 'noeviction' }).start();
    (globalThis as { alertgateTestRedis?: RedisServer }).alertgateTestRedis = server;
    process.env['ALERTGATE_TEST_REDIS_URL'] = server.url;
  }
  process.env['ALERTGATE_ROOT'] = root;

  // A real kube-apiserver (built from the Go module proxy on first use, then cached), with the
  // project's CRD applied as is, and alertgate's own namespace (the crd-writers' leader Leases,
  // the default fallback namespace). Reused when `npm run k8s:up` already runs one.
  const kube = await ensureKubeEnv(root);
  (globalThis as { alertgateTestKube?: KubeEnv }).alertgateTestKube = kube;
  execFileSync(
    kube.kubectl,
    [
      '--kubeconfig',
      kube.adminKubeconfig,
      'apply',
      '-f',
      join(root, 'k8s', 'crds', 'remediationrequests.yaml'),
      '-f',
      join(root, 'k8s', 'base', 'namespace.yaml'),
      '-f',
      join(root, 'tools', 'k8s-test-env', 'fixtures'),
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  execFileSync(
    kube.kubectl,
    [
      '--kubeconfig',
      kube.adminKubeconfig,
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/remediationrequests.remediation.alertgate.io',
      'crd/prometheusrules.monitoring.coreos.com',
      'crd/servicemonitors.monitoring.coreos.com',
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  process.env['ALERTGATE_TEST_KUBECONFIG'] = kube.adminKubeconfig;
  process.env['ALERTGATE_KUBECTL'] = kube.kubectl;
}
