import { AlertgateError, Code } from '@alertgate/errors';

import type { RemediationRequest, RemediationRequestStatus } from './remediation-request.js';
import type { StatusTarget } from './status-coalescer.js';
import { StatusWriter, type StatusApi } from './status-writer.js';

const target: StatusTarget = { namespace: 'shop', name: 'rr-1' };

/** One resource on a fake API server: resourceVersion preconditions, merge patches, deletion. */
class OneResource implements StatusApi {
  object: RemediationRequest | undefined = {
    metadata: { namespace: 'shop', name: 'rr-1', resourceVersion: '1', labels: {} },
    status: { occurrences: 1, resolvedAt: '2026-01-01T00:00:00.000Z' },
  } as unknown as RemediationRequest;
  readonly calls: string[] = [];

  get(): Promise<RemediationRequest> {
    this.calls.push('get');
    return this.object ? Promise.resolve(structuredClone(this.object)) : Promise.reject(new AlertgateError(Code.NotFound, 'gone'));
  }

  patchStatus(_target: StatusTarget, resourceVersion: string | undefined, patch: Record<string, unknown>): Promise<RemediationRequest> {
    this.calls.push('patch');
    const current = this.object;
    if (!current) return Promise.reject(new AlertgateError(Code.NotFound, 'gone'));
    if (resourceVersion !== current.metadata.resourceVersion) return Promise.reject(new AlertgateError(Code.Aborted, 'conflict'));
    const status = Object.fromEntries(Object.entries({ ...current.status, ...patch }).filter(([, value]) => value !== null)) as RemediationRequestStatus;
    this.bump(status);
    return Promise.resolve(structuredClone(this.object as RemediationRequest));
  }

  /** Someone else's write: the resourceVersion moves on. */
  bump(status: RemediationRequestStatus): void {
    const current = this.object as RemediationRequest;
    this.object = { ...current, metadata: { ...current.metadata, resourceVersion: String(Number(current.metadata.resourceVersion) + 1) }, status };
  }
}

describe('StatusWriter', () => {
  it('writes from its own last write without a read, and reads again only after a conflict', async () => {
    const api = new OneResource();
    const writer = new StatusWriter({ api, cached: () => undefined });
    expect(await writer.write(target, { occurrences: 2 })).toBe(true);
    expect(await writer.write(target, { occurrences: 3 })).toBe(true);
    expect(api.calls).toEqual(['get', 'patch', 'patch']);
    api.bump({ ...api.object?.status, phase: 'Processing' });
    expect(await writer.write(target, { occurrences: 4 })).toBe(true);
    expect(api.calls).toEqual(['get', 'patch', 'patch', 'patch', 'get', 'patch']);
    expect(api.object?.status).toMatchObject({ occurrences: 4, phase: 'Processing' });
  });

  it('removes a field the decided status no longer has, writes nothing when nothing is decided, and takes a deleted resource as nothing to record', async () => {
    const api = new OneResource();
    const writer = new StatusWriter({ api, cached: () => undefined });
    expect(await writer.writeOf(target, ({ status }) => ({ occurrences: status?.occurrences ?? 0 }))).toBe(true);
    expect(api.object?.status).toEqual({ occurrences: 1 });
    expect(await writer.writeOf(target, () => undefined)).toBe(false);
    api.object = undefined;
    expect(await new StatusWriter({ api, cached: () => undefined }).write(target, { occurrences: 9 })).toBe(false);
  });

  it('gives up on a resource that keeps changing, with the conflict', async () => {
    const api = new OneResource();
    const writer = new StatusWriter({ api, cached: () => undefined });
    const decide = (fresh: RemediationRequest): RemediationRequestStatus => {
      api.bump({ ...fresh.status });
      return { occurrences: 5 };
    };
    await expect(writer.writeOf(target, decide)).rejects.toMatchObject({ code: Code.Aborted });
    expect(api.calls.filter((call) => call === 'patch')).toHaveLength(5);
  });
});
