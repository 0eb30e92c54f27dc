import { fingerprintOf } from '@alertgate/signal';
import { testSignal } from '@alertgate/testing';

import { asWorkloadIncidents, type OwnerLookup } from './workload-incidents.js';

const podAlert = (pod: string, namespace = 'shop') =>
  testSignal({ alertname: 'KubePodCrashLooping', namespace, target: { kind: 'pod', name: pod }, labels: { namespace, pod } });

/** Pods web-* belong to Deployment web; others have no owner; lookups are counted. */
function lookup(): { ownerOf: OwnerLookup; asked: string[] } {
  const asked: string[] = [];
  const ownerOf: OwnerLookup = (object) => {
    asked.push(`${object.namespace}/${object.name}`);
    if (object.name === 'broken') return Promise.reject(new Error('API down'));
    return Promise.resolve(object.name.startsWith('web-') ? { kind: 'Deployment', name: 'web' } : { kind: object.kind, name: object.name });
  };
  return { ownerOf, asked };
}

describe('asWorkloadIncidents', () => {
  it('makes the pods of one workload one incident, naming each pod, with one lookup per distinct pod', async () => {
    const { ownerOf, asked } = lookup();
    const out = await asWorkloadIncidents([podAlert('web-1'), podAlert('web-2'), podAlert('web-1')], ownerOf, 'namespace');
    expect(asked).toEqual(['shop/web-1', 'shop/web-2']);
    expect(new Set(out.map((signal) => signal.fingerprint))).toEqual(
      new Set([fingerprintOf('KubePodCrashLooping', 'shop', { kind: 'deployment', name: 'web' }, '')]),
    );
    expect(out.map((signal) => [signal.target, signal.pod])).toEqual([
      [{ kind: 'deployment', name: 'web' }, 'web-1'],
      [{ kind: 'deployment', name: 'web' }, 'web-2'],
      [{ kind: 'deployment', name: 'web' }, 'web-1'],
    ]);
    expect(out[0]?.labels).toMatchObject({ pod: 'web-1', deployment: 'web' });
  });

  it('keeps the pod as the target when it has no owner or the lookup fails, and leaves other alerts alone', async () => {
    const { ownerOf, asked } = lookup();
    const node = testSignal({ target: { kind: 'node', name: 'n1' }, labels: { node: 'n1' } });
    const noNamespace = testSignal({ target: { kind: 'pod', name: 'web-3' }, labels: { pod: 'web-3' } });
    const alone = podAlert('standalone');
    const broken = podAlert('broken');
    const out = await asWorkloadIncidents([node, noNamespace, alone, broken], ownerOf, 'namespace');
    expect(out).toEqual([node, noNamespace, alone, broken]);
    expect(asked).toEqual(['shop/standalone', 'shop/broken']);
  });

  it('keeps namespaces apart: the same workload name in two namespaces is two incidents', async () => {
    const { ownerOf } = lookup();
    const [a, b] = await asWorkloadIncidents([podAlert('web-1', 'shop'), podAlert('web-1', 'cart')], ownerOf, 'namespace');
    expect(a?.fingerprint).not.toBe(b?.fingerprint);
  });
});
