import { fromMillis, Status, StormType, type Signal, type Storm } from '@alertgate/proto';
import { testSignal } from '@alertgate/testing';

import { StormKeys } from './storm-keys.js';

const signal = (alertname: string, labels: Record<string, string> = {}, status = Status.STATUS_FIRING): Signal =>
  testSignal({ fingerprint: 'f', alertname, namespace: 'shop', status, labels });
const storm = (key: string, endsAtMs: number, keyLabels = ['namespace', 'alertname']): Storm => ({
  key,
  keyFingerprint: 'k',
  type: StormType.STORM_TYPE_RATE,
  memberCount: 1,
  occurrences: 1,
  aggregateCreated: false,
  resolved: 0,
  overflow: 0,
  keyLabels,
  endsAt: fromMillis(endsAtMs),
});

describe('StormKeys', () => {
  it('knows a key in a storm until its end, by the key labels storm uses, for firing signals only', () => {
    let now = 1_000_000;
    const keys = new StormKeys(() => now);
    expect(keys.inStorm(signal('Crash'))).toBe(false);
    keys.learn(storm('shop/Crash', now + 5_000));
    expect(keys.inStorm(signal('Crash'))).toBe(true);
    expect(keys.inStorm(signal('Other'))).toBe(false);
    expect(keys.inStorm(signal('Crash', {}, Status.STATUS_RESOLVED))).toBe(false);
    now += 5_001;
    expect(keys.inStorm(signal('Crash'))).toBe(false);
    expect(keys.size).toBe(0);
  });

  it('builds keys from STORM_KEY_LABELS as storm reports them', () => {
    const now = 1_000_000;
    const keys = new StormKeys(() => now);
    keys.learn(storm('shop/Crash/api', now + 5_000, ['namespace', 'alertname', 'service']));
    expect(keys.inStorm(signal('Crash', { service: 'api' }))).toBe(true);
    expect(keys.inStorm(signal('Crash', { service: 'web' }))).toBe(false);
  });

  it('stays bounded: ended storms go first, then those that end soonest', () => {
    const now = 1_000_000;
    const keys = new StormKeys(() => now);
    for (let i = 0; i < 10_000; i++) keys.learn(storm(`shop/A${i}`, now + 1_000 + i));
    expect(keys.size).toBe(10_000);
    keys.learn(storm('shop/Newest', now + 60_000));
    expect(keys.size).toBeLessThanOrEqual(10_000);
    expect(keys.inStorm(signal('Newest'))).toBe(true);
    expect(keys.inStorm(signal('A9999'))).toBe(true);
    expect(keys.inStorm(signal('A0'))).toBe(false);
  });
});
