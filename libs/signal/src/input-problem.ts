/** One thing wrong with a request body, located by RFC 6901 JSON pointer. */
export interface InputProblem {
  readonly pointer: string;
  readonly detail: string;
}

/** Thrown by the parsers; the gateway renders it as problem+json (status 400 or 413). */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(
    message: string,
    readonly problems: readonly InputProblem[],
    /** true when a size limit (not the content) was broken: HTTP 413. */
    readonly tooLarge = false,
  ) {
    super(message);
  }
}
