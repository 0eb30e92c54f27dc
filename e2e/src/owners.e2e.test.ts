import { kubectl, testKube, testNamespace, warningEvent } from '@alertgate/testing';

import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  outcome: string;
  remediationRequest?: { namespace: string; name: string };
}

const labels = { app: 'web' };
const template = { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] } };

/** Creates Deployment → ReplicaSet → Pods linked by controller ownerReferences (no controllers run here). */
async function workload(ns: string): Promise<void> {
  // No controller-manager here to create the namespace's default ServiceAccount; pods need it.
  await kubectl(['create', 'serviceaccount', 'default', '-n', ns]);
  const apply = async (object: Record<string, unknown>): Promise<string> =>
    (await kubectl(['create', '-o', 'jsonpath={.metadata.uid}', '-f', '-'], { input: JSON.stringify(object) })).trim();
  const owner = (apiVersion: string, kind: string, name: string, uid: string) => [{ apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true }];
  const deployment = await apply({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns },
    spec: { replicas: 2, selector: { matchLabels: labels }, template },
  });
  const replicaSet = await apply({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-7d9f8', namespace: ns, ownerReferences: owner('apps/v1', 'Deployment', 'web', deployment) },
    spec: { replicas: 2, selector: { matchLabels: labels }, template },
  });
  for (const pod of ['web-7d9f8-a1', 'web-7d9f8-b2']) {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod, namespace: ns, labels, ownerReferences: owner('apps/v1', 'ReplicaSet', 'web-7d9f8', replicaSet) },
      spec: template.spec,
    });
  }
}

const event = (ns: string, pod: string) => warningEvent({ namespace: ns, pod, message: 'Back-off restarting failed container' });

describe('Warning events of all pods of a workload fold into one incident (owners resolved through the API)', () => {
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('owners');
    await workload(ns);
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
