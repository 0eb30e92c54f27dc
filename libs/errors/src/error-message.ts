/** The message of anything thrown: an Error's message, else its string form (a rejected non-Error). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
