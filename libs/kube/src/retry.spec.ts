import { AlertgateError, Code } from '@alertgate/errors';

import { mapKubernetesError } from './kube-client.js';
import { withRetry } from './retry.js';

const apiError = (code: number): Error => Object.assign(new Error(`HTTP-Code: ${code}`), { code });
const policy = { attempts: 4, baseMs: 1, capMs: 4 };

describe('Kubernetes API retries (unit)', () => {
  it.each([
    [429, Code.Unavailable],
    [500, Code.Unavailable],
    [503, Code.Unavailable],
    [409, Code.Aborted],
    [404, Code.NotFound],
    [403, Code.PermissionDenied],
    [401, Code.Unauthenticated],
    [422, Code.InvalidArgument],
    [400, Code.InvalidArgument],
  ])('maps HTTP %i to %s', (status, code) => {
    expect(mapKubernetesError(apiError(status), 'x').code).toBe(code);
  });

  it('tells AlreadyExists from a conflict by the Status reason the API server sends with 409', () => {
    const exists = Object.assign(apiError(409), { body: JSON.stringify({ kind: 'Status', reason: 'AlreadyExists' }) });
    const conflict = Object.assign(apiError(409), { body: { kind: 'Status', reason: 'Conflict' } });
    expect(mapKubernetesError(exists, 'x').code).toBe(Code.AlreadyExists);
    expect(mapKubernetesError(conflict, 'x').code).toBe(Code.Aborted);
  });

  it('does not send a conflicting write again (it would carry the same stale object), nor an AlreadyExists create', async () => {
    for (const code of [Code.Aborted, Code.AlreadyExists]) {
      let calls = 0;
      await expect(
        withRetry(policy, () => {
          calls += 1;
          return Promise.reject(new AlertgateError(code, 'x'));
        }),
      ).rejects.toMatchObject({ code });
      expect(calls).toBe(1);
    }
  });

  it('treats a connection error as unavailable', () => {
    expect(mapKubernetesError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'x').code).toBe(Code.Unavailable);
  });

  it('retries retryable failures with backoff until they succeed or the attempts run out', async () => {
    let calls = 0;
    const value = await withRetry(policy, () => {
      calls += 1;
      return calls < 3 ? Promise.reject(new AlertgateError(Code.Unavailable, 'busy')) : Promise.resolve('ok');
    });
    expect(value).toBe('ok');
    expect(calls).toBe(3);

    calls = 0;
    await expect(
      withRetry(policy, () => {
        calls += 1;
        return Promise.reject(new AlertgateError(Code.Unavailable, 'down'));
      }),
    ).rejects.toMatchObject({ code: Code.Unavailable });
    expect(calls).toBe(4);
  });

  it('fails fast on a permanent error (4xx other than 409 and 429)', async () => {
    let calls = 0;
    await expect(
      withRetry(policy, () => {
        calls += 1;
        return Promise.reject(mapKubernetesError(apiError(422), 'create'));
      }),
    ).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(calls).toBe(1);
  });
});
