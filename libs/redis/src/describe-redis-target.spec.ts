import { describeRedisTarget } from './redis-config.js';

describe('describeRedisTarget (what a connection error names)', () => {
  it('names the URL without its password, and the variable for each topology', () => {
    expect(describeRedisTarget({ mode: 'standalone', url: 'redis://127.0.0.1:6379' })).toEqual({ redis: 'redis://127.0.0.1:6379', variable: 'REDIS_URL' });
    expect(describeRedisTarget({ mode: 'standalone', url: 'rediss://gateway:s3cret@redis.example:6380/0' })).toEqual({
      redis: 'rediss://***@redis.example:6380/0',
      variable: 'REDIS_URL',
    });
    expect(
      describeRedisTarget({
        mode: 'sentinel',
        sentinels: [
          { host: 'a', port: 26379 },
          { host: 'b', port: 26379 },
        ],
        masterName: 'mymaster',
        sentinelTls: false,
      }),
    ).toEqual({
      redis: 'sentinels a:26379,b:26379, master mymaster',
      variable: 'REDIS_SENTINELS',
    });
    expect(describeRedisTarget({ mode: 'cluster', nodes: [{ host: 'c', port: 7000 }] })).toEqual({ redis: 'cluster c:7000', variable: 'REDIS_CLUSTER_NODES' });
  });
});
