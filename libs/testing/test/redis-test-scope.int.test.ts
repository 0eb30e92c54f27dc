import { RedisTestScope } from '../src/test-redis.js';

describe('RedisTestScope (the leak check the whole suite relies on)', () => {
  it('fails on a key without TTL and still cleans up', async () => {
    const scope = new RedisTestScope('audit');
    await scope.redis.set(`${scope.prefix}forever`, '1');
    await scope.redis.set(`${scope.prefix}bounded`, '1', 'PX', 60_000);
    const redis = scope.redis.duplicate();
    await expect(scope.verifyAndClean()).rejects.toThrow(`keys without TTL under ${scope.prefix}: ${scope.prefix}forever`);
    expect(await redis.exists(`${scope.prefix}forever`, `${scope.prefix}bounded`)).toBe(0);
    redis.disconnect();
  });
});
