import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { HealthClient } from '@alertgate/grpc-kit';
import { freePort, type AppName } from '@alertgate/local-env';
import { amAlert, amWebhook, RedisTestScope, repoRoot, testKube, testRedisUrl } from '@alertgate/testing';

import { eventuallyHolds } from './support/eventually.js';
import { listRemediationRequests } from './support/kube-resources.js';
import { render, renderedConfig, type K8sObject } from './support/manifests.js';
import { podman, removeContainer, runContainer } from './support/podman.js';

const run = promisify(execFile);
const APPS: readonly AppName[] = ['dedup', 'storm', 'ratelimit', 'crd-writer', 'ingest-gateway'];
const GRPC_APPS = ['dedup', 'storm', 'ratelimit', 'crd-writer'] as const;
const PORT_VARIABLES: Record<AppName, string> = {
  dedup: 'DEDUP_PORT',
  storm: 'STORM_PORT',
  ratelimit: 'RATELIMIT_PORT',
  'crd-writer': 'CRD_WRITER_PORT',
  'ingest-gateway': 'INGEST_PORT',
};
const ADDRESS_VARIABLES = { dedup: 'DEDUP_ADDR', storm: 'STORM_ADDR', ratelimit: 'RATELIMIT_ADDR', 'crd-writer': 'CRD_WRITER_ADDR' } as const;
const TOKEN = `images-test-token-${randomBytes(8).toString('hex')}`;

/** Kubernetes quantities as podman takes them: 192Mi → 192m, 500m CPU → 0.5. */
const memoryOf = (quantity: string): string => quantity.replace(/Mi$/, 'm').replace(/Gi$/, 'g');
const cpusOf = (quantity: string): string => (quantity.endsWith('m') ? String(Number(quantity.slice(0, -1)) / 1000) : quantity);

/** How often readiness is asked while a container starts: the resolution of start to ready. */
const READY_POLL_MS = 50;

/**
 * Every service's image, built from docker/Dockerfile as users build it (tools/images), run as
 * the rendered dev overlay's Deployments say: its ConfigMap's environment, non-root, read-only
 * root filesystem, no capabilities, the limits of the manifests, the token as a mounted Secret.
 * Both kinds of probe pass, and an alert posted to the gateway's container becomes a
 * RemediationRequest on the test API server. Each image's size and start-to-ready time are
 * printed for docs/deployment.md.
 */
