import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { HealthClient } from '@alertgate/grpc-kit';
import { amAlert, amWebhook, kubectl, repoRoot, testKube } from '@alertgate/testing';

import { listRemediationRequests } from './support/kube-resources.js';
import { render, renderWith, type K8sObject } from './support/manifests.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

describe('deploying it: kustomize overlays on the real API server', () => {
  it.each(['dev', 'prod'] as const)('%s renders, and every object passes kubectl apply --dry-run=server', async (overlay) => {
    const objects = await render(overlay);
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of [
      'Deployment',
      'Service',
      'ServiceAccount',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'ConfigMap',
      'CustomResourceDefinition',
      'ClusterRole',
      'ServiceMonitor',
      'PrometheusRule',
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(
      expect.arrayContaining(['ingest-gateway', 'dedup', 'ratelimit', 'storm', 'crd-writer']),
    );
    // Namespaced objects need their namespace to exist for a server-side dry run.
    await kubectl(['apply', '-f', join(repoRoot(), 'k8s', 'base', 'namespace.yaml')]);
    const out = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: objects.map((o) => JSON.stringify(o)).join('\n') });
    expect(out.trim().split('\n')).toHaveLength(objects.length);
    expect(out).not.toMatch(/error/i);
  });

  it('the gRPC services are headless, so that their callers reach every pod (round robin), not one behind a ClusterIP', async () => {
    const services = (await render('prod')).filter((o) => o.kind === 'Service' && ['dedup', 'ratelimit', 'storm', 'crd-writer'].includes(o.metadata.name));
    expect(services.map((o) => [o.metadata.name, (o.spec as { clusterIP?: string } | undefined)?.clusterIP]).sort()).toEqual([
      ['crd-writer', 'None'],
      ['dedup', 'None'],
      ['ratelimit', 'None'],
      ['storm', 'None'],
    ]);
  });

  it('the prod overlay runs every gRPC hop over mutual TLS: each Deployment mounts the Secret cert-manager writes for it, its callers dial a name its certificate has, probes ask the plaintext port', async () => {
    const objects = await renderWith('prod', ['cert-manager']);
    interface Pod {
      volumes?: { name: string; secret?: { secretName: string } }[];
      containers: {
        name: string;
        env?: { name: string; value?: string }[];
        readinessProbe?: { grpc?: { port: number } };
        livenessProbe?: { grpc?: { port: number } };
      }[];
    }
    const pod = (o: K8sObject) => (o.spec as unknown as { template: { spec: Pod } }).template.spec;
    const deployments = new Map(objects.filter((o) => o.kind === 'Deployment').map((o) => [o.metadata.name, pod(o)]));
    const certificates = new Map(
      objects
        .filter((o) => o.kind === 'Certificate')
        .map((o) => [(o.spec as unknown as { secretName: string }).secretName, o.spec as unknown as { dnsNames: string[]; usages: string[] }]),
    );
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('alertgate-config'))?.data ?? {};
    expect(config['GRPC_TLS_DIR']).toBe('/etc/alertgate/grpc-tls');
    for (const [name, spec] of deployments) {
      const secret = spec.volumes?.find((volume) => volume.name === 'grpc-tls')?.secret?.secretName;
      expect([name, secret]).toEqual([name, `${name}-grpc-tls`]);
      const certificate = certificates.get(secret ?? '');
      expect(certificate?.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
      // The name GRPC_TLS_ALLOWED_CLIENTS matches is the certificate's first DNS name.
      expect(certificate?.dnsNames[0]).toBe(name);
    }
    // Every address a service is dialled at is a name in its certificate.
    for (const [variable, service] of [
      ['DEDUP_ADDR', 'dedup'],
      ['RATELIMIT_ADDR', 'ratelimit'],
      ['STORM_ADDR', 'storm'],
      ['CRD_WRITER_ADDR', 'crd-writer'],
    ] as const) {
      const host = /^dns:\/\/\/([^:]+):\d+$/.exec(config[variable] ?? '')?.[1];
      expect(certificates.get(`${service}-grpc-tls`)?.dnsNames).toContain(host);
      const container = deployments.get(service)?.containers[0];
      expect(container?.readinessProbe?.grpc?.port).toBe(Number(config['GRPC_PROBE_PORT']));
      expect(container?.livenessProbe?.grpc?.port).toBe(Number(config['GRPC_PROBE_PORT']));
    }
    const allowed = (service: string) => deployments.get(service)?.containers[0]?.env?.find((e) => e.name === 'GRPC_TLS_ALLOWED_CLIENTS')?.value;
    expect(allowed('crd-writer')).toBe('ingest-gateway');
    expect(allowed('dedup')).toBe('ingest-gateway,crd-writer');
  });

  it('the base lets the gateway reach the API server, for the owners of pods; the event-watch component turns the event watch on', async () => {
    const gatewayEgress = (objects: readonly { kind: string; spec?: unknown }[]): number[] =>
      objects
        .filter((o) => o.kind === 'NetworkPolicy')
        .map((o) => o.spec as { podSelector: { matchLabels?: Record<string, string> }; egress?: { to?: unknown[]; ports?: { port: number }[] }[] })
        .filter((spec) => spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'ingest-gateway')
        .flatMap((spec) => spec.egress ?? [])
        // The API server is not a pod: its rule names ports only.
        .filter((rule) => rule.to === undefined)
        .flatMap((rule) => rule.ports ?? [])
        .map((port) => port.port);
    const base = await render('prod');
    const baseConfig = base.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('alertgate-config'))?.data ?? {};
    expect(baseConfig).toMatchObject({ INCIDENT_IDENTITY: 'workload', EVENT_OWNER_RESOLUTION: 'auto' });
    expect(baseConfig['EVENT_WATCH']).toBeUndefined();
    expect(gatewayEgress(base).sort()).toEqual([443, 6443]);
    const objects = await renderWith('prod', ['event-watch']);
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('alertgate-config'))?.data ?? {};
    expect(config).toMatchObject({ EVENT_WATCH: 'on', INCIDENT_IDENTITY: 'workload', REDIS_SENTINELS: 'redis-sentinel.redis:26379' });
  });

  it('every workload of the dev overlay runs non-root, read-only, without privileges, with limits and probes', async () => {
    const workloads = (await render('dev')).filter((o) => o.kind === 'Deployment');
    expect(workloads.length).toBe(6); // five services and the dev Redis
    for (const workload of workloads) {
      const pod = workload.spec?.template?.spec;
      const where = `Deployment ${workload.metadata.name}`;
      expect({ where, runAsNonRoot: pod?.securityContext?.runAsNonRoot, seccomp: pod?.securityContext?.seccompProfile?.type }).toEqual({
        where,
        runAsNonRoot: true,
        seccomp: 'RuntimeDefault',
      });
      for (const container of pod?.containers ?? []) {
        const at = `${where}/${container.name}`;
        expect({
          at,
          readOnly: container.securityContext?.readOnlyRootFilesystem,
          escalation: container.securityContext?.allowPrivilegeEscalation,
          drop: container.securityContext?.capabilities?.drop,
        }).toEqual({
          at,
          readOnly: true,
          escalation: false,
          drop: ['ALL'],
        });
        expect({ at, cpu: container.resources?.limits?.['cpu'], memory: container.resources?.limits?.['memory'] }).toEqual({
          at,
          cpu: expect.any(String),
          memory: expect.any(String),
        });
        expect({ at, liveness: container.livenessProbe !== undefined, readiness: container.readinessProbe !== undefined }).toEqual({
          at,
          liveness: true,
          readiness: true,
        });
      }
    }
  });
});

