/**
 * Every gRPC hop over mutual TLS, on the real processes: each service has a certificate of its
 * own (a directory in cert-manager's Secret layout), trusts the test CA, and takes calls only from
 * the services that call it. grpcurl plays the stranger.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { AppName } from '@alertgate/local-env';
import { amAlert, amWebhook, grpcurlPath, mountSecretVolume, repoRoot, TestPki, updateSecretVolume } from '@alertgate/testing';

import { PipelineFixture } from './support/pipeline-fixture.js';
import { eventuallyHolds } from './support/eventually.js';

const run = promisify(execFile);

/** grpcurl's answer: its output, or its error text when it failed. */
async function grpcurl(args: readonly string[]): Promise<{ ok: boolean; text: string }> {
  try {
    const { stdout } = await run(grpcurlPath(), [...args], { timeout: 15_000 });
    return { ok: true, text: stdout };
  } catch (err) {
    return { ok: false, text: String((err as { stderr?: string }).stderr ?? err) };
  }
}

/** Who may call each service: its callers in the pipeline, no one else. */
const CALLERS: Record<Exclude<AppName, 'ingest-gateway'>, string> = {
  dedup: 'ingest-gateway,crd-writer',
  'crd-writer': 'ingest-gateway',
  ratelimit: 'ingest-gateway',
  storm: 'ingest-gateway',
};

