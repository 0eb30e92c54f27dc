/** What is awaited, for the timeout's message; a function says what was seen last. */
type What = string | (() => string);

/** Polls `probe` until it returns a value (errors count as "not yet"), or fails after the timeout. */
export async function eventually<T>(what: What, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Polls `check` until it holds (errors count as "not yet"), or fails after the timeout. */
export async function eventuallyHolds(what: What, check: () => boolean | Promise<boolean>, timeoutMs = 20_000, intervalMs = 150): Promise<void> {
  await eventually(what, async () => ((await check()) ? true : undefined), timeoutMs, intervalMs);
}