describe('the bundles the images copy start with the rendered configuration and answer health', () => {
  let fixture: PipelineFixture;
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-deploy-'));

  beforeAll(async () => {
    const config = (await render('dev')).find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('alertgate-config'));
    // In a cluster the addresses are Service names; here the processes run on loopback, and the
    // test's own key prefix keeps its Redis keys apart (and checked for leaks).
    const { DEDUP_ADDR, RATELIMIT_ADDR, STORM_ADDR, CRD_WRITER_ADDR, REDIS_URL, REDIS_KEY_PREFIX, ...env } = config?.data ?? {};
    expect([DEDUP_ADDR, RATELIMIT_ADDR, STORM_ADDR, CRD_WRITER_ADDR, REDIS_URL, REDIS_KEY_PREFIX]).toEqual([
      'dns:///dedup:50051',
      'dns:///ratelimit:50053',
      'dns:///storm:50052',
      'dns:///crd-writer:50054',
      'redis://redis:6379',
      'ag:',
    ]);
    const token = join(dir, 'token');
    writeFileSync(token, 'deploy-test-token-0123456789');
    fixture = await PipelineFixture.start('deploy', {
      env,
      serviceEnv: {
        // What the Deployments add: the mounted token Secret; in-cluster access becomes a kubeconfig.
        'ingest-gateway': { INGEST_TOKEN_FILE: token },
        'crd-writer': { KUBECONFIG: testKube().kubeconfig },
      },
    });
  });
  afterAll(async () => {
    await fixture?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gRPC liveness and readiness answer SERVING, the gateway is ready, an alert becomes a resource', async () => {
    const { services } = fixture.system!;
    for (const name of ['dedup', 'ratelimit', 'storm', 'crd-writer'] as const) {
      const health = new HealthClient(`127.0.0.1:${services[name].port}`);
      expect(await health.check(2_000, 'liveness')).toBe('SERVING');
      expect(await health.check(2_000)).toBe('SERVING');
      health.close();
    }
    expect((await fetch(`${fixture.gatewayUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${fixture.gatewayUrl}/readyz`)).status).toBe(200);
    const response = await fixture.postAlerts(amWebhook([amAlert({ alertname: 'Deployed', namespace: 'alertgate', pod: 'd' })]), {
      authorization: 'Bearer deploy-test-token-0123456789',
    });
    expect(response.status).toBe(200);
    expect((await listRemediationRequests('alertgate')).some((rr) => rr.spec.alertname === 'Deployed')).toBe(true);
  });
});
