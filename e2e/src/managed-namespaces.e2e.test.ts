import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { amAlert, amWebhook, kubectl, repoRoot, testNamespace } from '@alertgate/testing';

import { eventually } from './support/eventually.js';
import { tokenKubeconfig } from './support/kube-resources.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  outcome: string;
  reason?: string;
}

/**
 * Opt-in (MANAGED_NAMESPACE_SELECTOR): only namespaces whose labels match get resources; the
 * gateway reads them through a watch of the real API server, as its ServiceAccount
 * (k8s/rbac/ingest-gateway.yaml), so a label set or removed while it runs takes effect without a
 * restart. The crd-writer writes to the file sink.
 */
describe('opt-in by namespace label (real API server, real Redis)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-optin-'));
  let fixture: PipelineFixture;
  let kubeconfig: string;
  let managed: string;
  let unmanaged: string;
  // A label of this run's own: the API server is shared with the other suites.
  const label = `e2e.alertgate.io/managed-${process.pid}`;
  const selector = `${label}=true`;
  const outcomesIn = async (namespace: string, pod: string): Promise<Result[]> =>
    (await fixture.postAlerts(amWebhook([amAlert({ alertname: 'OptIn', namespace, pod })]))).json['results'] as Result[];

  beforeAll(async () => {
    [managed, unmanaged] = await Promise.all([testNamespace('optin'), testNamespace('optout')]);
    await kubectl(['label', 'namespace', managed, selector]);
    await kubectl(['apply', '-f', join(repoRoot(), 'k8s', 'base', 'namespace.yaml')]);
    await kubectl(['apply', '-f', join(repoRoot(), 'k8s', 'rbac', 'ingest-gateway.yaml')]);
    const token = (await kubectl(['create', 'token', 'alertgate-ingest-gateway', '-n', 'alertgate', '--duration=1h'])).trim();
    kubeconfig = tokenKubeconfig(join(dir, 'ingest-gateway.kubeconfig'), token);
    fixture = await PipelineFixture.start('optin', {
      serviceEnv: { 'ingest-gateway': { KUBECONFIG: kubeconfig, MANAGED_NAMESPACE_SELECTOR: selector, EVENT_OWNER_RESOLUTION: 'off' } },
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
      { fingerprint: expect.any(String), outcome: 'ignored', reason: `namespace ${unmanaged} is not managed: it does not match ${selector}` },
    ]);
    expect((await fixture.redis.keys()).length).toBe(keys);
    expect(fixture.resources().map((rr) => rr.metadata.namespace)).toEqual([managed]);
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
