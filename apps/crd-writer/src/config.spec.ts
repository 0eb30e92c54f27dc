import { loadConfig } from './config.js';

describe('crd-writer configuration', () => {
  it('writes files by default and to Kubernetes whenever a kubeconfig is configured', () => {
    expect(loadConfig({}).sink).toEqual({ kind: 'file', directory: 'var/remediationrequests' });
    expect(loadConfig({ KUBECONFIG: '/etc/kube/config' }).sink).toEqual({
      kind: 'kubernetes',
      access: { kubeconfigPath: '/etc/kube/config' },
      creates: { qps: 100, burst: 200, concurrency: 16 },
      statusWritesInFlight: 2,
    });
    expect(loadConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }).sink).toMatchObject({ kind: 'kubernetes', access: { inCluster: true } });
    expect(loadConfig({ KUBECONFIG: '/x', SINK: 'file' }).sink.kind).toBe('file');
    expect(() => loadConfig({ SINK: 'kubernetes' })).toThrow(/^SINK: /);
    expect(() => loadConfig({ SINK: 'sqlite' })).toThrow(/^SINK: must be one of/);
  });

  it('takes an installation name that can be a label value, and none by default', () => {
    expect(loadConfig({}).instance).toBeUndefined();
    expect(loadConfig({ INSTANCE: 'prod-eu.1' }).instance).toBe('prod-eu.1');
    expect(() => loadConfig({ INSTANCE: 'prod eu' })).toThrow(/^INSTANCE: "prod eu" is not a valid label value/);
    expect(() => loadConfig({ INSTANCE: `${'a'.repeat(63)}b` })).toThrow(/^INSTANCE: /);
    expect(() => loadConfig({ INSTANCE: '-prod' })).toThrow(/^INSTANCE: /);
  });

  it("reads the creates' rate and concurrency, refusing what cannot work", () => {
    const sink = loadConfig({ KUBECONFIG: '/x', KUBE_CREATE_QPS: '20', KUBE_CREATE_BURST: '30', KUBE_CREATE_CONCURRENCY: '4' }).sink;
    expect(sink).toMatchObject({ creates: { qps: 20, burst: 30, concurrency: 4 } });
    expect(() => loadConfig({ KUBECONFIG: '/x', KUBE_CREATE_QPS: '0' })).toThrow(/^KUBE_CREATE_QPS: /);
    expect(() => loadConfig({ KUBECONFIG: '/x', KUBE_CREATE_CONCURRENCY: 'many' })).toThrow(/^KUBE_CREATE_CONCURRENCY: /);
    expect(loadConfig({ KUBECONFIG: '/x', KUBE_STATUS_WRITE_CONCURRENCY: '6' }).sink).toMatchObject({ statusWritesInFlight: 6 });
    expect(() => loadConfig({ KUBECONFIG: '/x', KUBE_STATUS_WRITE_CONCURRENCY: '0' })).toThrow(/^KUBE_STATUS_WRITE_CONCURRENCY: /);
  });

  it("writes an open incident's repeats once per five flush intervals unless told otherwise", () => {
    expect(loadConfig({})).toMatchObject({ statusFlushMs: 2_000, statusRepeatMs: 10_000 });
    expect(loadConfig({ STATUS_FLUSH_INTERVAL: '200ms' }).statusRepeatMs).toBe(1_000);
    expect(loadConfig({ STATUS_REPEAT_INTERVAL: '0s' }).statusRepeatMs).toBe(0);
    expect(() => loadConfig({ STATUS_REPEAT_INTERVAL: '2h' })).toThrow(/^STATUS_REPEAT_INTERVAL: /);
  });
});
