import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { amAlert, amWebhook, kubectl, repoRoot, testKube, testNamespace, warningEvent } from '@alertgate/testing';

import { eventually } from './support/eventually.js';
import { controlledBy, createDeployment, createObject, createPods, POD_TEMPLATE, tokenKubeconfig } from './support/kube-resources.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  outcome: string;
  remediationRequest?: { namespace: string; name: string };
}

/**
 * Creates, linked by controller ownerReferences as their controllers would (none run here):
 * Deployment web → ReplicaSet web-7d9f8 → `podsOfWeb`; StatefulSet db → db-0, db-1; CronJob
 * backup → Job backup-29001 → backup-29001-x7k2p.
 */
async function workloads(ns: string, podsOfWeb: readonly string[]): Promise<void> {
  // No controller-manager here to create the namespace's default ServiceAccount; pods need it.
  await kubectl(['create', 'serviceaccount', 'default', '-n', ns]);
  await createDeployment(ns, { name: 'web', replicaSet: 'web-7d9f8', pods: podsOfWeb });
  const selector = POD_TEMPLATE.metadata.labels;
  const statefulSet = await createObject({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: ns },
    spec: { selector: { matchLabels: selector }, serviceName: 'db', template: POD_TEMPLATE },
  });
  await createPods(ns, ['db-0', 'db-1'], controlledBy('apps/v1', 'StatefulSet', 'db', statefulSet));
  const jobTemplate = { spec: { template: { metadata: POD_TEMPLATE.metadata, spec: { ...POD_TEMPLATE.spec, restartPolicy: 'Never' } } } };
  const cronJob = await createObject({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'backup', namespace: ns },
    spec: { schedule: '0 3 * * *', jobTemplate },
  });
  const job = await createObject({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'backup-29001', namespace: ns, ownerReferences: controlledBy('batch/v1', 'CronJob', 'backup', cronJob) },
    spec: { ...jobTemplate.spec, manualSelector: true, selector: { matchLabels: selector } },
  });
  await createPods(ns, ['backup-29001-x7k2p'], controlledBy('batch/v1', 'Job', 'backup-29001', job));
}

const event = (ns: string, pod: string) => warningEvent({ namespace: ns, pod, message: 'Back-off restarting failed container' });

describe('Warning events of all pods of a workload fold into one incident (owners resolved through the API)', () => {
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('owners');
    await workloads(ns, ['web-7d9f8-a1', 'web-7d9f8-b2']);
    fixture = await PipelineFixture.start('owners', { serviceEnv: { 'ingest-gateway': { KUBECONFIG: testKube().kubeconfig } } });
  });
  afterAll(() => fixture?.close());

  it('Pod → ReplicaSet → Deployment: two pods, one incident about the Deployment', async () => {
    const a = await fixture.post('/api/v1/signals/kubernetes-event', event(ns, 'web-7d9f8-a1'));
    const b = await fixture.post('/api/v1/signals/kubernetes-event', event(ns, 'web-7d9f8-b2'));
    const [first] = a.json['results'] as Result[];
    const [second] = b.json['results'] as Result[];
    expect(first?.outcome).toBe('created');
    expect(second).toMatchObject({ outcome: 'duplicate', remediationRequest: first?.remediationRequest });
    const [rr] = fixture.resources().filter((item) => item.metadata.namespace === ns);
    expect(rr?.spec.targetResource).toEqual({ kind: 'deployment', name: 'web' });
    expect(rr?.spec.labels['pod']).toBe('web-7d9f8-a1');
  });

  it('an object without owners, or one that is gone, stays the target', async () => {
    const gone = await fixture.post('/api/v1/signals/kubernetes-event', event(ns, 'no-such-pod'));
    expect(gone.status).toBe(200);
    const resources = fixture.resources().filter((item) => item.metadata.namespace === ns && item.spec.targetResource.name === 'no-such-pod');
    expect(resources).toHaveLength(1);
    expect(resources[0]?.spec.targetResource.kind).toBe('pod');
  });
});

