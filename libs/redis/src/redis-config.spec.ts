import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ConfigError, EnvReader } from '@alertgate/config';

import { parseRedisNodes, readRedisConfig } from './redis-config.js';

const read = (env: Record<string, string>) => readRedisConfig(new EnvReader(env));

describe('readRedisConfig: the replica wait', () => {
  it('waits for no replica on one Redis, and for one on Sentinel and Cluster', () => {
    expect(read({}).replicaWait).toEqual({ replicas: 0, timeoutMs: 100, policy: 'connected' });
    expect(read({ REDIS_SENTINELS: '10.0.0.1:26379' }).replicaWait).toEqual({ replicas: 1, timeoutMs: 100, policy: 'connected' });
    expect(read({ REDIS_CLUSTER_NODES: '10.0.0.1:6379' }).replicaWait).toEqual({ replicas: 1, timeoutMs: 100, policy: 'connected' });
    expect(read({ REDIS_CLUSTER_NODES: '10.0.0.1:6379', REDIS_WAIT_POLICY: 'best-effort' }).replicaWait.policy).toBe('best-effort');
  });

  it('takes REDIS_WAIT_REPLICAS, REDIS_WAIT_TIMEOUT and REDIS_WAIT_POLICY, the default timeout within the command timeout', () => {
    expect(read({ REDIS_CLUSTER_NODES: '10.0.0.1:6379', REDIS_WAIT_REPLICAS: '0' }).replicaWait.replicas).toBe(0);
    expect(read({ REDIS_WAIT_REPLICAS: '2', REDIS_WAIT_TIMEOUT: '40ms', REDIS_WAIT_POLICY: 'required' }).replicaWait).toEqual({
      replicas: 2,
      timeoutMs: 40,
      policy: 'required',
    });
    expect(read({ REDIS_SENTINELS: '10.0.0.1:26379', REDIS_COMMAND_TIMEOUT: '100ms' }).replicaWait.timeoutMs).toBe(50);
  });

  it('refuses a wait that outlasts the command timeout, and an unknown policy, naming the variable', () => {
    expect(() => read({ REDIS_SENTINELS: '10.0.0.1:26379', REDIS_WAIT_TIMEOUT: '2s' })).toThrow(ConfigError);
    expect(() => read({ REDIS_SENTINELS: '10.0.0.1:26379', REDIS_WAIT_TIMEOUT: '2s' })).toThrow(/REDIS_WAIT_TIMEOUT/);
    expect(() => read({ REDIS_WAIT_REPLICAS: '-1' })).toThrow(/REDIS_WAIT_REPLICAS/);
    expect(() => read({ REDIS_WAIT_POLICY: 'sometimes' })).toThrow(/REDIS_WAIT_POLICY: must be connected, required or best-effort/);
  });
});

describe('parseRedisNodes', () => {
  it('reads host:port,… and names the variable of a bad entry', () => {
    expect(parseRedisNodes('REDIS_CLUSTER_NODES', '10.0.0.1:7000, redis-1.redis:7001,')).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-1.redis', port: 7001 },
    ]);
    expect(() => parseRedisNodes('REDIS_CLUSTER_NODES', '10.0.0.1')).toThrow(/REDIS_CLUSTER_NODES: entries must be host:port, got "10.0.0.1"/);
  });
});

describe('readRedisConfig: credentials and TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-redis-config-'));
  const file = (name: string, content: string): string => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };

  it('logs in as an ACL user with a password from a file, and refuses a user without a password', () => {
    expect(read({}).credentials).toBeUndefined();
    expect(read({ REDIS_USERNAME: 'alertgate-dedup', REDIS_PASSWORD_FILE: file('password', 's3cret\n') }).credentials).toEqual({
      username: 'alertgate-dedup',
      password: 's3cret',
    });
    expect(read({ REDIS_PASSWORD: 'p' }).credentials).toEqual({ password: 'p' });
    expect(() => read({ REDIS_USERNAME: 'u' })).toThrow(/REDIS_USERNAME: needs REDIS_PASSWORD_FILE or REDIS_PASSWORD/);
    expect(() => read({ REDIS_PASSWORD: 'p', REDIS_PASSWORD_FILE: file('p2', 'q') })).toThrow(/REDIS_PASSWORD_FILE: set either/);
    expect(() => read({ REDIS_PASSWORD_FILE: join(dir, 'missing') })).toThrow(/REDIS_PASSWORD_FILE: cannot read/);
  });

  it('gives the sentinels their own login and TLS setting', () => {
    const sentinel = (env: Record<string, string>) => read({ REDIS_SENTINELS: '10.0.0.1:26379', ...env }).topology;
    expect(sentinel({ REDIS_USERNAME: 'u', REDIS_PASSWORD: 'p' })).toEqual({
      mode: 'sentinel',
      sentinels: [{ host: '10.0.0.1', port: 26379 }],
      masterName: 'mymaster',
      sentinelTls: false,
    });
    expect(sentinel({ REDIS_SENTINEL_USERNAME: 'watcher', REDIS_SENTINEL_PASSWORD: 'w', REDIS_TLS: 'on' })).toMatchObject({
      sentinelCredentials: { username: 'watcher', password: 'w' },
      sentinelTls: true,
    });
    expect(sentinel({ REDIS_TLS: 'on', REDIS_SENTINEL_TLS: 'off' })).toMatchObject({ sentinelTls: false });
    expect(() => sentinel({ REDIS_SENTINEL_USERNAME: 'watcher' })).toThrow(
      /REDIS_SENTINEL_USERNAME: needs REDIS_SENTINEL_PASSWORD_FILE or REDIS_SENTINEL_PASSWORD/,
    );
  });

  it('turns TLS on for rediss:// or REDIS_TLS=on, with the CA and a client certificate from files', () => {
    expect(read({}).tls).toBeUndefined();
    expect(read({ REDIS_URL: 'rediss://redis:6380' }).tls).toEqual({});
    const ca = file('ca.crt', 'CA');
    expect(
      read({
        REDIS_CLUSTER_NODES: 'a:7000',
        REDIS_TLS: 'on',
        REDIS_TLS_CA_FILE: ca,
        REDIS_TLS_CERT_FILE: file('tls.crt', 'C'),
        REDIS_TLS_KEY_FILE: file('tls.key', 'K'),
      }).tls,
    ).toEqual({
      ca: Buffer.from('CA'),
      cert: Buffer.from('C'),
      key: Buffer.from('K'),
    });
    expect(() => read({ REDIS_TLS_CA_FILE: ca })).toThrow(/REDIS_TLS: is off, but REDIS_TLS_\* files are set/);
    expect(() => read({ REDIS_TLS: 'on', REDIS_TLS_CERT_FILE: ca })).toThrow(/REDIS_TLS_KEY_FILE: REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE go together/);
  });
});
