/**
 * Label matchers in Alertmanager's syntax: `name="value"`, `name!="value"`, `name=~"regex"`,
 * `name!~"regex"`, joined by commas into a selector, optionally in braces
 * (`{alertname=~"Watchdog|InfoInhibitor", severity!="critical"}`). A regex matches the whole value,
 * as in Alertmanager; a label an alert lacks has the empty value. A rule list is selectors
 * separated by `;` or new lines: a signal matches the list when it matches every matcher of one
 * of its selectors. Reference: https://prometheus.io/docs/alerting/latest/configuration/#matcher
 */
export type MatchOperator = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly operator: MatchOperator;
  readonly value: string;
  /** The anchored regex of `=~` and `!~`. */
  readonly regex?: RegExp;
}

/** All of its matchers must hold. */
export interface MatcherSelector {
  /** As written in the configuration, for logs and answers. */
  readonly text: string;
  readonly matchers: readonly LabelMatcher[];
}

/** Why a matcher list does not parse: the message names the position and what was expected. */
export class MatcherSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MatcherSyntaxError';
  }
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const OPERATORS: readonly MatchOperator[] = ['=~', '!~', '!=', '='];

/** Splits on a separator outside double quotes (a backslash escapes inside them). */
function splitOutsideQuotes(text: string, separators: ReadonlySet<string>): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if (quoted && char === '\\') {
      current += char + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (!quoted && separators.has(char)) {
      parts.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  if (quoted) throw new MatcherSyntaxError(`unterminated quoted value in '${text}'`);
  parts.push(current);
  return parts;
}

function unquote(raw: string, matcher: string): string {
  if (!raw.startsWith('"')) {
    if (/["\s{},]/.test(raw)) throw new MatcherSyntaxError(`the value of '${matcher}' must be quoted`);
    return raw;
  }
  if (raw.length < 2 || !raw.endsWith('"')) throw new MatcherSyntaxError(`the value of '${matcher}' has no closing quote`);
  try {
    return JSON.parse(raw) as string;
  } catch {
    throw new MatcherSyntaxError(`the value of '${matcher}' is not a valid quoted string`);
  }
}

export function parseLabelMatcher(text: string): LabelMatcher {
  const matcher = text.trim();
  const at = matcher.search(/[=!]/);
  const operator = at < 0 ? undefined : OPERATORS.find((op) => matcher.startsWith(op, at));
  if (at < 0 || operator === undefined)
    throw new MatcherSyntaxError(`'${matcher}' is not a matcher: expected name="value", name!="value", name=~"regex" or name!~"regex"`);
  const name = matcher.slice(0, at).trim();
  if (!LABEL_NAME.test(name)) throw new MatcherSyntaxError(`'${name}' in '${matcher}' is not a label name`);
  const value = unquote(matcher.slice(at + operator.length).trim(), matcher);
  if (operator === '=' || operator === '!=') return { name, operator, value };
  try {
    return { name, operator, value, regex: new RegExp(`^(?:${value})$`, 'u') };
  } catch (err) {
    throw new MatcherSyntaxError(`the regex of '${matcher}' is invalid: ${(err as Error).message}`);
  }
}

export function parseMatcherSelector(text: string): MatcherSelector {
  let body = text.trim();
  if (body.startsWith('{')) {
    if (!body.endsWith('}')) throw new MatcherSyntaxError(`'${text.trim()}' opens a brace it does not close`);
    body = body.slice(1, -1);
  }
  const parts = splitOutsideQuotes(body, new Set([','])).filter((part) => part.trim() !== '');
  if (parts.length === 0) throw new MatcherSyntaxError(`'${text.trim()}' has no matcher`);
  return { text: text.trim(), matchers: parts.map(parseLabelMatcher) };
}

/** A rule list: selectors separated by `;` or new lines; blank entries are skipped. */
export function parseMatcherRules(text: string): MatcherSelector[] {
  return splitOutsideQuotes(text, new Set([';', '\n']))
    .filter((part) => part.trim() !== '')
    .map(parseMatcherSelector);
}

function holds(matcher: LabelMatcher, labels: Readonly<Record<string, string>>): boolean {
  const value = labels[matcher.name] ?? '';
  switch (matcher.operator) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return matcher.regex?.test(value) ?? false;
    case '!~':
      return !(matcher.regex?.test(value) ?? false);
  }
}

/** The first selector whose matchers all hold for these labels, if any. */
export function firstMatchingSelector(selectors: readonly MatcherSelector[], labels: Readonly<Record<string, string>>): MatcherSelector | undefined {
  return selectors.find((selector) => selector.matchers.every((matcher) => holds(matcher, labels)));
}
