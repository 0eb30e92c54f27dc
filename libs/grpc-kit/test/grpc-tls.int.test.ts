import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';

import type { GrpcTlsSettings } from '@alertgate/config';
import { createLogger } from '@alertgate/logging';
import { metricsRegistry } from '@alertgate/metrics';
import { mountSecretVolume, TestPki, updateSecretVolume } from '@alertgate/testing';
import { Client, credentials, Metadata, status, type Server, type ServiceDefinition, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

import { openChannel } from '../src/service-client.js';
import { GrpcSecurity } from '../src/grpc-security.js';
import { GrpcServerHost } from '../src/grpc-server-host.js';
import { HealthClient } from '../src/health-client.js';

const logger = createLogger({ service: 'tls-test', level: 'silent' });

/** A one-method service of the test's own: Health's Check under another name, answering SERVING. */
const ECHO_PATH = '/alertgate.test.v1.Echo/Check';
const echoDefinition: ServiceDefinition = { Check: { ...(healthService['Check'] as ServiceDefinition[string]), path: ECHO_PATH } };
const echoService = {
  name: 'alertgate.test.v1.Echo',
  addToServer: (server: Server) =>
    server.addService(echoDefinition, { Check: (_call: unknown, done: (err: null, res: { status: number }) => void) => done(null, { status: 1 }) }),
};

const settings = (dir: string, more: Partial<Extract<GrpcTlsSettings, { enabled: true }>> = {}): GrpcTlsSettings => ({
  enabled: true,
  dir,
  clientAuth: 'require',
  allowedClients: [],
  reloadIntervalMs: 100,
  probePort: undefined,
  ...more,
});

/** One Echo call: 'ok', or the gRPC status code and details it failed with. */
function echo(client: Client): Promise<'ok' | { code: number; details: string }> {
  const check = echoDefinition['Check'] as ServiceDefinition[string];
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      check.path,
      check.requestSerialize,
      check.responseDeserialize,
      {},
      new Metadata(),
      { deadline: Date.now() + 5_000 },
      (err: ServiceError | null) => resolve(err ? { code: err.code, details: err.details } : 'ok'),
    );
  });
}

async function reloads(outcome: 'loaded' | 'invalid'): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('alertgate_tls_reloads_total')?.get();
  return metric?.values.find((value) => value.labels['outcome'] === outcome)?.value ?? 0;
}

