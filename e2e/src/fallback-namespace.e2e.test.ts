import { randomBytes } from 'node:crypto';

import { amAlert, amWebhook, kubectl, testKube, testNamespace } from '@alertgate/testing';

import { listRemediationRequests } from './support/kube-resources.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

/**
 * Neither the alert's namespace nor FALLBACK_NAMESPACE exists: no retry by the sender can be
 * answered until an operator creates one, but nothing may be dropped meanwhile either. Real API
 * server, kubernetes sink.
 */
describe('a missing fallback namespace (real API server)', () => {
  let fixture: PipelineFixture;
  let ns: string;
  const fallback = `missing-fallback-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    ns = await testNamespace('fallback-check');
    fixture = await PipelineFixture.start('fallbackns', {
      serviceEnv: { 'crd-writer': { KUBECONFIG: testKube().kubeconfig, FALLBACK_NAMESPACE: fallback }, 'ingest-gateway': { STORM: 'off' } },
    });
  });
  afterAll(() => fixture?.close());

  it('answers a retryable 503 naming FALLBACK_NAMESPACE, and writes the resource once the namespace exists', async () => {
    const body = amWebhook([amAlert({ alertname: 'NoNamespace', namespace: `absent-${randomBytes(3).toString('hex')}`, pod: 'p' })]);
    const refused = await fixture.postAlerts(body);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(String(refused.json['detail'])).toContain('FALLBACK_NAMESPACE');
    // The alert of a namespace that exists is still written meanwhile.
    const other = await fixture.postAlerts(amWebhook([amAlert({ alertname: 'NoNamespace', namespace: ns, pod: 'q' })]));
    expect(other.status).toBe(200);

    await kubectl(['create', 'namespace', fallback]);
    const retried = await fixture.postAlerts(body);
    expect(retried.status).toBe(200);
    expect((retried.json['results'] as { outcome: string }[]).map((result) => result.outcome)).toEqual(['created']);
    const written = await listRemediationRequests(fallback);
    expect(written.map((rr) => rr.spec.targetResource.name)).toEqual(['p']);
  });
});
