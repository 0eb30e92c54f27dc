import { ConfigError, EnvReader } from './env-reader.js';

describe('EnvReader', () => {
  const reader = new EnvReader({ N: '12', BAD: '1x', D: '5m', Z: '0', SIZE: '4MiB', B: 'yes', L: ' a, b ,,c ', E: 'x' });

  it('reads typed values with defaults', () => {
    expect(reader.int('N', 1)).toBe(12);
    expect(reader.int('MISSING', 7)).toBe(7);
    expect(reader.durationMs('D', 0)).toBe(300_000);
    // Zero needs no unit ("0 = off" in docs/operations.md), and still honours the bounds.
    expect(reader.durationMs('Z', 30_000, { min: 0 })).toBe(0);
    expect(() => reader.durationMs('Z', 30_000, { min: 1 })).toThrow(/^Z: /);
    expect(reader.bytes('SIZE', 0)).toBe(4 * 1024 * 1024);
    expect(reader.bool('B', false)).toBe(true);
    expect(reader.list('L', [])).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['BAD', () => reader.int('BAD', 1)],
    ['N', () => reader.int('N', 1, { max: 10 })],
    ['E', () => reader.oneOf('E', ['a', 'b'], 'a')],
    ['E', () => reader.durationMs('E', 1)],
    ['E', () => reader.bool('E', true)],
    ['MISSING', () => reader.required('MISSING')],
  ])('names the variable %s when its value is bad', (variable, read) => {
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(new RegExp(`^${variable}: `));
  });
});

describe('EnvReader.grpcTarget', () => {
  const read = (value: string) => new EnvReader({ DEDUP_ADDR: value }).grpcTarget('DEDUP_ADDR', '127.0.0.1:50051');
  it('takes host:port, dns:///host:port and a fixed ipv4 list', () => {
    for (const target of [
      'dedup:50051',
      'dedup.alertgate.svc.cluster.local:50051',
      'dns:///dedup:50051',
      'dns://10.0.0.10/dedup:50051',
      'ipv4:127.0.0.1:1,127.0.0.1:2,127.0.0.1:3',
      '[::1]:50051',
    ]) {
      expect(read(target)).toBe(target);
    }
    expect(new EnvReader({}).grpcTarget('DEDUP_ADDR', '127.0.0.1:50051')).toBe('127.0.0.1:50051');
  });
  it('refuses anything else with the variable named', () => {
    for (const target of ['dedup', 'http://dedup:50051', 'ipv4:dedup:1', 'ipv4:127.0.0.1:1,', 'dedup:port']) {
      expect(() => read(target)).toThrow(/DEDUP_ADDR/);
    }
  });
});
