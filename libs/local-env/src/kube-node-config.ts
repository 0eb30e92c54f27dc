/**
 * The configuration files of the one-node test cluster (kube-node.ts), as text. One cluster per
 * machine: the kubelet's port, kube-proxy's iptables rules and the pod bridge are the machine's.
 */
export const NODE_NAME = 'alertgate-node';
/** The node's and the API server's address: on lo, so that pods reach it through their gateway. */
export const NODE_ADDRESS = '10.245.0.1';
export const API_PORT = 6443;
export const POD_CIDR = '10.244.0.0/24';
export const SERVICE_CIDR = '10.0.0.0/24';
/** The kube-dns Service of CoreDNS's pod (tools/k8s-test-env/node-addons/coredns.yaml). */
const DNS_ADDRESS = '10.0.0.10';
export const BRIDGE = 'agnode0';
/** The comment of the machine's rules that refuse untranslated Service traffic (kube-node.ts). */
export const SERVICE_GUARD_COMMENT = 'alertgate-node: Service address not translated';
export const CNI_NETWORK = 'alertgate-node';
/** The pod sandbox image (tools/images/cluster/pause.Containerfile). */
const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

export interface NodePaths {
  /** Wiped at every start: sockets, logs, the kubelet's and containerd's state. */
  readonly run: string;
  /** Kept: containerd's image store, so that images are imported once. */
  readonly containerdRoot: string;
  readonly pki: string;
}

export const containerdSocket = (paths: NodePaths): string => `${paths.run}/containerd.sock`;

/**
 * containerd for the kubelet: runc with cgroupfs (this kind of VM has cgroup v1), images of the
 * machine only, and the pods' OOM score never below containerd's own: lowering it needs
 * CAP_SYS_RESOURCE, which these machines withhold (runc would fail every sandbox).
 */
export function containerdConfig(paths: NodePaths): string {
  return `version = 2
root = "${paths.containerdRoot}"
state = "${paths.run}/containerd"
[grpc]
  address = "${containerdSocket(paths)}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${paths.run}/cni"
`;
}

/** Debian's CNI plugins: a bridge with host-local addresses, masquerade out, hairpin for Services. */
export function cniConfig(paths: NodePaths): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name: CNI_NETWORK,
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: { type: 'host-local', dataDir: `${paths.run}/ipam`, ranges: [[{ subnet: POD_CIDR }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'loopback' },
    ],
  });
}

/** The kubelet: certificate and webhook authentication, CoreDNS's Service as the pods' resolver. */
export function kubeletConfig(paths: NodePaths): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: ${paths.pki}/ca.crt }
authorization: { mode: Webhook }
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://${containerdSocket(paths)}
clusterDomain: cluster.local
clusterDNS: [${DNS_ADDRESS}]
failSwapOn: false
address: ${NODE_ADDRESS}
readOnlyPort: 0
healthzPort: 0
resolvConf: /etc/resolv.conf
evictionHard: { memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2% }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
maxPods: 60
`;
}
