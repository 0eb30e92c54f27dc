import { notOlder, OwnWrites } from './own-writes.js';
import type { RemediationRequest } from './remediation-request.js';

const version = (resourceVersion: string, phase = 'Pending', name = 'rr-1'): RemediationRequest =>
  ({ metadata: { namespace: 'shop', name, resourceVersion }, spec: {}, status: { phase } }) as unknown as RemediationRequest;

const inShop = (object: RemediationRequest): boolean => object.metadata.namespace === 'shop';

describe('OwnWrites', () => {
  it('keeps the newest version whatever order the responses are handled in', () => {
    const own = new OwnWrites(10);
    own.remember(version('12', 'Completed'), undefined);
    own.remember(version('11', 'Pending'), undefined);
    expect(own.newest('shop/rr-1', undefined)?.metadata.resourceVersion).toBe('12');
  });

  it('does not keep a write older than what the watch delivered, and prefers the newer of the two', () => {
    const own = new OwnWrites(10);
    own.remember(version('11'), version('12', 'Completed'));
    expect(own.matching(inShop)).toEqual([]);
    own.remember(version('13'), version('12', 'Completed'));
    expect(own.newest('shop/rr-1', version('12', 'Completed'))?.metadata.resourceVersion).toBe('13');
    expect(own.newest('shop/rr-1', version('14', 'Completed'))?.status?.phase).toBe('Completed');
  });

  it('lets a write go once the watch delivered it or a later version', () => {
    const own = new OwnWrites(10);
    own.remember(version('13'), undefined);
    own.caughtUp(version('12'));
    expect(own.matching(inShop)).toHaveLength(1);
    own.caughtUp(version('13'));
    expect(own.matching(inShop)).toEqual([]);
  });

  it('holds at most its capacity, dropping the oldest first', () => {
    const own = new OwnWrites(2);
    for (const name of ['a', 'b', 'c']) own.remember(version('1', 'Pending', name), undefined);
    expect(own.matching(inShop).map((object) => object.metadata.name)).toEqual(['b', 'c']);
  });

  it('overlays a list with the own versions: newer ones replace, missing ones are added, older ones give way', () => {
    const own = new OwnWrites(10);
    own.remember(version('13', 'Pending', 'a'), undefined);
    own.remember(version('5', 'Pending', 'b'), undefined);
    own.remember(version('7', 'Pending', 'c'), undefined);
    const listed = [version('12', 'Completed', 'a'), version('9', 'Completed', 'b')];
    const seen = own.overlay(listed, (object) => object.metadata.name !== 'c');
    expect(seen.map((object) => `${object.metadata.name}@${object.metadata.resourceVersion}`).sort()).toEqual(['a@13', 'b@9']);
    expect(
      own
        .overlay([], inShop)
        .map((object) => object.metadata.name)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });

  it('compares resourceVersions as numbers, and one that is not a number counts as newer', () => {
    expect(notOlder('100', '99')).toBe(true);
    expect(notOlder('99', '100')).toBe(false);
    expect(notOlder('x', '100')).toBe(true);
  });
});
