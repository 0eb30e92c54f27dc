import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';

import { AlertmanagerProcess } from '@alertgate/local-env';
import { amAlert, amWebhook, mountSecretVolume, TestPki, updateSecretVolume } from '@alertgate/testing';

import { eventually } from './support/eventually.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

const TOKEN = 'alertmanager-e2e-token-42';

describe('a real Alertmanager delivers to alertgate', () => {
  let fixture: PipelineFixture;
  let alertmanager: AlertmanagerProcess;

  beforeAll(async () => {
    // Two named senders, as a Secret of one key per sender mounts them.
    const senders = mkdtempSync(join(tmpdir(), 'alertgate-senders-'));
    writeFileSync(join(senders, 'alertmanager'), `${TOKEN}\n`);
    writeFileSync(join(senders, 'event-exporter'), 'event-exporter-e2e-token-7\n');
    fixture = await PipelineFixture.start('am', { serviceEnv: { 'ingest-gateway': { INGEST_AUTH: 'token', INGEST_TOKENS_DIR: senders } } });
    alertmanager = await new AlertmanagerProcess({
      webhookUrl: `${fixture.gatewayUrl}/api/v1/signals/alertmanager`,
      bearerToken: TOKEN,
    }).start();
  });
  afterAll(async () => {
    await alertmanager?.stop();
    await fixture?.close();
  });

  it("a firing alert creates one resource under its sender's name; its resolution marks it resolved; both are in the audit log", async () => {
    const labels = { alertname: 'KubeDeploymentReplicasMismatch', namespace: 'checkout', deployment: 'cart', severity: 'warning' };
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    await alertmanager.postAlerts([{ labels, annotations: { summary: 'cart has fewer replicas than desired' }, startsAt }]);

    const created = await eventually('the resource', () => fixture.resources().find((rr) => rr.spec.alertname === labels.alertname));
    expect(created.metadata.namespace).toBe('checkout');
    expect(created.spec.targetResource).toEqual({ kind: 'deployment', name: 'cart' });
    expect(created.spec.alertmanager?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(created.spec.alertmanager?.groupKey).toContain('KubeDeploymentReplicasMismatch');
    expect(created.status?.alertState).toBe('Firing');
    expect(created.metadata.annotations['remediation.alertgate.io/sender']).toBe('alertmanager');

    // Prometheus signals resolution by sending the alert again with endsAt in the past.
    const endsAt = new Date().toISOString();
    await alertmanager.postAlerts([{ labels, startsAt, endsAt }]);
    const resolved = await eventually('the resolution', () =>
      fixture.resources().find((rr) => rr.spec.alertname === labels.alertname && rr.status?.alertState === 'Resolved'),
    );
    expect(resolved.metadata.name).toBe(created.metadata.name);
    expect(resolved.status?.resolvedAt).toBeDefined();
    expect(fixture.resources().filter((rr) => rr.spec.alertname === labels.alertname)).toHaveLength(1);

    // The audit line follows the sink's write, and reaches this process through the
    // crd-writer's stdout: wait for the resolution's line, then check them all.
    const auditLines = (): { audit?: string; sender?: string; resource?: string; traceId?: string }[] =>
      fixture
        .system!.services['crd-writer'].logs.flatMap((line) =>
          line.startsWith('{') ? [JSON.parse(line) as { audit?: string; sender?: string; resource?: string; traceId?: string }] : [],
        )
        .filter((line) => line.resource === `checkout/${created.metadata.name}`);
    const audit = await eventually('the audit line of the resolution', () =>
      auditLines().some((line) => line.audit === 'resolved') ? auditLines() : undefined,
    );
    expect(audit.map((line) => [line.audit, line.sender])).toEqual([
      ['created', 'alertmanager'],
      ['resolved', 'alertmanager'],
    ]);
    expect(audit[0]?.traceId).toBe(created.metadata.annotations['remediation.alertgate.io/trace-id']);
  });
});

describe('rotating a sender token', () => {
  const OLD = 'rotation-e2e-token-old-1';
  const NEW = 'rotation-e2e-token-new-2';
  let fixture: PipelineFixture;
  let senders: string;
  beforeAll(async () => {
    senders = mkdtempSync(join(tmpdir(), 'alertgate-senders-'));
    writeFileSync(join(senders, 'alertmanager'), `${OLD}\n`);
    fixture = await PipelineFixture.start('rotate', {
      serviceEnv: { 'ingest-gateway': { INGEST_AUTH: 'token', INGEST_TOKENS_DIR: senders, INGEST_TOKENS_RELOAD_INTERVAL: '200ms', INGEST_TOKEN_GRACE: '8s' } },
    });
  });
  afterAll(() => fixture?.close());

  const post = async (token: string): Promise<number> =>
    (await fixture.postAlerts(amWebhook([amAlert({ alertname: 'RotateToken', pod: 'p' })]), { authorization: `Bearer ${token}` })).status;

  it('keeps the old token valid for the grace time, takes the new one at once, then refuses the old one with 401', async () => {
    expect(await post(OLD)).toBe(200);
    expect(await post(NEW)).toBe(401);
    const gateway = fixture.system!.services['ingest-gateway'];
    const reloads = () => gateway.logs.filter((line) => line.includes('sender tokens reloaded')).length;
    writeFileSync(join(senders, 'alertmanager'), `${NEW}\n`);
    await eventually('the gateway reloaded the tokens', () => (reloads() > 0 ? true : undefined));
    expect(await post(NEW)).toBe(200);
    // Within the grace time (8 s from the reload; these two calls take milliseconds).
    expect(await post(OLD)).toBe(200);
    const refused = await eventually('the old token refused once its grace time is over', async () => ((await post(OLD)) === 401 ? true : undefined), 30_000);
    expect(refused).toBe(true);
    expect(await post(NEW)).toBe(200);
  }, 60_000);
});

describe.each([
  ['tls_config', false],
  ['tls_config and credentials_file', true],
])('a real Alertmanager delivers over HTTPS with %s', (_what, withToken) => {
  const HTTPS_TOKEN = 'alertmanager-https-token-9';
  let pki: TestPki;
  let fixture: PipelineFixture;
  let alertmanager: AlertmanagerProcess;
  let mount: string;

  beforeAll(async () => {
    pki = new TestPki();
    mount = join(pki.root, 'gateway-mount');
    mountSecretVolume(mount, pki.issue('gateway', { sans: ['DNS:localhost', 'IP:127.0.0.1'] }));
    const auth = withToken ? { INGEST_AUTH: 'token', INGEST_TOKEN: HTTPS_TOKEN } : { INGEST_AUTH: 'disabled' };
    fixture = await PipelineFixture.start('amtls', {
      serviceEnv: { 'ingest-gateway': { ...auth, INGEST_TLS_DIR: mount, INGEST_TLS_RELOAD_INTERVAL: '200ms' } },
    });
    expect(fixture.gatewayUrl).toMatch(/^https:/);
    alertmanager = await new AlertmanagerProcess({
      webhookUrl: `${fixture.gatewayUrl}/api/v1/signals/alertmanager`,
      caFile: pki.caFile,
      ...(withToken ? { bearerToken: HTTPS_TOKEN } : {}),
    }).start();
  });
  afterAll(async () => {
    await alertmanager?.stop();
    await fixture?.close();
    pki?.dispose();
  });

  /** The serial of the certificate the gateway presents to a new connection. */
  const servedSerial = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: Number(new URL(fixture.gatewayUrl).port), ca: readFileSync(pki.caFile) }, () => {
        resolve(socket.getPeerCertificate().serialNumber);
        socket.destroy();
      });
      socket.on('error', reject);
    });

  it("creates the resource, and goes on after the gateway's certificate is rotated", async () => {
    const alertname = withToken ? 'OverHttpsWithToken' : 'OverHttps';
    await alertmanager.postAlerts([{ labels: { alertname, namespace: 'checkout', pod: 'cart-0' }, startsAt: new Date(Date.now() - 60_000).toISOString() }]);
    await eventually('the resource', () => fixture.resources().find((rr) => rr.spec.alertname === alertname));

    const before = await servedSerial();
    const gateway = fixture.system!.services['ingest-gateway'];
    const next = pki.issue('gateway-next', { sans: ['DNS:localhost', 'IP:127.0.0.1'] });
    updateSecretVolume(mount, next);
    await eventually('the gateway reloaded its certificate', () => (gateway.logs.some((line) => line.includes('TLS certificate reloaded')) ? true : undefined));
    expect(await servedSerial()).not.toBe(before);
    await alertmanager.postAlerts([
      { labels: { alertname: `${alertname}Again`, namespace: 'checkout', pod: 'cart-0' }, startsAt: new Date(Date.now() - 60_000).toISOString() },
    ]);
    await eventually('the resource after the rotation', () => fixture.resources().find((rr) => rr.spec.alertname === `${alertname}Again`));
  }, 60_000);
});
