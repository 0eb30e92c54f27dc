/**
 * ServiceAccount tokens as senders' credentials, checked by the real API server's TokenReview:
 * the gateway reaches the API server through a TCP proxy of the test's own, so that the test
 * can take the API server away from it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { amAlert, amWebhook, kubectl, testKube, testNamespace } from '@alertgate/testing';
import { parse, stringify } from 'yaml';

import { PipelineFixture } from './support/pipeline-fixture.js';

/** A TCP proxy to the API server that can be cut (every connection closed, none accepted) and restored. */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

describe('ServiceAccount tokens reviewed by the real API server', () => {
  const OWN_TOKEN = 'own-sender-token-0001';
  let fixture: PipelineFixture;
  let proxy: CuttableProxy;
  let ns: string;

  const token = async (serviceAccount: string, audience: string): Promise<string> =>
    (await kubectl(['create', 'token', serviceAccount, '-n', ns, '--audience', audience, '--duration', '10m'])).trim();
  const post = async (bearer: string, pod = 'p') =>
    fixture.postAlerts(amWebhook([amAlert({ alertname: 'TokenReviewed', namespace: 'checkout', pod })]), { authorization: `Bearer ${bearer}` });

  beforeAll(async () => {
    ns = await testNamespace('senders');
    await kubectl(['create', 'serviceaccount', 'alertmanager', '-n', ns]);
    await kubectl(['create', 'serviceaccount', 'stranger', '-n', ns]);
    // The admin kubeconfig, pointed at the proxy.
    const admin = parse(readFileSync(testKube().kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    const server = new URL(admin.clusters[0]?.cluster.server ?? '');
    proxy = new CuttableProxy({ host: server.hostname, port: Number(server.port) });
    await proxy.open();
    const cluster = admin.clusters[0];
    if (cluster) cluster.cluster.server = `https://127.0.0.1:${proxy.port}`;
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'alertgate-review-')), 'kubeconfig');
    writeFileSync(kubeconfig, stringify(admin), { mode: 0o600 });
    fixture = await PipelineFixture.start('review', {
      serviceEnv: {
        'ingest-gateway': {
          INGEST_AUTH: 'token',
          INGEST_TOKEN: OWN_TOKEN,
          INGEST_TOKEN_SENDER: 'own',
          INGEST_TOKEN_REVIEW: 'on',
          INGEST_TOKEN_AUDIENCE: 'alertgate',
          INGEST_TOKEN_REVIEW_CACHE_TTL: '500ms',
          KUBECONFIG: kubeconfig,
          EVENT_OWNER_RESOLUTION: 'off',
        },
      },
    });
  });
  afterAll(async () => {
    await fixture?.close();
    await proxy?.cut();
  });

  it("admits a token bound to its audience under the ServiceAccount's name, and refuses another audience or a made-up token with 401", async () => {
    const bound = await post(await token('alertmanager', 'alertgate'), 'bound');
    expect(bound.status).toBe(200);
    const [result] = bound.json['results'] as { outcome: string; remediationRequest?: { name: string } }[];
    expect(result?.outcome).toBe('created');
    const resource = fixture.resources().find((rr) => rr.metadata.name === result?.remediationRequest?.name);
    expect(resource?.metadata.annotations['remediation.alertgate.io/sender']).toBe(`system:serviceaccount:${ns}:alertmanager`);
    expect((await post(await token('alertmanager', 'someone-else'))).status).toBe(401);
    expect((await post('eyJhbGciOiJSUzI1NiJ9.not-a-token.at-all')).status).toBe(401);
    expect((await post(OWN_TOKEN)).status).toBe(200);
  });

  it('with the API server unreachable, fails closed: 503 for a token it knew, 401 for one it never saw; then admits again', async () => {
    const known = await token('alertmanager', 'alertgate');
    expect((await post(known)).status).toBe(200);
    const unseen = await token('stranger', 'alertgate');
    await proxy.cut();
    try {
      // Once the cached answer is older than its TTL (500 ms), the API server must be asked again.
      await new Promise((resolve) => setTimeout(resolve, 700));
      const unavailable = await post(known);
      expect(unavailable.status).toBe(503);
      expect(unavailable.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(String(unavailable.json['detail'])).toMatch(/The token cannot be verified now: .*Nothing of this request was processed/);
      expect((await post(unseen)).status).toBe(401);
      // The senders' own tokens need no API server.
      expect((await post(OWN_TOKEN)).status).toBe(200);
    } finally {
      await proxy.open();
    }
    expect((await post(known)).status).toBe(200);
    expect((await post(unseen)).status).toBe(200);
  }, 60_000);
});
