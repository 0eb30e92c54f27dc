import { Outcome, type Decision, type Verdict } from '@alertgate/proto';

import { foldForgotten, stormGuessRepair } from './storm-guess-repair.js';

const verdict = (folded: boolean): Verdict => ({ fingerprint: 'f'.repeat(64), folded, storm: undefined });
const decision = (outcome: Outcome, id = 'abcdef012345-1'): Decision => ({
  fingerprint: 'f'.repeat(64),
  outcome,
  ...(outcome === Outcome.OUTCOME_FOLDED ? {} : { incident: { id, firstSeen: undefined, lastSeen: undefined, occurrences: 1, pods: 0 } }),
});

describe('stormGuessRepair', () => {
  // One signal per row: what dedup was told (fold if new), what it decided, what storm said.
  const cases: readonly { name: string; guess: boolean; outcome: Outcome; folded: boolean; repair: 'none' | 'stormBegan' | 'stormEnded' }[] = [
    { name: 'storm began: dedup opened, storm folds', guess: false, outcome: Outcome.OUTCOME_NEW, folded: true, repair: 'stormBegan' },
    { name: 'storm ended: dedup folded, storm does not', guess: true, outcome: Outcome.OUTCOME_FOLDED, folded: false, repair: 'stormEnded' },
    { name: 'guessed in a storm, and it is', guess: true, outcome: Outcome.OUTCOME_FOLDED, folded: true, repair: 'none' },
    { name: 'guessed no storm, and there is none', guess: false, outcome: Outcome.OUTCOME_NEW, folded: false, repair: 'none' },
    { name: 'storm began, but the incident was open already', guess: false, outcome: Outcome.OUTCOME_DUPLICATE, folded: true, repair: 'none' },
    { name: 'guessed in a storm, a repeat of an open incident', guess: true, outcome: Outcome.OUTCOME_DUPLICATE, folded: false, repair: 'none' },
    { name: 'a resolution', guess: false, outcome: Outcome.OUTCOME_RESOLVED, folded: false, repair: 'none' },
  ];
  it.each(cases)('$name → $repair', ({ guess, outcome, folded, repair }) => {
    const { stormBegan, stormEnded } = stormGuessRepair([guess], [verdict(folded)], [decision(outcome)]);
    expect({ stormBegan, stormEnded }).toEqual({ stormBegan: repair === 'stormBegan' ? [0] : [], stormEnded: repair === 'stormEnded' ? [0] : [] });
  });

  it('keeps each signal at its index in a mixed batch', () => {
    const rows = [cases[2], cases[0], cases[3], cases[1], cases[0]].map((row) => row!);
    const repair = stormGuessRepair(
      rows.map((row) => row.guess),
      rows.map((row) => verdict(row.folded)),
      rows.map((row) => decision(row.outcome)),
    );
    expect(repair).toEqual({ stormBegan: [1, 4], stormEnded: [3] });
  });
});

describe('foldForgotten', () => {
  it('folds what storm folds of a forgotten incident, its repeats in the batch included, and nothing else', () => {
    const decisions = [
      decision(Outcome.OUTCOME_NEW, 'aaaaaaaaaaaa-1'),
      decision(Outcome.OUTCOME_DUPLICATE, 'aaaaaaaaaaaa-1'),
      decision(Outcome.OUTCOME_NEW, 'bbbbbbbbbbbb-1'),
      decision(Outcome.OUTCOME_NEW, 'aaaaaaaaaaaa-1'),
    ];
    const verdicts = [verdict(true), verdict(true), verdict(true), verdict(false)];
    const outcomes = foldForgotten(decisions, verdicts, new Set(['aaaaaaaaaaaa-1'])).map((d) => d.outcome);
    expect(outcomes).toEqual([Outcome.OUTCOME_FOLDED, Outcome.OUTCOME_FOLDED, Outcome.OUTCOME_NEW, Outcome.OUTCOME_NEW]);
  });
});
