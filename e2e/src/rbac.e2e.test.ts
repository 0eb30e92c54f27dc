import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import { amAlert, amWebhook, kubectl, repoRoot, testNamespace } from '@alertgate/testing';
import { parse } from 'yaml';

import { eventually, eventuallyHolds } from './support/eventually.js';
import { listRemediationRequests, tokenKubeconfig } from './support/kube-resources.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  outcome: string;
  remediationRequest?: { namespace: string; name: string };
}

/**
 * Every Kubernetes manifest (YAML) under a directory: not kustomizations, nor the patches they
 * name (partial objects); dashboards (JSON) are not objects.
 */
function yamlFiles(dir: string): string[] {
  const kustomization = join(dir, 'kustomization.yaml');
  const patches = new Set(
    existsSync(kustomization)
      ? ((parse(readFileSync(kustomization, 'utf8')) as { patches?: { path?: string }[] }).patches ?? []).flatMap((patch) => (patch.path ? [patch.path] : []))
      : [],
  );
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? yamlFiles(join(dir, entry.name))
      : /\.ya?ml$/.test(entry.name) && !entry.name.startsWith('kustomization') && !patches.has(entry.name)
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('least privilege, proven: the crd-writer runs with its ServiceAccount token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-rbac-'));
  let fixture: PipelineFixture;
  let ns: string;
  let kubeconfig: string;

  beforeAll(async () => {
    await kubectl(['apply', '-f', join(repoRoot(), 'k8s', 'base', 'namespace.yaml')]);
    await kubectl(['apply', '-k', join(repoRoot(), 'k8s', 'rbac')]);
    const token = (await kubectl(['create', 'token', 'alertgate-crd-writer', '-n', 'alertgate', '--duration=1h'])).trim();
    kubeconfig = tokenKubeconfig(join(dir, 'crd-writer.kubeconfig'), token);
    ns = await testNamespace('rbac');
    // The Lease name its Role grants (the harness gives each system one of its own otherwise).
    fixture = await PipelineFixture.start('rbac', {
      serviceEnv: {
        'crd-writer': { KUBECONFIG: kubeconfig, LEADER_LEASE_NAME: 'alertgate-crd-writer', LEADER_LEASE_DURATION: '3s', LEADER_RETRY_PERIOD: '300ms' },
      },
    });
    // Four kubectl calls and five services started: on a machine busy with the suites beside
    // this one, more than the 30 s of one test.
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does its normal work: create, count, resolve, watch', async () => {
    const labels = { alertname: 'RbacWork', namespace: ns, pod: 'p' };
    const first = await fixture.postAlerts(amWebhook([amAlert(labels)]));
    expect(first.status).toBe(200);
    expect((first.json['results'] as Result[])[0]?.outcome).toBe('created');
    expect(((await fixture.postAlerts(amWebhook([amAlert(labels)]))).json['results'] as Result[])[0]?.outcome).toBe('duplicate');
    const resolved = await fixture.postAlerts(amWebhook([amAlert(labels, 'resolved')], 'resolved'));
    expect((resolved.json['results'] as Result[])[0]?.outcome).toBe('resolved');
    const items = (await listRemediationRequests(ns)).filter((item) => item.spec.alertname === 'RbacWork');
    expect(items).toHaveLength(1);
    expect(items[0]?.status?.alertState).toBe('Resolved');
    // The readiness check (a cluster-wide list) passes with the token too.
    expect((await fetch(`${fixture.gatewayUrl}/readyz`)).status).toBe(200);

    // The watch works with the token: a terminal phase ends the incident.
    const open = { alertname: 'RbacWatch', namespace: ns, pod: 'w' };
    const [created] = (await fixture.postAlerts(amWebhook([amAlert(open)]))).json['results'] as Result[];
    await kubectl([
      'patch',
      'rr',
      created?.remediationRequest?.name ?? '',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Cancelled"}}',
    ]);
    let outcome = '';
    await eventuallyHolds(
      () => `a new incident after the cancel (last outcome: ${outcome})`,
      async () => {
        outcome = ((await fixture.postAlerts(amWebhook([amAlert(open)]))).json['results'] as Result[])[0]?.outcome ?? '';
        return outcome === 'created';
      },
      10_000,
      200,
    );
    expect(fixture.system!.services['crd-writer'].logs.join('\n')).not.toMatch(/watch (of RemediationRequests failed|not started)/);
  });

  it('holds its leader Lease with the token', async () => {
    const identity = `${hostname()}-${fixture.system!.services['crd-writer'].pid ?? 0}`;
    const holder = await eventually('the Lease held by the crd-writer', async () => {
      const lease = JSON.parse(await kubectl(['get', 'leases.coordination.k8s.io', 'alertgate-crd-writer', '-n', 'alertgate', '-o', 'json'])) as {
        spec?: { holderIdentity?: string };
      };
      return lease.spec?.holderIdentity === identity ? identity : undefined;
    });
    expect(holder).toBe(identity);
    // Renewals the API server throttled (429) are retried; a refused one (401, 403) would be a missing grant.
    const refusedRenewals = fixture.system!.services['crd-writer'].logs.filter((line) => line.includes('lease not renewed') && /HTTP-Code: 40[13]/.test(line));
    expect(refusedRenewals).toEqual([]);
  });

  it('is denied what it has no business doing', async () => {
    const [rr] = (await listRemediationRequests(ns)).filter((item) => item.spec.alertname === 'RbacWork');
    const name = rr?.metadata.name ?? '';
    await expect(kubectl(['delete', 'rr', name, '-n', ns], { kubeconfig })).rejects.toThrow(/Forbidden|forbidden/);
    await expect(kubectl(['get', 'secrets', '-n', ns], { kubeconfig })).rejects.toThrow(/forbidden/);
    await expect(kubectl(['get', 'secrets', '-A'], { kubeconfig })).rejects.toThrow(/forbidden/);
    await expect(kubectl(['patch', 'rr', name, '-n', ns, '--type=merge', '-p', '{"metadata":{"labels":{"x":"y"}}}'], { kubeconfig })).rejects.toThrow(
      /forbidden/,
    );
    await expect(kubectl(['create', 'namespace', 'rbac-should-fail'], { kubeconfig })).rejects.toThrow(/forbidden/);
    expect((await kubectl(['auth', 'can-i', 'create', 'remediationrequests.remediation.alertgate.io', '-n', ns], { kubeconfig })).trim()).toBe('yes');
  });

  it('every manifest in k8s/ passes kubectl apply --dry-run=server', async () => {
    const manifests = yamlFiles(join(repoRoot(), 'k8s'));
    expect(manifests.length).toBeGreaterThanOrEqual(5);
    const out = await kubectl(['apply', '--dry-run=server', ...manifests.flatMap((file) => ['-f', file])]);
    expect(out).toMatch(/prometheusrule.monitoring.coreos.com\/alertgate .*\(server dry run\)/);
    expect(out).toMatch(
      /customresourcedefinition.apiextensions.k8s.io\/remediationrequests.remediation.alertgate.io (configured|unchanged|created) \(server dry run\)/,
    );
    expect(out).toMatch(/clusterrole.rbac.authorization.k8s.io\/alertgate-crd-writer .*\(server dry run\)/);
  });
});
