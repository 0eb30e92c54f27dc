import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { amAlert, amWebhook, repoRoot, testKube, testNamespace } from '@alertgate/testing';
import { parse, stringify } from 'yaml';

import { PipelineFixture } from './support/pipeline-fixture.js';

const run = promisify(execFile);

const rulesFile = (): { spec: { groups: { rules: { expr: string }[] }[] } } =>
  parse(readFileSync(join(repoRoot(), 'k8s', 'monitoring', 'prometheusrule.yaml'), 'utf8')) as { spec: { groups: { rules: { expr: string }[] }[] } };
const dashboard = (): { panels: { targets: { expr: string }[] }[] } =>
  JSON.parse(readFileSync(join(repoRoot(), 'k8s', 'monitoring', 'dashboards', 'alertgate.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };

/** alertgate metric names an expression uses (histogram series folded to their metric). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(alertgate_[a-z_]+?)(?:_bucket|_count|_sum)?\b/g)].map((match) => match[1] ?? '');
}

describe('metrics, the Redis monitor, the dashboard and the alert rules', () => {
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('obs');
    fixture = await PipelineFixture.start('obs', { serviceEnv: { 'crd-writer': { KUBECONFIG: testKube().kubeconfig } } });
  });
  afterAll(() => fixture?.close());

  it('promtool accepts the alert rules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alertgate-rules-'));
    try {
      const file = join(dir, 'rules.yaml');
      writeFileSync(file, stringify({ groups: rulesFile().spec.groups }));
      const { stdout } = await run('promtool', ['check', 'rules', file]);
      expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every service serves /metrics, and every metric the rules and the dashboard use is exported', async () => {
    const response = await fixture.postAlerts(amWebhook([amAlert({ alertname: 'Observed', namespace: ns, pod: 'o' })]));
    expect(response.status).toBe(200);
    const { services } = fixture.system!;
    const scrape = async (url: string): Promise<string> => {
      const reply = await fetch(url);
      expect(reply.status).toBe(200);
      return reply.text();
    };
    const texts = await Promise.all([
      scrape(`${fixture.gatewayUrl}/metrics`),
      ...(['dedup', 'crd-writer', 'ratelimit', 'storm'] as const).map((name) => scrape(`http://127.0.0.1:${services[name].metricsPort}/metrics`)),
    ]);
    const exported = texts.join('\n');
    expect(exported).toMatch(/alertgate_rpc_server_duration_seconds_count\{method="CheckBatch",code="OK"\} [1-9]/);
    expect(exported).toMatch(/alertgate_redis_script_duration_seconds_count\{script="dedup-batch",result="ok"\} [1-9]/);
    expect(exported).toMatch(/alertgate_kube_requests_total\{operation="create",result="ok"\} 1/);
    expect(exported).toMatch(/alertgate_kube_request_duration_seconds_count\{operation="create",result="ok"\} 1/);
    // One series per Redis server, named by host:port.
    expect(exported).toMatch(/alertgate_redis_maxmemory_policy\{node="127\.0\.0\.1:\d+",policy="noeviction"\} 1/);
    expect(exported).toMatch(/alertgate_redis_eviction_risk\{node="127\.0\.0\.1:\d+"\} 0/);

    const used = new Set([
      ...rulesFile().spec.groups.flatMap((group) => group.rules.flatMap((rule) => metricNames(rule.expr))),
      ...dashboard().panels.flatMap((panel) => panel.targets.flatMap((target) => metricNames(target.expr))),
    ]);
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used].filter((name) => !new RegExp(`^(# TYPE )?${name}(_bucket|_count|_sum)?[ {]`, 'm').test(exported));
    expect(missing).toEqual([]);
  });
});
