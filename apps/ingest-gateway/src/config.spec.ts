import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ConfigError } from '@alertgate/config';

import { loadConfig } from './config.js';

describe('gateway configuration', () => {
  it('refuses to start without a token unless authentication is explicitly disabled', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/^INGEST_TOKENS_DIR: no ingest token configured/);
    expect(loadConfig({ INGEST_AUTH: 'disabled' }).auth).toEqual({ mode: 'disabled' });
  });

  it("takes the senders' tokens from a directory, a mapping, one file or the environment, one of them", () => {
    const reload = { reloadIntervalMs: 10_000, graceMs: 3_600_000 };
    expect(loadConfig({ INGEST_TOKENS_DIR: '/var/run/secrets/alertgate/senders' }).auth).toEqual({
      mode: 'token',
      source: { kind: 'directory', path: '/var/run/secrets/alertgate/senders' },
      ...reload,
    });
    expect(loadConfig({ INGEST_TOKENS_FILE: '/etc/alertgate/senders.yaml', INGEST_TOKEN_GRACE: '5m' }).auth).toEqual({
      mode: 'token',
      source: { kind: 'mapping', path: '/etc/alertgate/senders.yaml' },
      ...reload,
      graceMs: 300_000,
    });
    expect(loadConfig({ INGEST_TOKEN_FILE: '/t', INGEST_TOKEN_SENDER: 'alertmanager' }).auth).toMatchObject({
      source: { kind: 'file', path: '/t', sender: 'alertmanager' },
    });
    expect(loadConfig({ INGEST_TOKEN: 'a-very-secret-token-value' }).auth).toMatchObject({
      source: { kind: 'fixed', tokens: { default: 'a-very-secret-token-value' } },
    });
    expect(() => loadConfig({ INGEST_TOKEN_FILE: '/t', INGEST_TOKEN: 'a-very-secret-token-value' })).toThrow(
      /^INGEST_TOKEN: set one of INGEST_TOKEN_FILE, INGEST_TOKEN, not several/,
    );
  });

  it('has documented defaults and names a bad variable', () => {
    const config = loadConfig({ INGEST_AUTH: 'disabled' });
    expect(config).toMatchObject({
      port: 8080,
      bodyLimitBytes: 4 * 1024 * 1024,
      retryAfterSeconds: 5,
      dedupAddress: '127.0.0.1:50051',
      crdWriterAddress: '127.0.0.1:50054',
    });
    expect(config.parse.limits.maxAlerts).toBe(1000);
    expect(() => loadConfig({ INGEST_AUTH: 'disabled', INGEST_BODY_LIMIT: 'lots' })).toThrow(/^INGEST_BODY_LIMIT: /);
    expect(() => loadConfig({ INGEST_AUTH: 'disabled', DEDUP_ADDR: 'nohost' })).toThrow(/^DEDUP_ADDR: /);
    expect(() => loadConfig({ INGEST_AUTH: 'disabled', DEFAULT_NAMESPACE: 'Bad_NS' })).toThrow(/^DEFAULT_NAMESPACE: /);
  });

  it('drops Watchdog, InfoInhibitor and severity "none" by default; DROP_RULES replaces them, "none" drops nothing, a bad matcher stops start-up', () => {
    const base = { INGEST_AUTH: 'disabled' };
    expect(loadConfig(base).dropRules.map((rule) => rule.text)).toEqual(['{alertname=~"Watchdog|InfoInhibitor"}', '{severity="none"}']);
    expect(loadConfig({ ...base, DROP_RULES: 'team="sandbox", severity!="critical"' }).dropRules[0]?.matchers).toHaveLength(2);
    expect(loadConfig({ ...base, DROP_RULES: 'none' }).dropRules).toEqual([]);
    expect(() => loadConfig({ ...base, DROP_RULES: 'alertname=~"("' })).toThrow(/^DROP_RULES: the regex of 'alertname=~"\("' is invalid/);
  });

  it('reads no maintenance windows by default; MAINTENANCE_WINDOWS_FILE is checked at start-up, naming the variable', () => {
    const base = { INGEST_AUTH: 'disabled' };
    expect(loadConfig(base).maintenance).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'alertgate-config-'));
    const good = join(dir, 'windows.yaml');
    writeFileSync(good, 'windows:\n  - { name: w, matchers: \'{namespace="shop"}\', startsAt: "2026-12-05T00:00:00Z", endsAt: "2026-12-05T01:00:00Z" }\n');
    expect(loadConfig({ ...base, MAINTENANCE_WINDOWS_FILE: good })).toMatchObject({ maintenance: { file: good, reloadIntervalMs: 10_000 } });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'windows:\n  - { name: w, matchers: \'{namespace="shop"}\', startsAt: "2026-12-05T00:00:00Z", endsAt: "2026-12-04T00:00:00Z" }\n');
    expect(() => loadConfig({ ...base, MAINTENANCE_WINDOWS_FILE: bad })).toThrow(
      /^MAINTENANCE_WINDOWS_FILE: .*bad\.yaml: windows\[0\]\.endsAt: must be after startsAt/,
    );
    expect(() => loadConfig({ ...base, MAINTENANCE_WINDOWS_FILE: join(dir, 'none.yaml') })).toThrow(/^MAINTENANCE_WINDOWS_FILE: .*cannot read/);
  });

  it('gives every namespace resources by default; MANAGED_NAMESPACE_SELECTOR opts in by label, needs Kubernetes, and is checked', () => {
    const base = { INGEST_AUTH: 'disabled' };
    expect(loadConfig(base).managedNamespaces).toBeUndefined();
    const selector = 'remediation.alertgate.io/managed=true';
    expect(loadConfig({ ...base, KUBECONFIG: '/k', MANAGED_NAMESPACE_SELECTOR: selector }).managedNamespaces).toEqual({
      selector,
      access: { kubeconfigPath: '/k' },
    });
    expect(loadConfig({ ...base, KUBERNETES_SERVICE_HOST: '10.0.0.1', MANAGED_NAMESPACE_SELECTOR: 'team in (a, b),!legacy' }).managedNamespaces).toEqual({
      selector: 'team in (a, b),!legacy',
      access: { inCluster: true },
    });
    expect(() => loadConfig({ ...base, MANAGED_NAMESPACE_SELECTOR: selector })).toThrow(/^MANAGED_NAMESPACE_SELECTOR: is set, but neither KUBECONFIG/);
    expect(() => loadConfig({ ...base, KUBECONFIG: '/k', MANAGED_NAMESPACE_SELECTOR: 'managed=~true' })).toThrow(
      /^MANAGED_NAMESPACE_SELECTOR: 'managed=~true' is not a label selector requirement/,
    );
  });

  it('MANAGED_WORKLOAD_SELECTOR opts workloads in by label the same way: needs Kubernetes, and is checked', () => {
    const base = { INGEST_AUTH: 'disabled' };
    expect(loadConfig(base).managedWorkloads).toBeUndefined();
    expect(loadConfig({ ...base, KUBECONFIG: '/k', MANAGED_WORKLOAD_SELECTOR: 'managed=true' }).managedWorkloads).toEqual({
      selector: 'managed=true',
      access: { kubeconfigPath: '/k' },
    });
    expect(() => loadConfig({ ...base, MANAGED_WORKLOAD_SELECTOR: 'managed=true' })).toThrow(
      /^MANAGED_WORKLOAD_SELECTOR: is set, but neither KUBECONFIG.*workloads/,
    );
    expect(() => loadConfig({ ...base, KUBECONFIG: '/k', MANAGED_WORKLOAD_SELECTOR: 'a b' })).toThrow(
      /^MANAGED_WORKLOAD_SELECTOR: 'a b' is not a label selector/,
    );
  });

  it("makes an alert about a pod its workload's incident when Kubernetes is configured, unless INCIDENT_IDENTITY=pod; keeps the owner index on by default", () => {
    const base = { INGEST_AUTH: 'disabled' };
    expect(loadConfig(base).workloadIncidents).toBeUndefined();
    expect(loadConfig({ ...base, KUBECONFIG: '/k' }).workloadIncidents).toEqual({ kubeconfigPath: '/k' });
    expect(loadConfig({ ...base, KUBECONFIG: '/k', INCIDENT_IDENTITY: 'pod' }).workloadIncidents).toBeUndefined();
    expect(() => loadConfig({ ...base, INCIDENT_IDENTITY: 'deployment' })).toThrow(/^INCIDENT_IDENTITY: /);
    expect(loadConfig(base).ownerIndex).toBe(true);
    expect(loadConfig({ ...base, OWNER_INDEX: 'off' }).ownerIndex).toBe(false);
  });
});
