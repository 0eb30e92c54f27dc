import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { kubeNodeDir, loadImages, type KubeNode, type NodeImage } from './kube-node.js';

export interface Deployment {
  /** The sender token the gateway accepts (the Secret alertgate-ingest-token). */
  readonly token: string;
  readonly tokenFile: string;
}

/**
 * Every image the dev overlay needs, built (tools/images: alertgate's from docker/Dockerfile,
 * the pause, Redis, Alertmanager and CoreDNS images from Debian's packages and the built CoreDNS)
 * and imported into the node.
 */
export function buildNodeImages(root: string, node: KubeNode): void {
  const script = (name: string): string[] =>
    execFileSync('bash', [join(root, 'tools', 'images', name)], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_800_000 })
      .trim()
      .split('\n');
  const own: NodeImage[] = script('build-images.sh').map((line) => {
    const podman = line.split(' ')[0] ?? '';
    return { podman, reference: podman.replace(/^localhost\//, 'docker.io/') };
  });
  const cluster: NodeImage[] = script('build-cluster-images.sh').map((name) => ({ podman: name, reference: name }));
  loadImages(node, [...own, ...cluster]);
}

/**
 * `kubectl apply -k k8s/overlays/dev` on the node, as docs/deployment.md tells users, with the
 * CRD, the Prometheus Operator's CRDs the base's monitoring objects need, and the token Secret
 * (made once per node, kept beside it). CoreDNS goes first, as the cluster's own add-on: its
 * image is on the node only now. Resolves when every Deployment is Available.
 */
export function deployDevOverlay(root: string, node: KubeNode, timeoutSeconds = 300): Deployment {
  const kubectl = (args: readonly string[], input?: string): string =>
    execFileSync(node.kubectl, ['--kubeconfig', node.adminKubeconfig, ...args], { cwd: root, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  const tokenFile = join(kubeNodeDir(), 'ingest-token');
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, randomBytes(24).toString('hex'), { mode: 0o600 });
  const token = readFileSync(tokenFile, 'utf8').trim();
  kubectl(['apply', '-f', 'tools/k8s-test-env/node-addons/coredns.yaml']);
  kubectl(['-n', 'kube-system', 'wait', '--for=condition=Available', 'deployment/coredns', `--timeout=${timeoutSeconds}s`]);
  kubectl(['apply', '-f', 'k8s/crds/remediationrequests.yaml', '-f', 'tools/k8s-test-env/fixtures', '-f', 'k8s/base/namespace.yaml']);
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/remediationrequests.remediation.alertgate.io']);
  const secret = kubectl([
    '-n',
    'alertgate',
    'create',
    'secret',
    'generic',
    'alertgate-ingest-token',
    `--from-literal=token=${token}`,
    '--dry-run=client',
    '-o',
    'yaml',
  ]);
  kubectl(['apply', '-f', '-'], secret);
  kubectl(['apply', '-k', 'k8s/overlays/dev']);
  kubectl(['-n', 'alertgate', 'wait', '--for=condition=Available', 'deployment', '--all', `--timeout=${timeoutSeconds}s`]);
  return { token, tokenFile };
}