describe('the images, built and run as the manifests say', () => {
  const scope = new RedisTestScope('images');
  const secrets = mkdtempSync(join(tmpdir(), 'alertgate-images-'));
  const suffix = randomBytes(3).toString('hex');
  const ports = {} as Record<AppName, number>;
  const sizes = new Map<string, number>();
  const readyMs = new Map<AppName, number>();
  let deployments: K8sObject[] = [];

  beforeAll(async () => {
    const built = await run('bash', [join(repoRoot(), 'tools', 'images', 'build-images.sh')], { timeout: 900_000, maxBuffer: 16 * 1024 * 1024 });
    for (const line of built.stdout.trim().split('\n')) {
      const [image = '', bytes = '0'] = line.split(' ');
      sizes.set(image, Number(bytes));
    }
    deployments = (await render('dev')).filter((o) => o.kind === 'Deployment');
    for (const app of APPS) ports[app] = await freePort();
    // The Secrets a pod would mount, readable by the containers' user: the gateway's token, and
    // for the crd-writer the test API server's kubeconfig in place of in-cluster access.
    const tokenDir = join(secrets, 'ingest-token');
    const kubeDir = join(secrets, 'kube');
    for (const dir of [secrets, tokenDir, kubeDir]) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o755);
    }
    writeFileSync(join(tokenDir, 'token'), TOKEN, { mode: 0o644 });
    copyFileSync(testKube().kubeconfig, join(kubeDir, 'kubeconfig'));
    chmodSync(join(kubeDir, 'kubeconfig'), 0o644);
    const config = await renderedConfig('dev');
    for (const app of APPS) {
      const pod = deployments.find((d) => d.metadata.name === app)?.spec?.template?.spec;
      const container = pod?.containers[0];
      if (!pod || !container) throw new Error(`no Deployment ${app} in the dev overlay`);
      const env: Record<string, string> = {
        ...config,
        // What differs from a cluster: Services are loopback ports here, Redis is the suite's
        // (under a prefix of the test's own), in-cluster access is the test API server's kubeconfig.
        ...Object.fromEntries(GRPC_APPS.map((other) => [ADDRESS_VARIABLES[other], `127.0.0.1:${ports[other]}`])),
        [PORT_VARIABLES[app]]: String(ports[app]),
        METRICS_PORT: '0',
        REDIS_URL: testRedisUrl(),
        REDIS_KEY_PREFIX: scope.prefix,
        ...(app === 'ingest-gateway' ? { INGEST_TOKEN_FILE: '/var/run/secrets/alertgate/ingest-token/token' } : {}),
        ...(app === 'crd-writer'
          ? {
              KUBECONFIG: '/var/run/secrets/alertgate/kube/kubeconfig',
              POD_NAME: `crd-writer-${suffix}`,
              POD_NAMESPACE: 'alertgate',
              LEADER_LEASE_NAME: `alertgate-images-${suffix}`,
            }
          : {}),
      };
      const started = Date.now();
      await runContainer({
        name: `alertgate-${app}-${suffix}`,
        image: `localhost/alertgate/${app}:0.1.0`,
        env,
        user: `${pod.securityContext?.runAsUser ?? 1000}:${pod.securityContext?.runAsGroup ?? 1000}`,
        memory: memoryOf(container.resources?.limits?.['memory'] ?? '256Mi'),
        cpus: cpusOf(container.resources?.limits?.['cpu'] ?? '1'),
        mounts:
          app === 'ingest-gateway'
            ? { [tokenDir]: '/var/run/secrets/alertgate/ingest-token' }
            : app === 'crd-writer'
              ? { [kubeDir]: '/var/run/secrets/alertgate/kube' }
              : {},
      });
      if (app === 'ingest-gateway') {
        await eventuallyHolds('the gateway ready', async () => (await fetch(`http://127.0.0.1:${ports[app]}/readyz`)).status === 200, 60_000, READY_POLL_MS);
      } else {
        // A new connection per attempt, as the kubelet's gRPC probe makes: one channel would wait
        // out grpc-js' reconnect backoff after the first refusal, seconds that are not the app's.
        const serving = async (): Promise<boolean> => {
          const health = new HealthClient(`127.0.0.1:${ports[app]}`);
          try {
            return (await health.check(1_000)) === 'SERVING';
          } finally {
            health.close();
          }
        };
        await eventuallyHolds(`${app} serving`, serving, 60_000, READY_POLL_MS);
      }
      readyMs.set(app, Date.now() - started);
    }
  }, 1_200_000);

  afterAll(async () => {
    for (const app of APPS) await removeContainer(`alertgate-${app}-${suffix}`);
    rmSync(secrets, { recursive: true, force: true });
    await scope.verifyAndClean();
    process.stdout.write(`images: ${[...sizes].map(([image, bytes]) => `${image} ${(bytes / 1e6).toFixed(1)} MB`).join('; ')}\n`);
    process.stdout.write(`start to ready, ms: ${[...readyMs].map(([app, ms]) => `${app} ${ms}`).join(', ')}\n`);
  });

  it('builds all five images, on Node 24', async () => {
    expect([...sizes.keys()].sort()).toEqual(APPS.map((app) => `localhost/alertgate/${app}:0.1.0`).sort());
    expect(
      (
        await podman([
          'run',
          '--rm',
          '--ulimit',
          'nofile=1024:1024',
          '--ulimit',
          'nproc=1024:1024',
          '--entrypoint',
          'node',
          'localhost/alertgate/dedup:0.1.0',
          '--version',
        ])
      ).trim(),
    ).toMatch(/^v24\./);
  });

  it('runs each as its non-root user, on a read-only root filesystem', async () => {
    for (const app of APPS) {
      const probe = await podman([
        'exec',
        `alertgate-${app}-${suffix}`,
        'node',
        '-e',
        "console.log(process.getuid()); try { require('fs').writeFileSync('/app/written', ''); console.log('writable'); } catch { console.log('read-only'); }",
      ]);
      expect({ app, probe: probe.trim().split('\n') }).toEqual({ app, probe: ['1000', 'read-only'] });
    }
  });

  it('carries no shell, only Node and the app', async () => {
    for (const app of APPS) {
      const shell = await podman(['exec', `alertgate-${app}-${suffix}`, 'sh', '-c', 'true']).then(
        () => 'a shell ran',
        (err: unknown) => String(err),
      );
      expect({ app, shell }).toEqual({ app, shell: expect.stringMatching(/executable file .*not found|no such file/i) });
    }
  });

  it('runs each service on jemalloc, which gives freed memory back', async () => {
    for (const app of APPS) {
      const allocator = await podman([
        'exec',
        `alertgate-${app}-${suffix}`,
        'node',
        '-e',
        "console.log(require('fs').readFileSync('/proc/1/maps', 'utf8').includes('libjemalloc') ? 'jemalloc' : 'glibc')",
      ]);
      expect({ app, allocator: allocator.trim() }).toEqual({ app, allocator: 'jemalloc' });
    }
  });

  it('answers the gRPC liveness and readiness probes and the gateway its HTTP ones', async () => {
    for (const app of GRPC_APPS) {
      const health = new HealthClient(`127.0.0.1:${ports[app]}`);
      expect({ app, liveness: await health.check(2_000, 'liveness'), readiness: await health.check(2_000) }).toEqual({
        app,
        liveness: 'SERVING',
        readiness: 'SERVING',
      });
      health.close();
    }
    expect((await fetch(`http://127.0.0.1:${ports['ingest-gateway']}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports['ingest-gateway']}/readyz`)).status).toBe(200);
  });

  it('turns an alert posted to the gateway container into a RemediationRequest on the API server', async () => {
    const alertname = `Imaged${suffix}`;
    const response = await fetch(`http://127.0.0.1:${ports['ingest-gateway']}/api/v1/signals/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(amWebhook([amAlert({ alertname, namespace: 'alertgate', pod: 'imaged' })])),
    });
    expect(response.status).toBe(200);
    expect((await listRemediationRequests('alertgate')).some((rr) => rr.spec.alertname === alertname)).toBe(true);
  });
});
