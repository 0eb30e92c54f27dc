import type { Agent, AgentOptions } from 'node:https';

import type * as K8s from '@kubernetes/client-node';

import { reuseConnections } from './kube-client.js';

describe('reuseConnections', () => {
  // client-node 1.x calls createAgent for every request; the one agent must come back each time.
  it('answers every request with one keep-alive agent per TLS identity', () => {
    const made: AgentOptions[] = [];
    const config = {
      createAgent: (_cluster: unknown, options: AgentOptions): Agent => {
        made.push(options);
        return { id: made.length } as unknown as Agent;
      },
    };
    reuseConnections(config as unknown as K8s.KubeConfig);
    const first = config.createAgent({}, { ca: 'CA', cert: Buffer.from('cert-1'), key: 'key' });
    const again = config.createAgent({}, { ca: 'CA', cert: Buffer.from('cert-1'), key: 'key' });
    const rotated = config.createAgent({}, { ca: 'CA', cert: Buffer.from('cert-2'), key: 'key' });
    expect(again).toBe(first);
    expect(rotated).not.toBe(first);
    expect(made).toHaveLength(2);
    expect(made.every((options) => options.keepAlive === true)).toBe(true);
  });
});
