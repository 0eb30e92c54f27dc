/** The message of anything thrown: an Error's message, else its string form (a rejected non-Error). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** For a command's last words: an Error's stack (its message when it has none), else its string form. */
export function errorStack(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
