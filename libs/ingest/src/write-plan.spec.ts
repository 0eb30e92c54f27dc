import { Action, StormType, type IncidentUpdate } from '@alertgate/proto';
import { testSignal } from '@alertgate/testing';

import { planWrites } from './write-plan.js';

const update = (fingerprint: string, kind: 'new' | 'repeat' | 'resolve' | 'fold'): IncidentUpdate => ({
  action: kind === 'resolve' ? Action.ACTION_RESOLVE : kind === 'fold' ? Action.ACTION_FOLD : Action.ACTION_OPEN,
  signal: testSignal({ fingerprint }),
  signalTrimmed: kind === 'repeat',
  incidentId: `i-${fingerprint}`,
  occurrences: 1,
  pods: 0,
  sender: '',
  ...(kind === 'fold'
    ? {
        storm: {
          key: 'k',
          keyFingerprint: 'f',
          keyLabels: [],
          type: StormType.STORM_TYPE_RATE,
          memberCount: 1,
          occurrences: 1,
          resolved: 0,
          overflow: 0,
          aggregateCreated: false,
          aggregate: { namespace: 'n', name: 'storm-1' },
        },
      }
    : {}),
});

/** The updates of a run, brought by the webhooks `webhooks` (one per update), numbered. */
const run = (updates: readonly IncidentUpdate[], webhooks: readonly number[]) => updates.map((update, k) => ({ k, update, webhook: webhooks[k] ?? 0 }));
/** A plan with its updates given as their numbers. */
const planOf = (updates: readonly IncidentUpdate[], webhooks: readonly number[]) => {
  const plan = planWrites(run(updates, webhooks));
  return { shared: plan.shared.map((u) => u.k), own: new Map([...plan.own].map(([owner, list]) => [owner, list.map((u) => u.k)])), waits: plan.waits };
};

describe('planWrites', () => {
  it('puts repeats and resolutions in the shared call and creates in the call of the webhook that brings them', () => {
    const updates = [update('a', 'repeat'), update('b', 'new'), update('c', 'resolve'), update('d', 'repeat'), update('e', 'fold')];
    const plan = planOf(updates, [0, 0, 1, 1, 2]);
    expect(plan.shared).toEqual([0, 2, 3]);
    expect([...plan.own]).toEqual([
      [0, [1]],
      [2, [4]],
    ]);
    expect([...plan.waits]).toEqual([
      [0, new Set([0])],
      [2, new Set([2])],
    ]);
  });

  it('keeps the updates of an incident one webhook creates in its call, in order, and makes the others that bring it wait for it', () => {
    const updates = [update('x', 'repeat'), update('x', 'new'), update('x', 'resolve'), update('y', 'repeat')];
    const plan = planOf(updates, [0, 1, 2, 2]);
    // The first webhook that brings x owns its call, though its own update is a repeat.
    expect([...plan.own]).toEqual([[0, [0, 1, 2]]]);
    expect(plan.shared).toEqual([3]);
    expect([...plan.waits]).toEqual([
      [0, new Set([0])],
      [1, new Set([0])],
      [2, new Set([0])],
    ]);
  });

  it('gives a storm aggregate one call for all its folds, whoever brings them', () => {
    const plan = planOf([update('p', 'fold'), update('q', 'fold')], [0, 1]);
    expect([...plan.own]).toEqual([[0, [0, 1]]]);
    expect(plan.shared).toEqual([]);
  });
});
