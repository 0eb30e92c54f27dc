import { Outcome, type Decision, type Verdict } from '@alertgate/proto';

/** A signal as dedup and storm, asked at the same time, saw it. */
export interface GuessedSignal {
  /** What dedup was told: fold if new (the gateway's guess from storm's earlier answers, StormKeys). */
  readonly guess: boolean;
  /** Storm's verdict; none without a storm service. */
  readonly verdict: Verdict | undefined;
  readonly decision: Decision;
}

/**
 * Where dedup, asked at the same time as storm with the gateway's guess of which signals are in a
 * storm, decided differently from what storm's verdict means.
 */
export interface StormGuessRepair<T extends GuessedSignal> {
  /**
   * A storm began since the guess: dedup opened these incidents, storm folds them. They are
   * forgotten again, and the signal is folded into the aggregate instead.
   */
  readonly stormBegan: readonly T[];
  /**
   * A storm ended since the guess: dedup folded these signals, storm does not. They are decided
   * again with fold-if-new off, and may open incidents.
   */
  readonly stormEnded: readonly T[];
}

/**
 * The signals dedup must be asked about again. Only new incidents fold, so a repeat of an open
 * incident needs no repair whatever storm says; where the guess was right, nothing does.
 */
export function stormGuessRepair<T extends GuessedSignal>(signals: readonly T[]): StormGuessRepair<T> {
  const stormBegan: T[] = [];
  const stormEnded: T[] = [];
  for (const signal of signals) {
    if (!signal.verdict) continue;
    const outcome = signal.decision.outcome;
    if (signal.verdict.folded && !signal.guess && outcome === Outcome.OUTCOME_NEW) stormBegan.push(signal);
    if (!signal.verdict.folded && signal.guess && outcome === Outcome.OUTCOME_FOLDED) stormEnded.push(signal);
  }
  return { stormBegan, stormEnded };
}

/**
 * A signal's decision once the incidents a storm's beginning opened are forgotten (`forgotten`
 * holds their ids): folded when storm folds it and its incident is one of them (the one a
 * storm's beginning opened, or a repeat of it later in the same batch), else as dedup decided.
 */
export function afterForgetting(signal: GuessedSignal, forgotten: ReadonlySet<string>): Decision {
  const { decision } = signal;
  const id = decision.incident?.id;
  return signal.verdict?.folded && id !== undefined && forgotten.has(id) ? { fingerprint: decision.fingerprint, outcome: Outcome.OUTCOME_FOLDED } : decision;
}