describe('Alerts about the pods of a workload are one incident of the workload (INCIDENT_IDENTITY=workload; the gateway as its ServiceAccount, with k8s/rbac)', () => {
  // web-7d9f8-f6 is deleted once the gateway runs, before any alert names it.
  const webPods = ['web-7d9f8-a1', 'web-7d9f8-b2', 'web-7d9f8-c3', 'web-7d9f8-d4', 'web-7d9f8-e5'];
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-workloads-'));
  let fixture: PipelineFixture;
  let ns: string;
  const alert = (pod: string, status: 'firing' | 'resolved' = 'firing', alertname = 'KubePodCrashLooping') =>
    amAlert({ alertname, namespace: ns, pod, container: 'web' }, status);
  const outcomes = (json: Record<string, unknown>): string[] => (json['results'] as Result[]).map((result) => result.outcome);
  const resourceOf = (alertname: string, target: string) =>
    fixture
      .resources()
      .find(
        (item) =>
          item.metadata.namespace === ns && item.spec.alertname === alertname && `${item.spec.targetResource.kind}/${item.spec.targetResource.name}` === target,
      );

  beforeAll(async () => {
    ns = await testNamespace('workloads');
    await workloads(ns, [...webPods, 'web-7d9f8-f6']);
    await kubectl(['apply', '-f', join(repoRoot(), 'k8s', 'base', 'namespace.yaml')]);
    await kubectl(['apply', '-f', join(repoRoot(), 'k8s', 'rbac', 'ingest-gateway.yaml')]);
    const token = (await kubectl(['create', 'token', 'alertgate-ingest-gateway', '-n', 'alertgate', '--duration=1h'])).trim();
    const kubeconfig = tokenKubeconfig(join(dir, 'ingest-gateway.kubeconfig'), token);
    fixture = await PipelineFixture.start('workloads', { serviceEnv: { 'ingest-gateway': { KUBECONFIG: kubeconfig } } });
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('5 pods of one Deployment firing one alertname: one incident about the Deployment, its 5 pods listed; it resolves with the last pod', async () => {
    const fired = await fixture.post('/api/v1/signals/alertmanager', amWebhook(webPods.map((pod) => alert(pod))));
    expect(fired.status).toBe(200);
    expect(outcomes(fired.json)).toEqual(['created', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    const refs = new Set((fired.json['results'] as Result[]).map((result) => result.remediationRequest?.name));
    expect(refs.size).toBe(1);
    const rr = await eventually('the Deployment incident lists its 5 pods', () => {
      const found = resourceOf('KubePodCrashLooping', 'deployment/web');
      return found?.status?.affectedPods?.count === 5 ? found : undefined;
    });
    expect(rr.status?.affectedPods).toEqual({ count: 5, names: webPods, overflow: 0 });
    expect(fixture.resources().filter((item) => item.metadata.namespace === ns)).toHaveLength(1);

    // Four pods recover: the incident stays open while the fifth still fires.
    const partly = await fixture.post(
      '/api/v1/signals/alertmanager',
      amWebhook(
        webPods.slice(0, 4).map((pod) => alert(pod, 'resolved')),
        'resolved',
      ),
    );
    expect(outcomes(partly.json)).toEqual(['pod-resolved', 'pod-resolved', 'pod-resolved', 'pod-resolved']);
    // A repeat of the fifth pod is a duplicate of the same incident, not a new one.
    const repeat = await fixture.post('/api/v1/signals/alertmanager', amWebhook([alert('web-7d9f8-e5')]));
    expect(outcomes(repeat.json)).toEqual(['duplicate']);
    expect((repeat.json['results'] as Result[])[0]?.remediationRequest?.name).toBe([...refs][0]);
    expect(resourceOf('KubePodCrashLooping', 'deployment/web')?.status?.resolvedAt).toBeUndefined();

    const last = await fixture.post('/api/v1/signals/alertmanager', amWebhook([alert('web-7d9f8-e5', 'resolved')], 'resolved'));
    expect(outcomes(last.json)).toEqual(['resolved']);
    await eventually('the Deployment incident is resolved', () => resourceOf('KubePodCrashLooping', 'deployment/web')?.status?.resolvedAt);
  });

  it("a StatefulSet pod and a CronJob's Job pod are incidents of the StatefulSet and of the CronJob", async () => {
    const fired = await fixture.post(
      '/api/v1/signals/alertmanager',
      amWebhook([alert('db-0', 'firing', 'PodNotReady'), alert('db-1', 'firing', 'PodNotReady'), alert('backup-29001-x7k2p', 'firing', 'PodNotReady')]),
    );
    expect(outcomes(fired.json)).toEqual(['created', 'duplicate', 'created']);
    const db = await eventually('the StatefulSet incident lists both pods', () => {
      const found = resourceOf('PodNotReady', 'statefulset/db');
      return found?.status?.affectedPods?.count === 2 ? found : undefined;
    });
    expect(db.status?.affectedPods?.names).toEqual(['db-0', 'db-1']);
    expect(resourceOf('PodNotReady', 'cronjob/backup')?.status?.affectedPods).toEqual({ count: 1, names: ['backup-29001-x7k2p'], overflow: 0 });
  });

  it('a pod deleted before any alert named it (a rollout replaced it) still belongs to its workload: the owner index kept its controller', async () => {
    await kubectl(['delete', 'pod', 'web-7d9f8-f6', '-n', ns, '--wait=true']);
    const fired = await fixture.post('/api/v1/signals/alertmanager', amWebhook([alert('web-7d9f8-f6', 'firing', 'PodEvicted')]));
    expect(outcomes(fired.json)).toEqual(['created']);
    const rr = await eventually('the Deployment incident of the deleted pod', () => resourceOf('PodEvicted', 'deployment/web'));
    expect(rr.status?.affectedPods?.names).toEqual(['web-7d9f8-f6']);
    const resolved = await fixture.post('/api/v1/signals/alertmanager', amWebhook([alert('web-7d9f8-f6', 'resolved', 'PodEvicted')], 'resolved'));
    expect(outcomes(resolved.json)).toEqual(['resolved']);
  });

  it('a pod the API does not know stays its own incident, and the webhook is answered as usual', async () => {
    const fired = await fixture.post('/api/v1/signals/alertmanager', amWebhook([alert('gone-pod', 'firing', 'PodGone')]));
    expect(outcomes(fired.json)).toEqual(['created']);
    const rr = await eventually('the pod incident', () => resourceOf('PodGone', 'pod/gone-pod'));
    expect(rr.status?.affectedPods).toBeUndefined();
  });
});
