import { loadConfig } from './config.js';

describe('crd-writer configuration', () => {
  it('writes files by default and to Kubernetes whenever a kubeconfig is configured', () => {
    expect(loadConfig({}).sink).toEqual({ kind: 'file', directory: 'var/remediationrequests' });
    expect(loadConfig({ KUBECONFIG: '/etc/kube/config' }).sink).toEqual({ kind: 'kubernetes', access: { kubeconfigPath: '/etc/kube/config' } });
    expect(loadConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }).sink).toEqual({ kind: 'kubernetes', access: { inCluster: true } });
    expect(loadConfig({ KUBECONFIG: '/x', SINK: 'file' }).sink.kind).toBe('file');
    expect(() => loadConfig({ SINK: 'kubernetes' })).toThrow(/^SINK: /);
    expect(() => loadConfig({ SINK: 'sqlite' })).toThrow(/^SINK: must be one of/);
  });
});
