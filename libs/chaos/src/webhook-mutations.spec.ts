import { mutatedRequest, Prng } from './webhook-mutations.js';

describe('webhook mutations', () => {
  it('sends the same bodies for the same seed, and other bodies for another', () => {
    const run = (seed: number): string[] => {
      const prng = new Prng(seed);
      return Array.from({ length: 50 }, (_v, n) => mutatedRequest(n, 'fuzz', prng)).map((request) => `${request.mutation}:${request.body.toString('base64')}`);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('draws every mutation', () => {
    const prng = new Prng(1);
    const seen = new Set<string>();
    for (let n = 0; n < 500; n++) {
      const request = mutatedRequest(n, 'fuzz', prng);
      seen.add(request.mutation);
    }
    expect([...seen].sort()).toEqual(
      [
        'content encoding',
        'deep body',
        'deep nesting',
        'delete a field',
        'duplicate keys',
        'garbage',
        'hostile string',
        'invalid UTF-8',
        'not a webhook',
        'null bytes',
        'truncated',
        'wrong content type',
        'wrong type',
      ].sort(),
    );
  });
});
