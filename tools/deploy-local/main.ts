/**
 * npm run deploy:local   a one-node Kubernetes cluster on this machine (root; libs/local-env's
 *                        kube-node) with alertgate installed from its images by the dev overlay;
 *                        prints how to reach it, the admin kubeconfig's path as its last line.
 *                        Idempotent: a second run updates the images and the manifests.
 * npm run deploy:down    stops the cluster and removes what it left on the machine.
 *
 *   export KUBECONFIG=$(npm run -s deploy:local | tail -1); kubectl get rr -A
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

import { errorMessage } from '@alertgate/errors';
import { buildNodeImages, deployDevOverlay, ensureKubeNode, stopKubeNode } from '@alertgate/local-env';

const root = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const command = process.argv[2];
  if (command === 'down') {
    await stopKubeNode(root);
    process.stdout.write('one-node cluster stopped\n');
    return;
  }
  if (command !== 'up') throw new Error('usage: deploy-local up|down');
  const say = (line: string): boolean => process.stderr.write(`deploy:local: ${line}\n`);
  say('starting the one-node cluster (builds its components once)');
  const node = await ensureKubeNode(root);
  say('building the images and loading them into the node');
  buildNodeImages(root, node);
  say('kubectl apply -k k8s/overlays/dev');
  const { tokenFile } = deployDevOverlay(root, node);
  const gateway = execFileSync(
    node.kubectl,
    ['--kubeconfig', node.adminKubeconfig, '-n', 'alertgate', 'get', 'service', 'ingest-gateway', '-o', 'jsonpath={.spec.clusterIP}'],
    { encoding: 'utf8' },
  );
  process.stdout.write(
    [
      `alertgate runs on the one-node cluster at ${node.server}; every Deployment is Available.`,
      `  export KUBECONFIG=${node.adminKubeconfig}`,
      '  kubectl get pods -n alertgate; kubectl get rr -A',
      `  curl -H "Authorization: Bearer $(cat ${tokenFile})" -H 'Content-Type: application/json' \\`,
      `    --data @your-webhook.json http://${gateway}:8080/api/v1/signals/alertmanager`,
      '  npm run deploy:down   # stops it',
      node.adminKubeconfig,
    ].join('\n') + '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`deploy-local failed: ${errorMessage(err)}\n`);
  process.exit(1);
});
