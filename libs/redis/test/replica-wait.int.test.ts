import { AlertgateError, Code } from '@alertgate/errors';
import { RedisServer } from '@alertgate/local-env';
import { metricsRegistry } from '@alertgate/metrics';
import { Redis } from 'ioredis';

import { RedisScript } from '../src/redis-script.js';

const INCR = new RedisScript('incr', "return redis.call('INCR', KEYS[1])");
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes of the test script that no replica acknowledged in time, by how they were answered. */
async function unreplicated(answer: 'refused' | 'acknowledged'): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('alertgate_redis_unreplicated_writes_total')?.get();
  return metric?.values.find((value) => value.labels['script'] === 'incr' && value.labels['answer'] === answer)?.value ?? 0;
}

async function linkUp(replica: Redis): Promise<void> {
  while (!/master_link_status:up/.test(await replica.info('replication'))) await sleep(20);
}

/** A script with a ReplicaWait is answered once a replica has its write, and refused retryably when none has it in time. */
describe('RedisScript with a ReplicaWait, on a real master and replica', () => {
  let master: RedisServer;
  let replicaServer: RedisServer;
  let client: Redis;
  let replica: Redis;
  beforeAll(async () => {
    master = await new RedisServer().start();
    replicaServer = await new RedisServer({ replicaOf: master.port }).start();
    client = new Redis({ port: master.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    replica = new Redis({ port: replicaServer.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    await linkUp(replica);
  });
  afterAll(async () => {
    client?.disconnect();
    replica?.disconnect();
    await replicaServer?.dispose();
    await master?.dispose();
  });

  it('answers once the replica holds the write, on a server that did not know the script yet', async () => {
    await client.script('FLUSH');
    expect(await INCR.run(client, ['wait:a'], [], { replicas: 1, timeoutMs: 5_000, policy: 'required' })).toBe(1);
    // No waiting here: the answer itself means the replica has it.
    expect(await replica.get('wait:a')).toBe('1');
    expect(await INCR.run(client, ['wait:a'], [], { replicas: 1, timeoutMs: 5_000, policy: 'required' })).toBe(2);
    expect(await replica.get('wait:a')).toBe('2');
  });

  it('under the required policy, refuses with a retryable error naming the variables when no replica acknowledges in time', async () => {
    const refusedBefore = await unreplicated('refused');
    replicaServer.signal('SIGSTOP');
    try {
      const failure = await INCR.run(client, ['wait:b'], [], { replicas: 1, timeoutMs: 50, policy: 'required' }).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(AlertgateError);
      expect((failure as AlertgateError).code).toBe(Code.Unavailable);
      expect((failure as AlertgateError).retryable).toBe(true);
      expect((failure as AlertgateError).message).toMatch(
        /0 of the 1 replica\(s\) REDIS_WAIT_REPLICAS asks for acknowledged it within 50 ms \(REDIS_WAIT_POLICY=required\)/,
      );
      // The master has the write: a retry counts it again, never less.
      expect(await client.get('wait:b')).toBe('1');
      expect(await unreplicated('refused')).toBe(refusedBefore + 1);
    } finally {
      replicaServer.signal('SIGCONT');
    }
  });

  it('under the connected policy, refuses while a replica is connected that lacks the write, and answers once the master has none', async () => {
    const connected = { replicas: 1, timeoutMs: 50, policy: 'connected' } as const;
    const refusedBefore = await unreplicated('refused');
    replicaServer.signal('SIGSTOP');
    try {
      const failure = await INCR.run(client, ['wait:e'], [], connected).catch((err: unknown) => err);
      expect((failure as AlertgateError).code).toBe(Code.Unavailable);
      expect((failure as AlertgateError).message).toMatch(/\(REDIS_WAIT_POLICY=connected\)/);
    } finally {
      replicaServer.signal('SIGCONT');
    }
    expect(await unreplicated('refused')).toBe(refusedBefore + 1);

    // The replica leaves (as after a failover, until the old master is back): nothing to promote.
    const acknowledgedBefore = await unreplicated('acknowledged');
    await replica.replicaof('NO', 'ONE');
    while ((((await client.call('ROLE')) as unknown[])[2] as unknown[]).length > 0) await sleep(20);
    try {
      expect(await INCR.run(client, ['wait:e'], [], connected)).toBe(2);
      expect(await unreplicated('acknowledged')).toBe(acknowledgedBefore + 1);
    } finally {
      await replica.replicaof('127.0.0.1', master.port);
      await linkUp(replica);
    }
    expect(await INCR.run(client, ['wait:e'], [], { ...connected, timeoutMs: 5_000 })).toBe(3);
    expect(await replica.get('wait:e')).toBe('3');
  });

  it('under the best-effort policy, answers after the timeout and counts the write as unreplicated', async () => {
    const before = await unreplicated('acknowledged');
    replicaServer.signal('SIGSTOP');
    try {
      expect(await INCR.run(client, ['wait:d'], [], { replicas: 1, timeoutMs: 50, policy: 'best-effort' })).toBe(1);
    } finally {
      replicaServer.signal('SIGCONT');
    }
    expect(await unreplicated('acknowledged')).toBe(before + 1);
    await linkUp(replica);
    expect(await INCR.run(client, ['wait:d'], [], { replicas: 1, timeoutMs: 5_000, policy: 'best-effort' })).toBe(2);
    expect(await unreplicated('acknowledged')).toBe(before + 1);
  });

  it("passes a failed script's own error through, without waiting", async () => {
    const failing = new RedisScript('fail', "return redis.error_reply('NOTLOCAL no')");
    await expect(failing.run(client, ['wait:c'], [], { replicas: 1, timeoutMs: 5_000, policy: 'required' })).rejects.toThrow(/^NOTLOCAL no/);
  });
});