describe('the pipeline with mutual TLS on every gRPC hop', () => {
  let pki: TestPki;
  let fixture: PipelineFixture;
  const dirs = {} as Record<AppName, string>;

  beforeAll(async () => {
    pki = new TestPki();
    for (const app of ['ingest-gateway', 'dedup', 'crd-writer', 'ratelimit', 'storm'] as const) {
      dirs[app] = join(pki.root, `${app}-mount`);
      mountSecretVolume(dirs[app], pki.issue(app, { sans: [`DNS:${app}`, 'IP:127.0.0.1'] }));
    }
    const tls = (app: AppName) => ({
      GRPC_TLS_DIR: dirs[app],
      GRPC_TLS_RELOAD_INTERVAL: '200ms',
      ...(app === 'ingest-gateway' ? {} : { GRPC_TLS_ALLOWED_CLIENTS: CALLERS[app] }),
    });
    fixture = await PipelineFixture.start('grpctls', {
      serviceEnv: {
        'ingest-gateway': tls('ingest-gateway'),
        dedup: tls('dedup'),
        'crd-writer': tls('crd-writer'),
        ratelimit: tls('ratelimit'),
        storm: tls('storm'),
      },
    });
  });
  afterAll(async () => {
    await fixture?.close();
    pki?.dispose();
  });

  const crdWriter = () => fixture.system!.crdWriterAddress;
  const withCert = (dir: string) => ['-cacert', join(dir, 'ca.crt'), '-cert', join(dir, 'tls.crt'), '-key', join(dir, 'tls.key')];
  const applyBatch = JSON.stringify({ updates: [] });
  // From the proto files, not reflection: the refusal is then ApplyBatch's own.
  const protos = () => ['-import-path', join(repoRoot(), 'proto'), '-proto', 'alertgate/crdwriter/v1/crdwriter.proto'];

  it('carries a webhook through every hop to a resource', async () => {
    const response = await fixture.deliverAlerts(amWebhook([amAlert({ alertname: 'OverTls', pod: 'db-0' })]));
    expect(response.status).toBe(200);
    expect(response.json['results']).toEqual([expect.objectContaining({ outcome: 'created' })]);
    expect((await fetch(`${fixture.gatewayUrl}/readyz`)).status).toBe(200);
  });

  it('lets the gateway call the crd-writer, and refuses another service of the same CA with PermissionDenied', async () => {
    const gateway = await grpcurl([
      ...withCert(join(pki.root, 'ingest-gateway')),
      '-d',
      applyBatch,
      crdWriter(),
      'alertgate.crdwriter.v1.CrdWriterService/ApplyBatch',
    ]);
    expect(gateway).toMatchObject({ ok: true });
    const storm = await grpcurl([
      ...withCert(join(pki.root, 'storm')),
      ...protos(),
      '-d',
      applyBatch,
      crdWriter(),
      'alertgate.crdwriter.v1.CrdWriterService/ApplyBatch',
    ]);
    expect(storm.ok).toBe(false);
    expect(storm.text).toMatch(
      /Code: PermissionDenied\s+Message: \/alertgate.crdwriter.v1.CrdWriterService\/ApplyBatch: the client certificate \(storm\) is not allowed to call this service \(GRPC_TLS_ALLOWED_CLIENTS\)/,
    );
  });

  it.each([
    ['without a client certificate', () => ['-cacert', pki.caFile]],
    ['with a certificate from another CA', () => withCert(pki.issue('stranger', { untrusted: true, sans: ['DNS:ingest-gateway'] }))],
    ['with an expired certificate', () => withCert(pki.issue('expired', { expired: true, sans: ['DNS:ingest-gateway'] }))],
  ])('refuses grpcurl %s with Unauthenticated, saying why', async (_what, args) => {
    const answer = await grpcurl([...args(), ...protos(), '-d', applyBatch, crdWriter(), 'alertgate.crdwriter.v1.CrdWriterService/ApplyBatch']);
    expect(answer.ok).toBe(false);
    expect(answer.text).toMatch(
      /Code: Unauthenticated\s+Message: \/alertgate.crdwriter.v1.CrdWriterService\/ApplyBatch: a client certificate from this service's CA \(GRPC_TLS_DIR\/ca.crt\) is required; none was sent, or it is expired, not yet valid or from another CA/,
    );
  });

  it('refuses grpcurl without TLS at the handshake', async () => {
    const answer = await grpcurl([
      '-plaintext',
      ...protos(),
      '-connect-timeout',
      '3',
      '-d',
      applyBatch,
      crdWriter(),
      'alertgate.crdwriter.v1.CrdWriterService/ApplyBatch',
    ]);
    expect(answer.ok).toBe(false);
    expect(answer.text).toMatch(/Failed to dial target host/);
  });

  it("rotates the crd-writer's certificate under load without a failed webhook", async () => {
    const writer = fixture.system!.services['crd-writer'];
    const reloadedBefore = writer.logs.filter((line) => line.includes('TLS certificate reloaded')).length;
    let stop = false;
    const statuses: number[] = [];
    let n = 0;
    const load = async (): Promise<void> => {
      while (!stop) statuses.push((await fixture.postAlerts(amWebhook([amAlert({ alertname: 'RotateUnderLoad', pod: `p-${n++}` })]))).status);
    };
    const running = Promise.all([load(), load()]);
    updateSecretVolume(dirs['crd-writer'], pki.issue('crd-writer-next', { sans: ['DNS:crd-writer', 'IP:127.0.0.1'] }));
    await eventuallyHolds(
      'the crd-writer to reload its certificate',
      () => writer.logs.filter((line) => line.includes('TLS certificate reloaded')).length > reloadedBefore,
      20_000,
      20,
    );
    const atReload = statuses.length;
    // New connections to the crd-writer meet the new certificate: the gateway's, after its next reconnect.
    await eventuallyHolds('50 webhooks answered after the reload', () => statuses.length >= atReload + 50, 60_000, 20);
    stop = true;
    await running;
    expect(writer.logs.filter((line) => line.includes('TLS certificate reloaded')).length).toBe(reloadedBefore + 1);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // A new client meets the rotated certificate, and the CA it chains to is the one it trusts.
    expect(await grpcurl([...withCert(join(pki.root, 'ingest-gateway')), crdWriter(), 'grpc.health.v1.Health/Check'])).toMatchObject({ ok: true });
  }, 60_000);
});
