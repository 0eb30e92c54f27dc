import { execFileSync, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { freePort } from './free-port.js';
import { adminGet, ensureKubePki, kubeconfigOf } from './kube-pki.js';

/**
 * A real Kubernetes API server for tests and for `npm run k8s:up`: Debian's etcd plus
 * kube-apiserver built from the Go module proxy (tools/k8s-test-env/build-kube-apiserver.sh),
 * on loopback, with a self-made CA, an admin client certificate in system:masters, RBAC on, and
 * ServiceAccount token signing keys (so the project's RBAC can be tested with real tokens).
 *
 * Both processes run detached and outlive the caller; their state lives in one directory
 * (var/k8s by default), so a second suite, or a later `npm start`, reuses a running server.
 * There is no controller-manager: namespaces never finish terminating, garbage collection never
 * runs, and ServiceAccount tokens are requested with TokenRequest, not read from Secrets.
 */
export const KUBE_VERSION = 'v1.33.13';

export interface KubeEnv {
  readonly dir: string;
  readonly server: string;
  /** kubeconfig of a cluster-admin (client certificate in system:masters). */
  readonly adminKubeconfig: string;
  readonly caFile: string;
  readonly kubectl: string;
  /** true when this call started the server (and should stop it when done). */
  readonly started: boolean;
  /** The kube-apiserver's process id (fault tests stop and continue it). */
  readonly apiserverPid: number;
}

interface State {
  readonly etcdPid: number;
  readonly apiserverPid: number;
  readonly server: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readState(dir: string): State | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as State;
  } catch {
    return undefined;
  }
}

export function defaultKubeEnvDir(root: string): string {
  return join(root, 'var', 'k8s');
}

/** The directory holding kube-apiserver and kubectl: built and cached on first use. */
export function kubeBinaries(root: string): { apiserver: string; kubectl: string } {
  const cached = join(process.env['ALERTGATE_CACHE'] ?? join(homedir(), '.cache', 'alertgate'), 'kube', KUBE_VERSION);
  if (!existsSync(join(cached, 'kube-apiserver')) || !existsSync(join(cached, 'kubectl'))) {
    execFileSync('bash', [join(root, 'tools', 'k8s-test-env', 'build-kube-apiserver.sh')], {
      env: { ...process.env, KUBE_VERSION },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return { apiserver: join(cached, 'kube-apiserver'), kubectl: join(cached, 'kubectl') };
}

/** Starts etcd and kube-apiserver unless they already run for this directory; idempotent. */
export async function ensureKubeEnv(root: string, dir = defaultKubeEnvDir(root)): Promise<KubeEnv> {
  const pki = join(dir, 'pki');
  const adminKubeconfig = join(dir, 'admin.kubeconfig');
  const running = readState(dir);
  if (running && alive(running.etcdPid) && alive(running.apiserverPid) && (await adminGet(running.server, pki, '/readyz')) === 200) {
    return {
      dir,
      server: running.server,
      adminKubeconfig,
      caFile: join(pki, 'ca.crt'),
      kubectl: kubeBinaries(root).kubectl,
      started: false,
      apiserverPid: running.apiserverPid,
    };
  }
  await stopKubeEnv(dir);
  const binary = kubeBinaries(root).apiserver;
  ensureKubePki({ dir: pki, serverNames: ['IP:127.0.0.1', 'IP:10.0.0.1'], clients: [{ name: 'admin', subject: '/O=system:masters/CN=alertgate-admin' }] });
  const [etcdClient, etcdPeer, securePort] = await Promise.all([freePort(), freePort(), freePort()]);
  rmSync(join(dir, 'etcd'), { recursive: true, force: true });
  const log = (name: string): number => openSync(join(dir, `${name}.log`), 'w');
  const etcd = spawn(
    'etcd',
    [
      '--name',
      'alertgate-test',
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      `http://127.0.0.1:${etcdClient}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${etcdClient}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${etcdPeer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${etcdPeer}`,
      '--initial-cluster',
      `alertgate-test=http://127.0.0.1:${etcdPeer}`,
      '--quota-backend-bytes',
      String(512 * 1024 * 1024),
    ],
    { detached: true, stdio: ['ignore', log('etcd'), log('etcd')] },
  );
  etcd.unref();
  const server = `https://127.0.0.1:${securePort}`;
  const apiserver = spawn(
    binary,
    [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${securePort}`,
      `--cert-dir=${join(dir, 'certs')}`,
      `--tls-cert-file=${join(pki, 'server.crt')}`,
      `--tls-private-key-file=${join(pki, 'server.key')}`,
      `--client-ca-file=${join(pki, 'ca.crt')}`,
      `--service-account-key-file=${join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      '--api-audiences=https://kubernetes.default.svc',
      '--authorization-mode=Node,RBAC',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--v=1',
    ],
    { detached: true, stdio: ['ignore', log('kube-apiserver'), log('kube-apiserver')] },
  );
  apiserver.unref();
  if (etcd.pid === undefined || apiserver.pid === undefined) throw new Error('could not start etcd or kube-apiserver');
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ etcdPid: etcd.pid, apiserverPid: apiserver.pid, server } satisfies State));
  writeFileSync(adminKubeconfig, kubeconfigOf(server, pki, 'admin'), { mode: 0o600 });
  const deadline = Date.now() + 90_000;
  while ((await adminGet(server, pki, '/readyz')) !== 200) {
    if (!alive(apiserver.pid) || !alive(etcd.pid) || Date.now() > deadline) {
      const tail = (name: string): string =>
        readFileSync(join(dir, `${name}.log`), 'utf8')
          .split('\n')
          .slice(-30)
          .join('\n');
      await stopKubeEnv(dir);
      throw new Error(`the test API server did not become ready:\n--- etcd\n${tail('etcd')}\n--- kube-apiserver\n${tail('kube-apiserver')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // The "default" namespace is created by the API server itself shortly after it is ready.
  while ((await adminGet(server, pki, '/api/v1/namespaces/default')) !== 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { dir, server, adminKubeconfig, caFile: join(pki, 'ca.crt'), kubectl: kubeBinaries(root).kubectl, started: true, apiserverPid: apiserver.pid };
}

export async function stopKubeEnv(dir: string): Promise<void> {
  const state = readState(dir);
  if (!state) return;
  for (const pid of [state.apiserverPid, state.etcdPid]) {
    if (!alive(pid)) continue;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(join(dir, 'state.json'), { force: true });
}
