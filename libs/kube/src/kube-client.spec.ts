import type { Agent, AgentOptions } from 'node:https';

import type * as K8s from '@kubernetes/client-node';

import { RETIRED_AGENT_GRACE_MS, reuseConnections } from './kube-client.js';

describe('reuseConnections', () => {
  const fakeConfig = (): { made: AgentOptions[]; destroyed: number[]; config: { createAgent: (cluster: unknown, options: AgentOptions) => Agent } } => {
    const made: AgentOptions[] = [];
    const destroyed: number[] = [];
    const config = {
      createAgent: (_cluster: unknown, options: AgentOptions): Agent => {
        made.push(options);
        const id = made.length;
        return { id, destroy: () => destroyed.push(id) } as unknown as Agent;
      },
    };
    reuseConnections(config as unknown as K8s.KubeConfig);
    return { made, destroyed, config };
  };

  // client-node 1.x calls createAgent for every request; the one agent must come back each time.
  it('answers every request with one keep-alive agent per TLS identity', () => {
    const { made, config } = fakeConfig();
    const first = config.createAgent({}, { ca: 'CA', cert: Buffer.from('cert-1'), key: 'key' });
    const again = config.createAgent({}, { ca: 'CA', cert: Buffer.from('cert-1'), key: 'key' });
    const rotated = config.createAgent({}, { ca: 'CA', cert: Buffer.from('cert-2'), key: 'key' });
    expect(again).toBe(first);
    expect(rotated).not.toBe(first);
    expect(made).toHaveLength(2);
    expect(made.every((options) => options.keepAlive === true)).toBe(true);
  });

  // A long-running crd-writer sees its client certificate rotate many times: each old agent and
  // its sockets must go, after the requests in flight on it had time to finish.
  it('closes the agent of a rotated certificate after the grace period, and only that one', () => {
    jest.useFakeTimers();
    try {
      const { destroyed, config } = fakeConfig();
      config.createAgent({}, { ca: 'CA', cert: 'cert-1' });
      const second = config.createAgent({}, { ca: 'CA', cert: 'cert-2' });
      jest.advanceTimersByTime(RETIRED_AGENT_GRACE_MS - 1);
      expect(destroyed).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(destroyed).toEqual([1]);
      expect(config.createAgent({}, { ca: 'CA', cert: 'cert-2' })).toBe(second);
      config.createAgent({}, { ca: 'CA', cert: 'cert-3' });
      jest.advanceTimersByTime(RETIRED_AGENT_GRACE_MS);
      expect(destroyed).toEqual([1, 2]);
    } finally {
      jest.useRealTimers();
    }
  });

  // client-node 2.x builds an undici Agent (a dispatcher) for every API call and watch instead.
  it('reuses client-node 2.x dispatchers the same way, and passes "no dispatcher" through', async () => {
    jest.useFakeTimers();
    try {
      const made: AgentOptions[] = [];
      const closed: number[] = [];
      const config = {
        createDispatcher: (_cluster: unknown, options: AgentOptions): { id: number; destroy: () => Promise<void> } | undefined => {
          if (options.ca === undefined) return undefined;
          made.push(options);
          const id = made.length;
          return { id, destroy: () => Promise.resolve(void closed.push(id)) };
        },
      };
      reuseConnections(config as unknown as K8s.KubeConfig);
      const first = config.createDispatcher({}, { ca: 'CA', cert: 'cert-1' });
      expect(config.createDispatcher({}, { ca: 'CA', cert: 'cert-1' })).toBe(first);
      expect(made).toHaveLength(1);
      config.createDispatcher({}, { ca: 'CA', cert: 'cert-2' });
      expect(made).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(RETIRED_AGENT_GRACE_MS);
      expect(closed).toEqual([1]);
      expect(config.createDispatcher({}, {})).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });
});
