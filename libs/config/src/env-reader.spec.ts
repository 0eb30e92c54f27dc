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
