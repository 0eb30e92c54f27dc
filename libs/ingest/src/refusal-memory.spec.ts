import { RefusalMemory } from './refusal-memory.js';

describe('RefusalMemory', () => {
  const quota = { admitted: false, limit: 10, remaining: 0, policy: '"source";q=10;w=1', resetAfter: { seconds: 2, nanos: 0 } };

  it('remembers a refused source until its retry-after has passed, and counts down', () => {
    let now = 1_000;
    const memory = new RefusalMemory(() => now);
    memory.remember('a:192.0.2.1', quota, 250);
    expect(memory.get('a:192.0.2.1')).toEqual({ quota, retryAfterMs: 250 });
    now += 200;
    expect(memory.get('a:192.0.2.1')?.retryAfterMs).toBe(50);
    // The reset time (for the RateLimit header) counts down too: 2 s - 0.2 s.
    expect(memory.get('a:192.0.2.1')?.quota.resetAfter).toEqual({ seconds: 1, nanos: 800_000_000 });
    expect(memory.get('a:192.0.2.2')).toBeUndefined();
    now += 50;
    expect(memory.get('a:192.0.2.1')).toBeUndefined();
  });

  it("counts the retry-after from the refused request's arrival, not from when the answer came back", () => {
    let now = 1_000;
    const memory = new RefusalMemory(() => now);
    // Refused by the shared limit for 250 ms; the call answered 180 ms after the request arrived.
    now += 180;
    memory.remember('a:192.0.2.1', quota, 250, 1_000);
    expect(memory.get('a:192.0.2.1')?.retryAfterMs).toBe(70);
    now += 70;
    expect(memory.get('a:192.0.2.1')).toBeUndefined();
  });

  it('stays bounded: beyond its capacity the oldest refusal is dropped', () => {
    const memory = new RefusalMemory(() => 0);
    for (let i = 0; i <= 10_000; i++) memory.remember(`a:${i}`, quota, 60_000);
    expect(memory.get('a:0')).toBeUndefined();
    expect(memory.get('a:1')).toBeDefined();
    expect(memory.get('a:10000')).toBeDefined();
  });
});
