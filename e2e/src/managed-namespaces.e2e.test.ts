import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { amAlert, amWebhook, kubectl, repoRoot, testNamespace } from '@alertgate/testing';

import { eventually } from './support/eventually.js';
import { createDeployment, tokenKubeconfig } from './support/kube-resources.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  outcome: string;
  reason?: string;
}

/**
 * Opt-in (MANAGED_NAMESPACE_SELECTOR, MANAGED_WORKLOAD_SELECTOR): only namespaces and workloads
 * whose labels match get resources; the gateway reads them through watches of the real API
 * server, as its ServiceAccount (k8s/rbac/ingest-gateway.yaml), so a label set or removed while
 * it runs takes effect without a restart. The crd-writer writes to the file sink.
 */
describe('opt-in by namespace and workload label (real API server, real Redis)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-optin-'));
  let fixture: PipelineFixture;
  let kubeconfig: string;
  let managed: string;
  let unmanaged: string;
  // Unlabelled; its Deployment api is labelled, its Deployment batch is not.
  let shared: string;
  // A label of this run's own: the API server is shared with the other suites.
  const label = `e2e.alertgate.io/managed-${process.pid}`;
  const selector = `${label}=true`;
  const outcomesIn = async (namespace: string, pod: string): Promise<Result[]> =>
    (await fixture.postAlerts(amWebhook([amAlert({ alertname: 'OptIn', namespace, pod })]))).json['results'] as Result[];

  beforeAll(async () => {
    [managed, unmanaged, shared] = await Promise.all([testNamespace('optin'), testNamespace('optout'), testNamespace('optshared')]);
    await kubectl(['label', 'namespace', managed, selector]);
    await kubectl(['create', 'serviceaccount', 'default', '-n', shared]);
    await createDeployment(shared, { name: 'api', replicaSet: 'api-6f7c', pods: ['api-6f7c-a'], labels: { [label]: 'true' } });
    await createDeployment(shared, { name: 'batch', replicaSet: 'batch-9d2e', pods: ['batch-9d2e-a'] });
    await kubectl(['apply', '-f', join(repoRoot(), 'k8s', 'base', 'namespace.yaml')]);
    await kubectl(['apply', '-f', join(repoRoot(), 'k8s', 'rbac', 'ingest-gateway.yaml')]);
    const token = (await kubectl(['create', 'token', 'alertgate-ingest-gateway', '-n', 'alertgate', '--duration=1h'])).trim();
    kubeconfig = tokenKubeconfig(join(dir, 'ingest-gateway.kubeconfig'), token);
    fixture = await PipelineFixture.start('optin', {
      serviceEnv: {
        'ingest-gateway': { KUBECONFIG: kubeconfig, MANAGED_NAMESPACE_SELECTOR: selector, MANAGED_WORKLOAD_SELECTOR: selector, EVENT_OWNER_RESOLUTION: 'off' },
      },
    });
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes alerts of a labelled namespace, and ignores those of another with the reason, writing nothing', async () => {
    expect((await outcomesIn(managed, 'a')).map((result) => result.outcome)).toEqual(['created']);
    const keys = (await fixture.redis.keys()).length;
    expect(await outcomesIn(unmanaged, 'b')).toEqual([
      {
        fingerprint: expect.any(String),
        outcome: 'ignored',
        reason: `not managed: namespace ${unmanaged} does not match ${selector}; pod b does not match ${selector}`,
      },
    ]);
    expect((await fixture.redis.keys()).length).toBe(keys);
    expect(fixture.resources().map((rr) => rr.metadata.namespace)).toEqual([managed]);
  });

  it("writes the alerts of a labelled workload's pods in an unmanaged namespace, and ignores another workload's there", async () => {
    expect(await outcomesIn(shared, 'api-6f7c-a')).toEqual([expect.objectContaining({ outcome: 'created' })]);
    expect(await outcomesIn(shared, 'batch-9d2e-a')).toEqual([
      {
        fingerprint: expect.any(String),
        outcome: 'ignored',
        reason: `not managed: namespace ${shared} does not match ${selector}; deployment batch does not match ${selector}`,
      },
    ]);
    expect(
      fixture
        .resources()
        .filter((rr) => rr.metadata.namespace === shared)
        .map((rr) => rr.spec.targetResource),
    ).toEqual([{ kind: 'deployment', name: 'api' }]);
    await kubectl(['label', 'deployment', 'batch', '-n', shared, selector]);
    await eventually('the newly labelled workload is managed', async () =>
      (await outcomesIn(shared, 'batch-9d2e-a'))[0]?.outcome === 'created' ? true : undefined,
    );
  });

  it('follows labels set and removed while it runs', async () => {
    await kubectl(['label', 'namespace', unmanaged, selector]);
    await eventually('the newly labelled namespace is managed', async () => ((await outcomesIn(unmanaged, 'c'))[0]?.outcome === 'created' ? true : undefined));
    await kubectl(['label', 'namespace', managed, `${label}-`]);
    await eventually('the unlabelled namespace is no longer managed', async () =>
      (await outcomesIn(managed, 'd'))[0]?.outcome === 'ignored' ? true : undefined,
    );
  });

  it('a selector that does not parse stops the gateway at start-up, naming MANAGED_NAMESPACE_SELECTOR', async () => {
    await expect(
      PipelineFixture.start('optinbad', { serviceEnv: { 'ingest-gateway': { KUBECONFIG: kubeconfig, MANAGED_NAMESPACE_SELECTOR: 'managed=~yes' } } }),
    ).rejects.toThrow(/ingest-gateway exited with [1-9][0-9]* before listening[\s\S]*MANAGED_NAMESPACE_SELECTOR/);
  });
});
