import { stormKeyOf } from './storm-key.js';

const fields = (alertname: string, labels: Record<string, string> = {}) => ({ namespace: 'shop', alertname, labels });

describe('stormKeyOf', () => {
  it('joins the key labels\' values with "/", as before for values without "/" or "%"', () => {
    expect(stormKeyOf(['namespace', 'alertname'], fields('KubePodCrashLooping'))).toBe('shop/KubePodCrashLooping');
    expect(stormKeyOf(['namespace', 'alertname', 'service'], fields('Down', { service: 'web' }))).toBe('shop/Down/web');
    expect(stormKeyOf(['namespace', 'alertname', 'service'], fields('Down'))).toBe('shop/Down/');
  });

  it('never makes one key of two different sets of values', () => {
    const keys = ['namespace', 'alertname', 'service'];
    const a = stormKeyOf(keys, fields('Down', { service: 'a/b' }));
    const b = stormKeyOf(keys, fields('Down/a', { service: 'b' }));
    expect(a).toBe('shop/Down/a%2Fb');
    expect(b).toBe('shop/Down%2Fa/b');
    expect(a).not.toBe(b);
    // "%" is escaped too, so an escaped-looking value stays distinct from the escape.
    expect(stormKeyOf(keys, fields('Down', { service: 'a%2Fb' }))).toBe('shop/Down/a%252Fb');
  });
});
