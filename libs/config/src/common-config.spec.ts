import { ConfigError, EnvReader } from './env-reader.js';
import { readGrpcTls } from './common-config.js';

const read = (env: Record<string, string>) => readGrpcTls(new EnvReader(env));

describe('readGrpcTls', () => {
  it('is off without GRPC_TLS_DIR, and mutual with any client of the CA by default when set', () => {
    expect(read({})).toEqual({ enabled: false });
    expect(read({ GRPC_TLS_DIR: '/etc/alertgate/tls' })).toEqual({
      enabled: true,
      dir: '/etc/alertgate/tls',
      clientAuth: 'require',
      allowedClients: [],
      reloadIntervalMs: 10_000,
      probePort: undefined,
    });
  });

  it('takes the allow-list, the reload interval and the probe port', () => {
    expect(
      read({
        GRPC_TLS_DIR: '/t',
        GRPC_TLS_ALLOWED_CLIENTS: 'ingest-gateway.alertgate.svc, spiffe://cluster/ns/alertgate/sa/gateway',
        GRPC_TLS_RELOAD_INTERVAL: '2s',
        GRPC_PROBE_PORT: '8086',
      }),
    ).toMatchObject({
      allowedClients: ['ingest-gateway.alertgate.svc', 'spiffe://cluster/ns/alertgate/sa/gateway'],
      reloadIntervalMs: 2_000,
      probePort: 8086,
    });
  });

  it('refuses an allow-list without client certificates, and a bad client auth, naming the variable', () => {
    expect(() => read({ GRPC_TLS_DIR: '/t', GRPC_TLS_CLIENT_AUTH: 'none', GRPC_TLS_ALLOWED_CLIENTS: 'x' })).toThrow(ConfigError);
    expect(() => read({ GRPC_TLS_DIR: '/t', GRPC_TLS_CLIENT_AUTH: 'none', GRPC_TLS_ALLOWED_CLIENTS: 'x' })).toThrow(/GRPC_TLS_ALLOWED_CLIENTS/);
    expect(() => read({ GRPC_TLS_DIR: '/t', GRPC_TLS_CLIENT_AUTH: 'maybe' })).toThrow(/GRPC_TLS_CLIENT_AUTH/);
  });
});
