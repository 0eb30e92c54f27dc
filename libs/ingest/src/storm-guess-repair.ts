import { Outcome, type Decision, type Verdict } from '@alertgate/proto';

/**
 * Where dedup, asked at the same time as storm with the gateway's guess of which signals are in a
 * storm (StormKeys), decided differently from what storm's verdict means; each list holds signal
 * indexes.
 */
export interface StormGuessRepair {
  /**
   * A storm began since the guess: dedup opened these incidents, storm folds them. They are
   * forgotten again, and the signal is folded into the aggregate instead.
   */
  readonly stormBegan: readonly number[];
  /**
   * A storm ended since the guess: dedup folded these signals, storm does not. They are decided
   * again with fold-if-new off, and may open incidents.
   */
  readonly stormEnded: readonly number[];
}

/**
 * The signals dedup must be asked about again, given what it was told (`guesses`: fold if new)
 * and what storm answered. Only new incidents fold, so a repeat of an open incident needs no
 * repair whatever storm says; where the guess was right, nothing does.
 */
export function stormGuessRepair(guesses: readonly boolean[], verdicts: readonly Verdict[], decisions: readonly Decision[]): StormGuessRepair {
  const stormBegan: number[] = [];
  const stormEnded: number[] = [];
  verdicts.forEach((verdict, i) => {
    const outcome = decisions[i]?.outcome;
    if (verdict.folded && !guesses[i] && outcome === Outcome.OUTCOME_NEW) stormBegan.push(i);
    if (!verdict.folded && guesses[i] && outcome === Outcome.OUTCOME_FOLDED) stormEnded.push(i);
  });
  return { stormBegan, stormEnded };
}

/**
 * The decisions with every signal that storm folds and whose incident was forgotten (one a
 * storm's beginning opened, above, or a repeat of it later in the same batch) marked folded.
 */
export function foldForgotten(decisions: readonly Decision[], verdicts: readonly Verdict[], forgotten: ReadonlySet<string>): Decision[] {
  return decisions.map((decision, i) => {
    const id = decision.incident?.id;
    return verdicts[i]?.folded && id !== undefined && forgotten.has(id) ? { fingerprint: decision.fingerprint, outcome: Outcome.OUTCOME_FOLDED } : decision;
  });
}
