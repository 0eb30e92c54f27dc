import { testSignal } from '@alertgate/testing';

import { unmanagedReason, type ManagedScope } from './ignored-signals.js';

const namespaces = { selector: 'managed=true', has: (namespace: string) => namespace === 'shop' };
const workloads = {
  selector: 'managed=true',
  has: (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}` === 'deployment/cart/api',
};
const about = (namespace: string, kind: string, name: string) => testSignal({ namespace, target: { kind, name } });

describe('the opt-in (unmanagedReason)', () => {
  it('by namespace only: a managed namespace passes, any other is named in the reason', () => {
    const reason = unmanagedReason({ namespaces });
    expect(reason(about('shop', 'pod', 'a'))).toBeUndefined();
    expect(reason(about('cart', 'deployment', 'api'))).toBe('namespace cart is not managed: it does not match managed=true');
  });

  it('by namespace and workload: either admits; the reason names both', () => {
    const reason = unmanagedReason({ namespaces, workloads });
    expect(reason(about('shop', 'pod', 'a'))).toBeUndefined();
    expect(reason(about('cart', 'deployment', 'api'))).toBeUndefined();
    expect(reason(about('cart', 'deployment', 'batch'))).toBe(
      'not managed: namespace cart does not match managed=true; deployment batch does not match managed=true',
    );
    expect(reason(about('cart', '', ''))).toBe('not managed: namespace cart does not match managed=true; it names no workload matching managed=true');
  });

  it('by workload only: no namespace is managed as such', () => {
    const scope: ManagedScope = { workloads };
    const reason = unmanagedReason(scope);
    expect(reason(about('cart', 'deployment', 'api'))).toBeUndefined();
    expect(reason(about('shop', 'pod', 'a'))).toBe('not managed: pod a does not match managed=true');
  });
});
