import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';

import { buildNodeImages, deployDevOverlay, ensureKubeNode, stopKubeNode, type KubeNode } from '@alertgate/local-env';
import { RR_GROUP, RR_PLURAL, RR_VERSION, type RemediationRequest } from '@alertgate/remediation';
import { repoRoot } from '@alertgate/testing';

import { eventuallyHolds } from './support/eventually.js';

const run = promisify(execFile);
const ALERTMANAGER_IMAGE = 'quay.io/prometheus/alertmanager:v0.25.0';
const PROBE_IMAGE = 'docker.io/library/redis:7.0';

/**
 * Alertmanager in the cluster, in the "monitoring" namespace the NetworkPolicies allow, pointed
 * at the gateway's Service as docs/deployment.md tells users ("Point Alertmanager at it"); one
 * group per alert, so that every alert is a webhook of its own.
 */
function alertmanagerManifests(token: string): string {
  const config = `route:
  receiver: alertgate
  group_by: ['...']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: alertgate
    webhook_configs:
      - url: http://ingest-gateway.alertgate.svc:8080/api/v1/signals/alertmanager
        send_resolved: true
        max_alerts: 500
        http_config:
          authorization:
            credentials_file: /etc/alertmanager/secrets/alertgate-ingest-token/token
`;
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'alertgate-ingest-token', namespace: 'monitoring' }, stringData: { token } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'alertmanager', namespace: 'monitoring' }, data: { 'alertmanager.yml': config } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'alertmanager', namespace: 'monitoring' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'alertmanager' } },
          template: {
            metadata: { labels: { app: 'alertmanager' } },
            spec: {
              securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [
                {
                  name: 'alertmanager',
                  image: ALERTMANAGER_IMAGE,
                  args: ['--config.file=/etc/alertmanager/alertmanager.yml', '--cluster.listen-address=', '--web.listen-address=:9093'],
                  ports: [{ name: 'http', containerPort: 9093 }],
                  readinessProbe: { httpGet: { path: '/-/ready', port: 'http' }, periodSeconds: 2 },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                  volumeMounts: [
                    { name: 'config', mountPath: '/etc/alertmanager/alertmanager.yml', subPath: 'alertmanager.yml' },
                    { name: 'token', mountPath: '/etc/alertmanager/secrets/alertgate-ingest-token', readOnly: true },
                    { name: 'data', mountPath: '/alertmanager' },
                  ],
                },
              ],
              volumes: [
                { name: 'config', configMap: { name: 'alertmanager' } },
                { name: 'token', secret: { secretName: 'alertgate-ingest-token' } },
                { name: 'data', emptyDir: {} },
              ],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'alertmanager', namespace: 'monitoring' },
        spec: { selector: { app: 'alertmanager' }, ports: [{ name: 'http', port: 9093, targetPort: 'http' }] },
      },
    ],
  });
}

/**
 * A pod that only sleeps, in `namespace`, to open connections from: the Redis stand-in image,
 * which has bash and coreutils' timeout.
 */
function probeManifests(namespace: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'probe', namespace },
        spec: {
          terminationGracePeriodSeconds: 0,
          securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'probe',
              image: PROBE_IMAGE,
              command: ['sleep', 'infinity'],
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    ],
  });
}

interface AlertTarget {
  readonly alertname: string;
  readonly namespace: string;
}

/**
 * This run's names: a one-node cluster that was already running (deploy:local, or a run that
 * was stopped before its cleanup) still holds the namespaces and resources of earlier runs.
 */
const RUN = Date.now().toString(36);
const ofRun = (alertname: string): string => `${alertname}R${RUN}`;
const inDefault = (...alertnames: string[]): AlertTarget[] => alertnames.map((alertname) => ({ alertname: ofRun(alertname), namespace: 'default' }));
const ROLL_NAMESPACES = [0, 1, 2, 3, 4].map((i) => `roll-${RUN}-${i}`);

interface PodSummary {
  readonly name: string;
  readonly app: string;
  readonly node: string;
  readonly ready: boolean;
  readonly ip: string;
}

/** Whether a TCP connection from this machine to `host:port` opens. */
async function opensFromHost(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 5_000 });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket
      .once('connect', () => done(true))
      .once('error', () => done(false))
      .once('timeout', () => done(false));
  });
}

/**
 * alertgate installed on a real one-node cluster (libs/local-env's kube-node: the kubelet on
 * containerd, kube-proxy, CoreDNS, the controllers) from its images, by `kubectl apply -k
 * k8s/overlays/dev`, with an Alertmanager in the cluster as its sender.
 */
