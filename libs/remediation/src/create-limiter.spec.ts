import { AlertgateError } from '@alertgate/errors';

import { CreateLimiter, isNotStarted } from './create-limiter.js';

const notStarted = (err: unknown): boolean => err instanceof AlertgateError && isNotStarted(err);

describe('CreateLimiter', () => {
  it('admits a burst at once, then refuses at once what its rate cannot start before the deadline', async () => {
    let now = 1_000_000;
    const limiter = new CreateLimiter({ qps: 10, burst: 5, concurrency: 100 }, () => now);
    const releases = await Promise.all(Array.from({ length: 5 }, () => limiter.acquire(now + 1_000)));
    releases.forEach((release) => release());
    // The sixth token comes 100 ms later: it fits a deadline of 1 s, and is waited for.
    const sixth = limiter.acquire(now + 1_000);
    now += 100;
    (await sixth)();
    // Tokens now run 100 ms apart: ten more need a second, so a deadline 500 ms away refuses
    // some of them at once, with when to try again.
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => limiter.acquire(now + 500)));
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((outcome) => outcome.status === 'rejected' && notStarted(outcome.reason))).toBe(true);
    const first = refused[0];
    expect(first?.status === 'rejected' && (first.reason as AlertgateError).details['retryAfterMs']).toBeGreaterThan(0);
  });

  it('never has more creates in flight than its concurrency, and hands each freed place to one waiter', async () => {
    const limiter = new CreateLimiter({ qps: 1_000_000, burst: 1_000_000, concurrency: 2 });
    let inFlight = 0;
    let most = 0;
    const create = async (): Promise<void> => {
      const release = await limiter.acquire(undefined);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      release();
    };
    await Promise.all(Array.from({ length: 20 }, create));
    expect(most).toBe(2);
    expect(limiter.state).toMatchObject({ running: 0, queued: 0 });
  });

  it('refuses at once when the creates queued ahead cannot finish before the deadline', async () => {
    let now = 0;
    const limiter = new CreateLimiter({ qps: 1_000_000, burst: 1_000_000, concurrency: 1 }, () => now);
    // One create that took 200 ms: the limiter's mean moves from its first estimate (50 ms)
    // towards it (80 ms), the time it expects per create queued ahead.
    const release = await limiter.acquire(undefined);
    now += 200;
    release();
    const running = await limiter.acquire(undefined);
    const queued = limiter.acquire(undefined);
    await expect(limiter.acquire(now + 200)).rejects.toMatchObject({ details: { notStarted: 1 } });
    // Without the two ahead of it the same deadline is met.
    running();
    (await queued)();
    (await limiter.acquire(now + 200))();
  });

  it('admits without a deadline whatever the queue', async () => {
    const limiter = new CreateLimiter({ qps: 1_000_000, burst: 1, concurrency: 1 });
    const first = await limiter.acquire(undefined);
    const second = limiter.acquire(undefined);
    first();
    (await second)();
    expect(limiter.state).toMatchObject({ running: 0, queued: 0 });
  });

  it('decides again when a waiting create gets its place: one that can no longer finish in time is not started, its place handed on', async () => {
    let now = 0;
    const limiter = new CreateLimiter({ qps: 1_000_000, burst: 1_000_000, concurrency: 1 }, () => now);
    const running = await limiter.acquire(undefined);
    // Predicted in time (one 50 ms create ahead of it), then the create ahead takes 2 s.
    const waiting = limiter.acquire(now + 500);
    const after = limiter.acquire(undefined);
    now += 2_000;
    running();
    await expect(waiting).rejects.toMatchObject({ details: { notStarted: 1 } });
    (await after)();
    expect(limiter.state).toMatchObject({ running: 0, queued: 0 });
  });

  it('after a slow spell, lets one create through when none is in flight, so that the mean comes down again', async () => {
    let now = 1_000_000;
    const limiter = new CreateLimiter({ qps: 1_000, burst: 1_000, concurrency: 4 }, () => now);
    // Creates that took 30 s each (an API server hung, then continued): the mean is 30 s.
    for (let i = 0; i < 40; i++) {
      const release = await limiter.acquire(undefined);
      now += 30_000;
      release();
    }
    expect(limiter.state.meanMs).toBeGreaterThan(20_000);
    // Beside a create in flight, one with a 10 s deadline is refused at once by that mean...
    const running = await limiter.acquire(undefined);
    await expect(limiter.acquire(now + 10_000)).rejects.toMatchObject({ details: { notStarted: 1 } });
    now += 50;
    running();
    // ...but alone it runs, and quick creates bring the mean down until others fit again.
    let admitted = 0;
    for (let i = 0; i < 30; i++) {
      const release = await limiter.acquire(now + 10_000);
      admitted += 1;
      now += 50;
      release();
    }
    expect(admitted).toBe(30);
    expect(limiter.state.meanMs).toBeLessThan(1_000);
    const first = await limiter.acquire(now + 10_000);
    const second = await limiter.acquire(now + 10_000);
    first();
    second();
  });
});
