/**
 * npm run k8s:up    starts the test API server (builds it on first use), applies the CRD and
 *                   prints the admin kubeconfig path as its last line. Idempotent.
 * npm run k8s:down  stops it.
 *
 *   KUBECONFIG=$(npm run -s k8s:up | tail -1) npm start   # the whole system on a real API server
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

import { errorMessage } from '@alertgate/errors';
import { defaultKubeEnvDir, ensureKubeEnv, stopKubeEnv } from '@alertgate/local-env';

const root = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === 'down') {
    await stopKubeEnv(defaultKubeEnvDir(root));
    process.stdout.write('test API server stopped\n');
    return;
  }
  if (command !== 'up') throw new Error('usage: k8s-test-env up|down');
  const env = await ensureKubeEnv(root);
  const kubectl = (...args: string[]): void => {
    execFileSync(env.kubectl, ['--kubeconfig', env.adminKubeconfig, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  };
  // k8s/base/namespace.yaml is the crd-writer's default FALLBACK_NAMESPACE: with it, the README's
  // `KUBECONFIG=… npm start` writes alerts of namespaces that do not exist.
  kubectl(
    'apply',
    '-f',
    join(root, 'k8s', 'crds', 'remediationrequests.yaml'),
    '-f',
    join(root, 'k8s', 'base', 'namespace.yaml'),
    '-f',
    join(root, 'tools', 'k8s-test-env', 'fixtures'),
  );
  kubectl('wait', '--for=condition=Established', '--timeout=30s', 'crd/remediationrequests.remediation.alertgate.io');
  process.stdout.write(`test API server ${env.started ? 'started' : 'already running'} at ${env.server} (kubectl: ${env.kubectl})\n`);
  process.stdout.write(`${env.adminKubeconfig}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`k8s-test-env failed: ${errorMessage(err)}\n`);
  process.exit(1);
});