async function until(what: string, condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never happened: ${what}`);
}

/** The serial number of the certificate the server presents to a new connection. */
function servedSerial(port: number, caFile: string, clientDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port,
        ca: readFileSync(caFile),
        cert: readFileSync(join(clientDir, 'tls.crt')),
        key: readFileSync(join(clientDir, 'tls.key')),
        ALPNProtocols: ['h2'],
      },
      () => {
        resolve(socket.getPeerCertificate().serialNumber);
        socket.destroy();
      },
    );
    socket.on('error', reject);
  });
}

describe('gRPC over mutual TLS, with real certificates', () => {
  let pki: TestPki;
  let server: GrpcServerHost;
  let serverSecurity: GrpcSecurity;
  let port: number;
  let probePort: number;
  let gatewayDir: string;
  const opened: { client: Client; security: GrpcSecurity }[] = [];

  const clientWith = async (dir: string): Promise<Client> => {
    const security = await GrpcSecurity.start(settings(dir), logger);
    const client = openChannel(`127.0.0.1:${port}`, security);
    opened.push({ client, security });
    return client;
  };

  beforeAll(async () => {
    pki = new TestPki();
    gatewayDir = pki.issue('gateway', { sans: ['DNS:ingest-gateway', 'IP:127.0.0.1'] });
    const serverDir = join(pki.root, 'server-mount');
    mountSecretVolume(serverDir, pki.issue('server', { sans: ['DNS:crd-writer', 'DNS:localhost', 'IP:127.0.0.1'] }));
    serverSecurity = await GrpcSecurity.start(settings(serverDir, { allowedClients: ['ingest-gateway'], probePort: 0 }), logger);
    server = new GrpcServerHost({ host: '127.0.0.1', port: 0, logger, shutdownGraceMs: 100, maxConnectionAgeMs: 300_000, security: serverSecurity });
    server.add(echoService);
    port = await server.start();
    probePort = server.probePort ?? 0;
    server.setServing(true);
  });
  afterAll(async () => {
    for (const { client, security } of opened) {
      client.close();
      security.stop();
    }
    await server.shutdown();
    serverSecurity.stop();
    pki.dispose();
  });

  it('answers an allowed client, and refuses another client of the same CA with PERMISSION_DENIED naming it', async () => {
    expect(await echo(await clientWith(gatewayDir))).toBe('ok');
    const storm = await clientWith(pki.issue('storm', { sans: ['DNS:storm', 'IP:127.0.0.1'] }));
    expect(await echo(storm)).toEqual({
      code: status.PERMISSION_DENIED,
      details: expect.stringMatching(/Echo\/Check: the client certificate \(storm, 127.0.0.1\)|Echo\/Check: the client certificate \(storm\)/),
    });
    // Health stays open to any client the handshake admitted.
    expect(await new HealthClient(`127.0.0.1:${port}`, storm.getChannel()).check(5_000)).toBe('SERVING');
  });

  const UNAUTHENTICATED = {
    code: status.UNAUTHENTICATED,
    details: expect.stringMatching(/Echo\/Check: a client certificate from this service's CA \(GRPC_TLS_DIR\/ca.crt\) is required/),
  };

  it('refuses a client without a certificate with UNAUTHENTICATED, saying what is missing', async () => {
    const client = new Client(`127.0.0.1:${port}`, credentials.createSsl(readFileSync(pki.caFile)));
    expect(await echo(client)).toEqual(UNAUTHENTICATED);
    // Health stays open: it tells nothing else.
    expect(await new HealthClient(`127.0.0.1:${port}`, client.getChannel()).check(5_000)).toBe('SERVING');
    client.close();
  });

  it.each([
    ['from another CA', { untrusted: true }],
    ['that expired', { expired: true }],
  ])('refuses a client whose certificate is %s with UNAUTHENTICATED', async (what, issue) => {
    const client = await clientWith(pki.issue(`refused-${what.replace(/\W/g, '')}`, { sans: ['DNS:ingest-gateway', 'IP:127.0.0.1'], ...issue }));
    expect(await echo(client)).toEqual(UNAUTHENTICATED);
  });

  it('refuses a plaintext client, and serves plaintext health on the probe port only', async () => {
    const plain = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    expect(await echo(plain)).toMatchObject({ code: status.UNAVAILABLE });
    plain.close();
    expect(await new HealthClient(`127.0.0.1:${probePort}`).check(5_000)).toBe('SERVING');
    const probeEcho = new Client(`127.0.0.1:${probePort}`, credentials.createInsecure());
    expect(await echo(probeEcho)).toMatchObject({ code: status.UNIMPLEMENTED });
    probeEcho.close();
  });

  it('rotates its certificate mid-load without a failed call, and keeps the old one when the new files do not fit', async () => {
    const serverDir = join(pki.root, 'server-mount');
    const before = await servedSerial(port, pki.caFile, gatewayDir);
    const client = await clientWith(gatewayDir);
    let stop = false;
    const answers: ('ok' | { code: number; details: string })[] = [];
    const load = async (): Promise<void> => {
      while (!stop) answers.push(await echo(client));
    };
    // New connections during the rotation too: one new client per round.
    const reconnecting = async (): Promise<void> => {
      while (!stop) answers.push(await echo(await clientWith(gatewayDir)));
    };
    const running = Promise.all([load(), load(), reconnecting()]);

    const loaded = await reloads('loaded');
    updateSecretVolume(serverDir, pki.issue('server-next', { sans: ['DNS:crd-writer', 'DNS:localhost', 'IP:127.0.0.1'] }));
    await until('the server reloaded its certificate', async () => (await reloads('loaded')) > loaded);
    const after = await servedSerial(port, pki.caFile, gatewayDir);

    // A key that is not the certificate's: refused, the rotated certificate stays in use.
    const invalid = await reloads('invalid');
    const mismatched = pki.issue('server-mismatched', { sans: ['IP:127.0.0.1'] });
    copyFileSync(join(gatewayDir, 'tls.key'), join(mismatched, 'tls.key'));
    updateSecretVolume(serverDir, mismatched);
    await until('the server refused the mismatched files', async () => (await reloads('invalid')) > invalid);
    const countBefore = answers.length;
    await until('more calls after the bad files', () => Promise.resolve(answers.length > countBefore + 20));
    stop = true;
    await running;

    expect(after).not.toBe(before);
    expect(await servedSerial(port, pki.caFile, gatewayDir)).toBe(after);
    expect(answers.length).toBeGreaterThan(20);
    expect(answers.filter((answer) => answer !== 'ok')).toEqual([]);
  });
});
