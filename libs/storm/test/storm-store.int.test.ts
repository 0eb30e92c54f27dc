import { hash } from 'node:crypto';

import { KeySchema } from '@alertgate/redis';
import { podSignal, RedisTestScope } from '@alertgate/testing';

import { createLogger } from '@alertgate/logging';
import { openChannel, GrpcSecurity, GrpcServerHost, serviceClient } from '@alertgate/grpc-kit';
import { StormServiceService, type Signal } from '@alertgate/proto';

import { STORM_DEFAULTS } from '../src/storm-config.js';
import { createStormService } from '../src/storm-service.js';
import { StormStore } from '../src/storm-store.js';

const signal = (namespace: string, pod: string): Signal => ({
  ...podSignal(namespace, 'PodCrashLooping', pod),
  labels: { alertname: 'PodCrashLooping', namespace, pod },
});

describe('StormStore on real Redis', () => {
  let scope: RedisTestScope;
  beforeEach(() => {
    scope = new RedisTestScope('storm');
  });
  afterEach(() => scope.verifyAndClean());

  // One Redis round trip per service and webhook, even when the webhook's keys have
  // different overrides (each key brings its own settings into the one script call).
  it('evaluates keys with different overrides in one script call', async () => {
    const store = new StormStore(scope.redis, new KeySchema(scope.prefix), {
      keyLabels: ['namespace', 'alertname'],
      defaults: STORM_DEFAULTS,
      overrides: new Map([['loud', { rateThreshold: 3 }]]),
    });
    const evalsha = jest.spyOn(scope.redis, 'evalsha');
    const queries = [0, 1, 2, 3, 4].flatMap((i) => [signal('loud', `p${i}`), signal('quiet', `p${i}`)]).map((s) => ({ signal: s, newIncident: true }));
    const verdicts = await store.evaluate(queries);
    expect(evalsha).toHaveBeenCalledTimes(1);
    const loud = verdicts.filter((_v, i) => i % 2 === 0);
    const quiet = verdicts.filter((_v, i) => i % 2 === 1);
    // The third alert of "loud" reaches its threshold of 3: it and the later ones fold.
    expect(loud.map((v) => v.folded)).toEqual([false, false, true, true, true]);
    expect(loud[2]?.storm?.declaredNow).toBe(true);
    expect(loud[4]?.storm?.members).toBe(5);
    // "quiet" keeps the default threshold (50).
    expect(quiet.every((v) => !v.folded && v.storm === undefined)).toBe(true);
  });

  // The gateway sends only the labels storm's keys need once storm has said which; a request
  // that left out a label the key needs is not evaluated (nothing counted) but answered
  // labels_required, and evaluated when the labels come.
  it('answers its key labels, and evaluates nothing when a trimmed request lacks one', async () => {
    const store = new StormStore(scope.redis, new KeySchema(scope.prefix), {
      keyLabels: ['namespace', 'alertname', 'pod'],
      defaults: STORM_DEFAULTS,
      overrides: new Map(),
    });
    const host = new GrpcServerHost({
      host: '127.0.0.1',
      port: 0,
      logger: createLogger({ service: 'storm-test', level: 'silent' }),
      shutdownGraceMs: 100,
      maxConnectionAgeMs: 300_000,
      security: GrpcSecurity.plaintext(),
    });
    host.add(createStormService(store, createLogger({ service: 'storm-test', level: 'silent' })));
    const port = await host.start();
    const channel = openChannel(`127.0.0.1:${port}`, GrpcSecurity.plaintext());
    const evaluate = serviceClient(StormServiceService, channel, { name: 'storm', deadlineMs: 2_000 }).evaluateBatch;
    const inputs = [{ signal: signal('trim', 'p1'), newIncident: true }];
    const refused = await evaluate({ inputs, labelsTrimmed: true, onlyLabels: ['container'] });
    expect(refused).toMatchObject({ labelsRequired: true, verdicts: [], keyLabels: ['namespace', 'alertname', 'pod'] });
    expect(await scope.keys()).toEqual([]);
    const evaluated = await evaluate({ inputs, labelsTrimmed: true, onlyLabels: ['pod'] });
    expect(evaluated).toMatchObject({ labelsRequired: false, keyLabels: ['namespace', 'alertname', 'pod'] });
    expect(evaluated.verdicts).toHaveLength(1);
    channel.close();
    await host.shutdown();
  });

  // Members are packed 5 bytes each (3 of the resource's hash, 2 of its last-seen second) and
  // found by a plain byte search: a match that straddles two records is not the member.
  it('finds a member only on a record boundary of the packed list', async () => {
    const store = new StormStore(scope.redis, new KeySchema(scope.prefix), {
      keyLabels: ['namespace', 'alertname'],
      defaults: { ...STORM_DEFAULTS, rateThreshold: 1000 },
      overrides: new Map(),
    });
    const pod = signal('packed', 'p1');
    const member = hash('sha256', 'pod/p1', 'buffer').subarray(0, 3);
    const redisKey = store.redisKey(pod);
    // One record "xy" + the member's first byte, seen = its last two bytes: the member's bytes
    // sit at offset 2, inside that record.
    await scope.redis.hset(redisKey, 'M', Buffer.concat([Buffer.from('xy'), member]));
    await scope.redis.pexpire(redisKey, 60_000);
    const [first] = await store.evaluate([{ signal: pod, newIncident: true }]);
    expect(first?.storm).toBeUndefined();
    const packed = await scope.redis.hgetBuffer(redisKey, 'M');
    // Not taken for the straddled bytes: appended as a second record.
    expect(packed?.length).toBe(10);
    expect(packed?.subarray(0, 5)).toEqual(Buffer.concat([Buffer.from('xy'), member]));
    expect(packed?.subarray(5, 8)).toEqual(member);
    // Found on its boundary the next time: updated in place, not appended again.
    await store.evaluate([{ signal: pod, newIncident: false }]);
    expect((await scope.redis.hgetBuffer(redisKey, 'M'))?.length).toBe(10);
  });
});