describe('alertgate on a one-node cluster, from its images', () => {
  const root = repoRoot();
  let node: KubeNode;
  let alertmanagerUrl = '';
  const sent: string[] = [];

  const kubectl = async (args: readonly string[], input?: string): Promise<string> => {
    const child = run(node.kubectl, ['--kubeconfig', node.adminKubeconfig, ...args], { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
    if (input !== undefined) child.child.stdin?.end(input);
    return (await child).stdout;
  };
  const pods = async (namespace: string): Promise<PodSummary[]> => {
    const list = JSON.parse(await kubectl(['-n', namespace, 'get', 'pods', '-o', 'json'])) as {
      items: {
        metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
        spec: { nodeName?: string };
        status: { podIP?: string; conditions?: { type: string; status: string }[] };
      }[];
    };
    return list.items
      .filter((pod) => !pod.metadata.deletionTimestamp)
      .map((pod) => ({
        name: pod.metadata.name,
        app: pod.metadata.labels?.['app.kubernetes.io/name'] ?? pod.metadata.labels?.['app'] ?? '',
        node: pod.spec.nodeName ?? '',
        ready: pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        ip: pod.status.podIP ?? '',
      }));
  };
  const resources = async (): Promise<RemediationRequest[]> =>
    (JSON.parse(await kubectl(['get', '--raw', `/apis/${RR_GROUP}/${RR_VERSION}/${RR_PLURAL}`])) as { items: RemediationRequest[] }).items;
  /** Posts alerts to the in-cluster Alertmanager's API, through its Service. */
  const fire = async (targets: readonly AlertTarget[]): Promise<void> => {
    const alerts = targets.map(({ alertname, namespace }, i) => ({
      labels: { alertname, namespace, pod: `web-${alertname.toLowerCase()}`, severity: 'warning' },
      annotations: { summary: `alert ${i}` },
    }));
    const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    expect(response.status).toBe(200);
    sent.push(...targets.map((target) => target.alertname));
  };
  /** Each alert's resources in every namespace, by alertname. */
  const resourcesByAlert = async (): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    for (const rr of await resources()) counts.set(rr.spec.alertname, (counts.get(rr.spec.alertname) ?? 0) + 1);
    return counts;
  };
  const everyAlertHasOne = async (): Promise<boolean> => {
    const counts = await resourcesByAlert();
    return sent.every((name) => (counts.get(name) ?? 0) >= 1);
  };

  beforeAll(async () => {
    const times = [Date.now()];
    node = await ensureKubeNode(root);
    times.push(Date.now());
    buildNodeImages(root, node);
    times.push(Date.now());
    const { token } = deployDevOverlay(root, node);
    times.push(Date.now());
    const seconds = (i: number): string => (((times[i + 1] ?? 0) - (times[i] ?? 0)) / 1000).toFixed(1);
    process.stdout.write(
      `one-node cluster: ${node.started ? 'started' : 'already running'} in ${seconds(0)} s; images built and loaded in ${seconds(1)} s; dev overlay applied and Available in ${seconds(2)} s\n`,
    );
    await kubectl(['apply', '-f', '-'], alertmanagerManifests(token));
    await kubectl(['-n', 'monitoring', 'rollout', 'status', 'deployment/alertmanager', '--timeout=300s']);
    const ip = (await kubectl(['-n', 'monitoring', 'get', 'service', 'alertmanager', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    alertmanagerUrl = `http://${ip}:9093`;
    // Ready pods reach kube-proxy's rules a moment later (EndpointSlices, then a sync).
    await eventuallyHolds(
      'Alertmanager answering through its Service',
      async () => (await fetch(`${alertmanagerUrl}/-/ready`).catch(() => undefined))?.status === 200,
      60_000,
    );
  }, 2_400_000);

  afterAll(async () => {
    if (node?.started) await stopKubeNode(root);
  }, 120_000);

  it('brings every Deployment of the dev overlay to Available, as pods on the node', async () => {
    const deployments = JSON.parse(await kubectl(['-n', 'alertgate', 'get', 'deployments', '-o', 'json'])) as {
      items: { metadata: { name: string }; status: { availableReplicas?: number } }[];
    };
    expect(deployments.items.map((d) => [d.metadata.name, d.status.availableReplicas ?? 0]).sort()).toEqual([
      ['crd-writer', 1],
      ['dedup', 1],
      ['ingest-gateway', 1],
      ['ratelimit', 1],
      ['redis', 1],
      ['storm', 1],
    ]);
    const running = await pods('alertgate');
    expect(running.every((pod) => pod.ready && pod.node === 'alertgate-node')).toBe(true);
  });

  it('takes alerts from an Alertmanager in the cluster through the gateway Service, one resource each', async () => {
    await fire(inDefault('NodeDeployA', 'NodeDeployB', 'NodeDeployC'));
    await eventuallyHolds('a resource for each alert', everyAlertHasOne, 120_000);
    const counts = await resourcesByAlert();
    expect(['NodeDeployA', 'NodeDeployB', 'NodeDeployC'].map((name) => counts.get(ofRun(name)))).toEqual([1, 1, 1]);
  }, 180_000);

  it('loses no alert and opens no duplicate while every Deployment rolls', async () => {
    const before = new Map((await pods('alertgate')).map((pod) => [pod.name, pod.app]));
    // One namespace per alert of a batch: the alerts stay within each namespace's creation
    // budget (30 a minute by default), so that what the test waits for is the roll.
    for (const namespace of ROLL_NAMESPACES) await kubectl(['create', 'namespace', namespace]);
    const batch = (n: number): AlertTarget[] => ROLL_NAMESPACES.map((namespace, i) => ({ alertname: ofRun(`NodeRoll${n}x${i}`), namespace }));
    await fire(batch(0));
    await kubectl(['-n', 'alertgate', 'rollout', 'restart', 'deployment']);
    // Alerts keep coming while the pods are replaced: a batch a second until every old pod is gone.
    let batches = 1;
    const rolled = async (): Promise<boolean> => {
      const now = await pods('alertgate');
      return now.every((pod) => !before.has(pod.name) && pod.ready) && now.length === before.size;
    };
    while (batches < 8 || !(await rolled())) {
      await fire(batch(batches));
      batches += 1;
      if (batches > 300) throw new Error('the rolling restart did not finish within 300 batches');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    await fire(batch(batches));
    await eventuallyHolds('a resource for every alert sent', everyAlertHasOne, 300_000);
    const counts = await resourcesByAlert();
    const rollAlerts = sent.filter((name) => name.startsWith('NodeRoll'));
    const duplicates = rollAlerts.filter((name) => (counts.get(name) ?? 0) > 1);
    const metrics = await (await fetch(`${alertmanagerUrl}/metrics`)).text();
    const webhook = (metric: string): string =>
      /^(\S+)\{.*integration="webhook".*\} (\S+)$/m.exec(
        metrics
          .split('\n')
          .filter((line) => line.startsWith(`${metric}{`))
          .join('\n'),
      )?.[2] ?? '?';
    process.stdout.write(
      `rolling restart: ${rollAlerts.length} alerts sent in ${batches + 1} batches, ${rollAlerts.filter((name) => counts.has(name)).length} with a resource, ${duplicates.length} with more than one; ` +
        `Alertmanager's webhook notifications: ${webhook('alertmanager_notifications_total')} attempts, ${webhook('alertmanager_notifications_failed_total')} of them failed (503 or no ready gateway) and retried, the rest acknowledged\n`,
    );
    expect(duplicates).toEqual([]);
    expect(rollAlerts.filter((name) => !counts.has(name))).toEqual([]);
  }, 900_000);

  it('replaces a deleted pod, and the new one takes alerts', async () => {
    const [gateway] = (await pods('alertgate')).filter((pod) => pod.app === 'ingest-gateway');
    if (!gateway) throw new Error('no gateway pod');
    await kubectl(['-n', 'alertgate', 'delete', 'pod', gateway.name, '--wait=false']);
    await eventuallyHolds(
      'a new gateway pod ready',
      async () => (await pods('alertgate')).some((pod) => pod.app === 'ingest-gateway' && pod.name !== gateway.name && pod.ready),
      180_000,
    );
    await fire(inDefault('NodeDeployAfterDelete'));
    await eventuallyHolds('a resource for the alert', everyAlertHasOne, 120_000);
  }, 420_000);

  it('enforces the NetworkPolicies (kube-router): a pod outside the allowed namespace reaches no gRPC service', async () => {
    for (const namespace of ['monitoring', 'outsider']) await kubectl(['apply', '-f', '-'], probeManifests(namespace));
    for (const namespace of ['monitoring', 'outsider']) await kubectl(['-n', namespace, 'wait', '--for=condition=Ready', 'pod/probe', '--timeout=180s']);
    const [dedup] = (await pods('alertgate')).filter((pod) => pod.app === 'dedup' && pod.ready);
    if (!dedup) throw new Error('no ready dedup pod');
    const reaches = async (namespace: string, port: number): Promise<boolean> =>
      kubectl(['-n', namespace, 'exec', 'probe', '--', 'timeout', '5', 'bash', '-c', `exec 3<>/dev/tcp/${dedup.ip}/${port}`]).then(
        () => true,
        () => false,
      );
    // Both ports are open (the node itself is not subject to the policies), so a refused
    // connection below is the policy's doing.
    expect([await opensFromHost(dedup.ip, 50051), await opensFromHost(dedup.ip, 9151)]).toEqual([true, true]);
    // kube-router programs a new pod's rules a moment after it starts.
    await eventuallyHolds("the monitoring namespace reaching dedup's metrics port", () => reaches('monitoring', 9151), 60_000);
    const verdicts = {
      monitoringGrpc: await reaches('monitoring', 50051),
      outsiderGrpc: await reaches('outsider', 50051),
      outsiderMetrics: await reaches('outsider', 9151),
    };
    expect(verdicts).toEqual({ monitoringGrpc: false, outsiderGrpc: false, outsiderMetrics: false });
  }, 420_000);
});
