import { Outcome, type Decision, type Verdict } from '@alertgate/proto';

import { afterForgetting, stormGuessRepair, type GuessedSignal } from './storm-guess-repair.js';

const verdict = (folded: boolean): Verdict => ({ fingerprint: 'f'.repeat(64), folded, storm: undefined });
const decision = (outcome: Outcome, id = 'abcdef012345-1'): Decision => ({
  fingerprint: 'f'.repeat(64),
  outcome,
  ...(outcome === Outcome.OUTCOME_FOLDED ? {} : { incident: { id, firstSeen: undefined, lastSeen: undefined, occurrences: 1, pods: 0 } }),
});
const guessed = (guess: boolean, folded: boolean, outcome: Outcome, id?: string): GuessedSignal => ({
  guess,
  verdict: verdict(folded),
  decision: decision(outcome, id),
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
    const signal = guessed(guess, folded, outcome);
    const { stormBegan, stormEnded } = stormGuessRepair([signal]);
    expect({ stormBegan, stormEnded }).toEqual({ stormBegan: repair === 'stormBegan' ? [signal] : [], stormEnded: repair === 'stormEnded' ? [signal] : [] });
  });

  it('names the signals of a mixed batch that need a repair, in order', () => {
    const rows = [cases[2], cases[0], cases[3], cases[1], cases[0]].map((row) => row!);
    const signals = rows.map((row) => guessed(row.guess, row.folded, row.outcome));
    const repair = stormGuessRepair(signals);
    expect(repair).toEqual({ stormBegan: [signals[1], signals[4]], stormEnded: [signals[3]] });
  });

  it('repairs nothing without a storm service (no verdicts)', () => {
    const signal: GuessedSignal = { guess: false, verdict: undefined, decision: decision(Outcome.OUTCOME_NEW) };
    expect(stormGuessRepair([signal])).toEqual({ stormBegan: [], stormEnded: [] });
  });
});

describe('afterForgetting', () => {
  it('folds what storm folds of a forgotten incident, its repeats in the batch included, and nothing else', () => {
    const signals = [
      guessed(false, true, Outcome.OUTCOME_NEW, 'aaaaaaaaaaaa-1'),
      guessed(false, true, Outcome.OUTCOME_DUPLICATE, 'aaaaaaaaaaaa-1'),
      guessed(false, true, Outcome.OUTCOME_NEW, 'bbbbbbbbbbbb-1'),
      guessed(false, false, Outcome.OUTCOME_NEW, 'aaaaaaaaaaaa-1'),
    ];
    const outcomes = signals.map((signal) => afterForgetting(signal, new Set(['aaaaaaaaaaaa-1'])).outcome);
    expect(outcomes).toEqual([Outcome.OUTCOME_FOLDED, Outcome.OUTCOME_FOLDED, Outcome.OUTCOME_NEW, Outcome.OUTCOME_NEW]);
  });
});
