import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { cleanUpNode } from './kube-node-cleanup.js';
import {
  API_PORT,
  containerdConfig,
  containerdSocket,
  cniConfig,
  kubeletConfig,
  NODE_ADDRESS,
  NODE_NAME,
  POD_CIDR,
  SERVICE_CIDR,
  SERVICE_GUARD_COMMENT,
  type NodePaths,
} from './kube-node-config.js';
import { adminGet, ensureKubePki, kubeconfigOf, type KubeClient } from './kube-pki.js';
import { KUBE_VERSION } from './kube-test-env.js';

/**
 * A one-node Kubernetes cluster on this machine, for the deploy tests and `npm run
 * deploy:local`: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, the kubelet
 * on containerd and runc, kube-proxy (iptables) and kube-router's firewall, which enforces the
 * NetworkPolicies, all as processes of the machine; the pods on Debian's CNI bridge. CoreDNS runs
 * as a pod (kube-node-deploy.ts applies it with the images). Needs root, as the kubelet does.
 *
 * The processes run detached and outlive the caller; their state lives in the cache
 * (~/.cache/alertgate/kube-node), one cluster per machine, and a later call reuses a running
 * one. containerd's image store is kept between runs, so images are imported once.
 */
export interface KubeNode {
  readonly server: string;
  /** kubeconfig of a cluster-admin (client certificate in system:masters). */
  readonly adminKubeconfig: string;
  readonly kubectl: string;
  /** containerd's socket, for loading images (`loadImages`). */
  readonly containerdSocket: string;
  /** true when this call started the cluster (and should stop it when done). */
  readonly started: boolean;
}

interface Component {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Starts once the kubelet has registered the node (kube-router looks its node up at start). */
  readonly afterNode?: true;
}

interface NodeBinaries {
  /** The directory of the Kubernetes commands. */
  readonly kube: string;
  readonly kubeRouter: string;
}

interface State {
  readonly pids: Readonly<Record<string, number>>;
}

const KUBE_ROUTER_VERSION = 'v2.1.0';
const CLIENTS: readonly KubeClient[] = [
  { name: 'admin', subject: '/O=system:masters/CN=alertgate-admin' },
  { name: 'node', subject: `/O=system:nodes/CN=system:node:${NODE_NAME}` },
  { name: 'controller-manager', subject: '/CN=system:kube-controller-manager' },
  { name: 'scheduler', subject: '/CN=system:kube-scheduler' },
  { name: 'proxy', subject: '/CN=system:kube-proxy' },
  { name: 'kube-router', subject: '/CN=kube-router' },
];
const SERVER = `https://${NODE_ADDRESS}:${API_PORT}`;

export function kubeNodeDir(): string {
  return join(process.env['ALERTGATE_CACHE'] ?? join(homedir(), '.cache', 'alertgate'), 'kube-node');
}

