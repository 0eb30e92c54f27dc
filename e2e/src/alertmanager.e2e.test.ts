import { AlertmanagerProcess } from '@alertgate/local-env';

import { eventually } from './support/eventually.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

const TOKEN = 'alertmanager-e2e-token-42';


describe('a real Alertmanager delivers to alertgate', () => {
  let fixture: PipelineFixture;
  let alertmanager: AlertmanagerProcess;

  beforeAll(async () => {
    fixture = await PipelineFixture.start('am', { serviceEnv: { 'ingest-gateway': { INGEST_AUTH: 'token', INGEST_TOKEN: TOKEN } } });
    alertmanager = await new AlertmanagerProcess({
      webhookUrl: `${fixture.gatewayUrl}/api/v1/signals/alertmanager`,
      bearerToken: TOKEN,
    }).start();
  });
  afterAll(async () => {
    await alertmanager?.stop();
    await fixture?.close();
  });

  it('a firing alert creates one resource; its resolution marks it resolved', async () => {
    const labels = { alertname: 'KubeDeploymentReplicasMismatch', namespace: 'checkout', deployment: 'cart', severity: 'warning' };
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    await alertmanager.postAlerts([{ labels, annotations: { summary: 'cart has fewer replicas than desired' }, startsAt }]);

    const created = await eventually('the resource', () => fixture.resources().find((rr) => rr.spec.alertname === labels.alertname));
    expect(created.metadata.namespace).toBe('checkout');
    expect(created.spec.targetResource).toEqual({ kind: 'deployment', name: 'cart' });
    expect(created.spec.alertmanager?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(created.spec.alertmanager?.groupKey).toContain('KubeDeploymentReplicasMismatch');
    expect(created.status?.alertState).toBe('Firing');

    // Prometheus signals resolution by sending the alert again with endsAt in the past.
    const endsAt = new Date().toISOString();
    await alertmanager.postAlerts([{ labels, startsAt, endsAt }]);
    const resolved = await eventually('the resolution', () =>
      fixture.resources().find((rr) => rr.spec.alertname === labels.alertname && rr.status?.alertState === 'Resolved'),
    );
    expect(resolved.metadata.name).toBe(created.metadata.name);
    expect(resolved.status?.resolvedAt).toBeDefined();
    expect(fixture.resources().filter((rr) => rr.spec.alertname === labels.alertname)).toHaveLength(1);
  });
});
