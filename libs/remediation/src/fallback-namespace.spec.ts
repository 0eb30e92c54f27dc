import { AlertgateError, Code } from '@alertgate/errors';
import { createLogger } from '@alertgate/logging';

import { FallbackNamespace } from './fallback-namespace.js';
import type { RemediationRequest } from './remediation-request.js';

const logger = createLogger({ service: 'fallback-test', level: 'silent' });

/** The API server's answer to a create in a namespace that does not exist, as mapped at the boundary. */
const namespaceNotFound = (): AlertgateError =>
  new AlertgateError(Code.NotFound, 'create: not found', { cause: { body: { kind: 'Status', reason: 'NotFound', details: { kind: 'namespaces' } } } });

describe('FallbackNamespace', () => {
  it('sends the resources of a namespace found missing to the fallback, and never the fallback elsewhere', () => {
    const fallback = new FallbackNamespace({ namespace: 'alertgate', logger, dryRunCreate: () => Promise.resolve() });
    expect(fallback.target('shop')).toBe('shop');
    expect(fallback.missing('shop')).toBe('alertgate');
    expect(fallback.target('shop')).toBe('alertgate');
    expect(fallback.target('data')).toBe('data');
    expect(fallback.target('alertgate')).toBe('alertgate');
    expect(fallback.candidates('shop')).toEqual(['shop', 'alertgate']);
    expect(fallback.candidates('alertgate')).toEqual(['alertgate']);
  });

  it('answers a retryable error, naming what to create, when the fallback itself is missing', () => {
    const fallback = new FallbackNamespace({ namespace: 'alertgate', logger, dryRunCreate: () => Promise.resolve() });
    let thrown: unknown;
    try {
      fallback.missing('alertgate');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AlertgateError);
    expect((thrown as AlertgateError).code).toBe(Code.Unavailable);
    expect((thrown as AlertgateError).retryable).toBe(true);
    expect((thrown as AlertgateError).message).toMatch(/fallback namespace alertgate does not exist/);
  });

  it('checks that the fallback exists by a dry-run create in it, at most every 30 s, and takes a missing one as a finding, not a failure', async () => {
    const probes: RemediationRequest[] = [];
    let answer: () => Promise<unknown> = () => Promise.reject(namespaceNotFound());
    const fallback = new FallbackNamespace({
      namespace: 'alertgate',
      logger,
      dryRunCreate: (object) => {
        probes.push(object);
        return answer();
      },
    });
    await expect(fallback.check()).resolves.toBeUndefined();
    expect(probes[0]?.metadata.namespace).toBe('alertgate');
    await fallback.check();
    expect(probes).toHaveLength(1);
    answer = () => Promise.reject(new AlertgateError(Code.Unavailable, 'API server down'));
    const later = new FallbackNamespace({ namespace: 'alertgate', logger, dryRunCreate: () => answer() });
    await expect(later.check()).rejects.toMatchObject({ code: Code.Unavailable });
  });
});