function pathsOf(dir: string): NodePaths {
  return { run: join(dir, 'run'), containerdRoot: join(dir, 'containerd'), pki: join(dir, 'run', 'pki') };
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readState(paths: NodePaths): State | undefined {
  try {
    return JSON.parse(readFileSync(join(paths.run, 'state.json'), 'utf8')) as State;
  } catch {
    return undefined;
  }
}

/** The Kubernetes and kube-router binaries, built once from the Go module proxy (ensure-deps.sh does it first). */
function kubeNodeBinaries(root: string): NodeBinaries {
  const commands = ['kube-apiserver', 'kubectl', 'kubelet', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'];
  const build = (script: string, args: readonly string[]): string =>
    execFileSync('bash', [join(root, 'tools', 'k8s-test-env', script), ...args], {
      env: { ...process.env, KUBE_VERSION },
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    }).trim();
  return { kube: build('build-kube-apiserver.sh', commands), kubeRouter: build('build-kube-router.sh', [KUBE_ROUTER_VERSION]) };
}

function components(paths: NodePaths, binaries: NodeBinaries): Component[] {
  const kube = (name: string): string => join(binaries.kube, name);
  const { run, pki } = paths;
  const kubeconfig = (client: string): string => join(run, `${client}.kubeconfig`);
  const asClient = (client: string): string[] => [
    `--kubeconfig=${kubeconfig(client)}`,
    `--authentication-kubeconfig=${kubeconfig(client)}`,
    `--authorization-kubeconfig=${kubeconfig(client)}`,
  ];
  return [
    {
      name: 'etcd',
      command: 'etcd',
      args: [
        '--name',
        NODE_NAME,
        '--data-dir',
        join(run, 'etcd'),
        '--listen-client-urls',
        'http://127.0.0.1:12379',
        '--advertise-client-urls',
        'http://127.0.0.1:12379',
        '--listen-peer-urls',
        'http://127.0.0.1:12380',
        '--initial-advertise-peer-urls',
        'http://127.0.0.1:12380',
        '--initial-cluster',
        `${NODE_NAME}=http://127.0.0.1:12380`,
      ],
    },
    {
      name: 'kube-apiserver',
      command: kube('kube-apiserver'),
      args: [
        '--etcd-servers=http://127.0.0.1:12379',
        `--bind-address=${NODE_ADDRESS}`,
        `--advertise-address=${NODE_ADDRESS}`,
        `--secure-port=${API_PORT}`,
        `--cert-dir=${join(run, 'apiserver-certs')}`,
        `--tls-cert-file=${pki}/server.crt`,
        `--tls-private-key-file=${pki}/server.key`,
        `--client-ca-file=${pki}/ca.crt`,
        `--service-account-key-file=${pki}/sa.pub`,
        `--service-account-signing-key-file=${pki}/sa.key`,
        '--service-account-issuer=https://kubernetes.default.svc',
        '--api-audiences=https://kubernetes.default.svc',
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        `--kubelet-client-certificate=${pki}/admin.crt`,
        `--kubelet-client-key=${pki}/admin.key`,
        '--kubelet-preferred-address-types=InternalIP',
        '--allow-privileged=false',
        '--profiling=false',
        '--v=1',
      ],
    },
    {
      name: 'kube-controller-manager',
      command: kube('kube-controller-manager'),
      args: [
        ...asClient('controller-manager'),
        `--service-account-private-key-file=${pki}/sa.key`,
        `--root-ca-file=${pki}/ca.crt`,
        '--use-service-account-credentials=true',
        `--cluster-signing-cert-file=${pki}/ca.crt`,
        `--cluster-signing-key-file=${pki}/ca.key`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        '--secure-port=0',
        '--profiling=false',
        '--v=1',
      ],
    },
    {
      name: 'kube-scheduler',
      command: kube('kube-scheduler'),
      args: [...asClient('scheduler'), '--leader-elect=false', '--bind-address=127.0.0.1', '--secure-port=0', '--profiling=false', '--v=1'],
    },
    { name: 'containerd', command: 'containerd', args: ['--config', join(run, 'containerd.toml')] },
    {
      name: 'kubelet',
      command: kube('kubelet'),
      args: [
        `--config=${join(run, 'kubelet.yaml')}`,
        `--kubeconfig=${kubeconfig('node')}`,
        `--hostname-override=${NODE_NAME}`,
        `--node-ip=${NODE_ADDRESS}`,
        `--root-dir=${join(run, 'kubelet')}`,
        `--cert-dir=${join(run, 'kubelet-pki')}`,
        '--v=1',
      ],
    },
    // conntrack sizes are the machine's: kube-proxy may not set them inside this VM.
    {
      name: 'kube-proxy',
      command: kube('kube-proxy'),
      args: [
        `--kubeconfig=${kubeconfig('proxy')}`,
        '--proxy-mode=iptables',
        `--cluster-cidr=${POD_CIDR}`,
        `--hostname-override=${NODE_NAME}`,
        '--conntrack-max-per-core=0',
        '--conntrack-tcp-timeout-established=0',
        '--conntrack-tcp-timeout-close-wait=0',
        '--metrics-bind-address=127.0.0.1:10249',
        '--healthz-bind-address=127.0.0.1:10256',
        '--v=1',
      ],
    },
    // The firewall only: kube-proxy serves the Services and the bridge plugin the pod network.
    {
      name: 'kube-router',
      command: binaries.kubeRouter,
      args: [
        `--kubeconfig=${kubeconfig('kube-router')}`,
        '--run-firewall=true',
        '--run-router=false',
        '--run-service-proxy=false',
        '--enable-cni=false',
        `--hostname-override=${NODE_NAME}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        '--health-port=0',
        '--metrics-port=0',
        '--v=1',
      ],
      afterNode: true,
    },
  ];
}

function writeConfig(paths: NodePaths): void {
  rmSync(paths.run, { recursive: true, force: true });
  mkdirSync(join(paths.run, 'cni'), { recursive: true });
  mkdirSync(paths.containerdRoot, { recursive: true });
  ensureKubePki({ dir: paths.pki, serverNames: [`IP:${NODE_ADDRESS}`, 'IP:127.0.0.1', 'IP:10.0.0.1'], clients: CLIENTS });
  for (const client of CLIENTS) writeFileSync(join(paths.run, `${client.name}.kubeconfig`), kubeconfigOf(SERVER, paths.pki, client.name), { mode: 0o600 });
  writeFileSync(join(paths.run, 'containerd.toml'), containerdConfig(paths));
  writeFileSync(join(paths.run, 'cni', '10-alertgate-node.conflist'), cniConfig(paths));
  writeFileSync(join(paths.run, 'kubelet.yaml'), kubeletConfig(paths));
}

/**
 * The node's address on lo, the forwarding the bridge and kube-proxy rely on, and a guard for the
 * Service range: a packet to a Service address that kube-proxy did not translate (a Service
 * with no ready endpoint) is dropped. kube-proxy rejects those in the filter table, but
 * kube-router's firewall accepts a pod's traffic that its policies allow before kube-proxy's
 * rules are reached. Unguarded, the packet leaves through the machine's default route, and its
 * connection stays pinned, by conntrack, to whatever answers out there (here, a proxy that
 * answered Alertmanager 404, which it does not retry). The guard is in mangle POSTROUTING, after
 * every translation and out of the filter table's order.
 */
function prepareHost(): void {
  try {
    execFileSync('ip', ['address', 'add', `${NODE_ADDRESS}/32`, 'dev', 'lo'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if (!String((err as { stderr?: unknown }).stderr).includes('File exists')) throw err;
  }
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  if (existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) writeFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', '1');
  execFileSync('iptables', [
    '-t',
    'mangle',
    '-I',
    'POSTROUTING',
    '1',
    '-d',
    SERVICE_CIDR,
    '-m',
    'conntrack',
    '!',
    '--ctstate',
    'DNAT',
    '-m',
    'comment',
    '--comment',
    SERVICE_GUARD_COMMENT,
    '-j',
    'DROP',
  ]);
}

async function until(what: string, paths: NodePaths, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`the one-node cluster: ${what} not within ${timeoutMs} ms; logs in ${join(paths.run, 'logs')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Starts the cluster unless it runs already; resolves once the node is Ready. */
export async function ensureKubeNode(root: string, dir = kubeNodeDir()): Promise<KubeNode> {
  if (process.getuid?.() !== 0) throw new Error('the one-node cluster needs root (the kubelet, containerd and iptables): run it as root, as CI does');
  const paths = pathsOf(dir);
  const binaries = kubeNodeBinaries(root);
  const node = {
    server: SERVER,
    adminKubeconfig: join(paths.run, 'admin.kubeconfig'),
    kubectl: join(binaries.kube, 'kubectl'),
    containerdSocket: containerdSocket(paths),
  };
  const running = readState(paths);
  if (running && Object.values(running.pids).every(alive) && (await adminGet(SERVER, paths.pki, '/readyz')) === 200) return { ...node, started: false };
  const kubectl = (...args: string[]): string =>
    execFileSync(node.kubectl, ['--kubeconfig', node.adminKubeconfig, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  await stopKubeNode(root, dir);
  writeConfig(paths);
  prepareHost();
  mkdirSync(join(paths.run, 'logs'));
  const pids: Record<string, number> = {};
  const registered = (): boolean => kubectl('get', 'nodes', '-o', 'name').includes(NODE_NAME);
  for (const component of components(paths, binaries)) {
    if (component.afterNode) await until('the node registered', paths, registered, 60_000);
    const log = openSync(join(paths.run, 'logs', `${component.name}.log`), 'w');
    const child = spawn(component.command, component.args, { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    if (child.pid === undefined) throw new Error(`the one-node cluster: could not start ${component.name}`);
    pids[component.name] = child.pid;
    writeFileSync(join(paths.run, 'state.json'), JSON.stringify({ pids } satisfies State));
    if (component.name === 'kube-apiserver') {
      await until('the API server ready', paths, async () => (await adminGet(SERVER, paths.pki, '/readyz')) === 200, 90_000);
      // kube-router's read access, before kube-router starts.
      kubectl('apply', '-f', join(root, 'tools', 'k8s-test-env', 'node-addons', 'kube-router.yaml'));
    }
    if (component.name === 'containerd') await until('containerd listening', paths, () => existsSync(containerdSocket(paths)), 30_000);
  }
  await until('the node registered', paths, registered, 60_000);
  kubectl('wait', '--for=condition=Ready', `node/${NODE_NAME}`, '--timeout=120s');
  const exited = Object.entries(pids)
    .filter(([, pid]) => !alive(pid))
    .map(([name]) => name);
  if (exited.length > 0) throw new Error(`the one-node cluster: ${exited.join(', ')} exited; logs in ${join(paths.run, 'logs')}`);
  return { ...node, started: true };
}

/** Stops every process of the cluster and removes what its pods left on the machine. */
export async function stopKubeNode(root: string, dir = kubeNodeDir()): Promise<void> {
  const paths = pathsOf(dir);
  const state = readState(paths);
  const order = ['kube-router', 'kube-proxy', 'kubelet', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'];
  for (const name of order) await terminate(state?.pids[name]);
  const proxy = join(kubeNodeBinaries(root).kube, 'kube-proxy');
  cleanUpNode(paths.run, proxy);
  await terminate(state?.pids['containerd']);
  cleanUpNode(paths.run, proxy);
  rmSync(join(paths.run, 'state.json'), { force: true });
}

async function terminate(pid: number | undefined): Promise<void> {
  if (pid === undefined || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/** A podman image and the name the cluster's pods ask for (containerd does not know podman's `localhost/`). */
export interface NodeImage {
  readonly podman: string;
  readonly reference: string;
}

/**
 * Imports podman images into the node's containerd, each once: an image whose podman id is on
 * containerd's copy (label io.alertgate.id) is left as it is.
 */
export function loadImages(node: KubeNode, images: readonly NodeImage[]): void {
  const ctr = (...args: string[]): string =>
    execFileSync('ctr', ['--address', node.containerdSocket, '--namespace', 'k8s.io', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  const podman = (...args: string[]): string =>
    execFileSync('podman', ['--runtime', 'runc', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const stale = images.filter((image) => {
    const id = podman('image', 'inspect', image.podman, '--format', '{{.Id}}');
    const labels = ctr('images', 'ls', `name==${image.reference}`);
    return !labels.includes(`io.alertgate.id=${id}`);
  });
  if (stale.length === 0) return;
  for (const image of stale) podman('tag', image.podman, image.reference);
  const archive = join(kubeNodeDir(), `images-${process.pid}.tar`);
  try {
    podman('save', '-m', '--format', 'docker-archive', '-o', archive, ...stale.map((image) => image.reference));
    ctr('images', 'import', archive);
  } finally {
    rmSync(archive, { force: true });
  }
  for (const image of stale) ctr('images', 'label', image.reference, `io.alertgate.id=${podman('image', 'inspect', image.podman, '--format', '{{.Id}}')}`);
}
