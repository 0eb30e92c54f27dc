import { firstMatchingSelector, MatcherSyntaxError, parseLabelMatcher, parseMatcherRules } from './label-matchers.js';

describe('label matchers (Alertmanager syntax)', () => {
  it('parses the four operators, quoted and unquoted values, with escapes', () => {
    expect(parseLabelMatcher('alertname="Watchdog"')).toMatchObject({ name: 'alertname', operator: '=', value: 'Watchdog' });
    expect(parseLabelMatcher(' severity != none ')).toMatchObject({ name: 'severity', operator: '!=', value: 'none' });
    expect(parseLabelMatcher('job=~"a|b"').regex?.source).toBe('^(?:a|b)$');
    expect(parseLabelMatcher('msg!~"say \\"hi\\""')).toMatchObject({ operator: '!~', value: 'say "hi"' });
  });

  it('matches a regex against the whole value, and a missing label as the empty value', () => {
    const rules = parseMatcherRules('{alertname=~"Watchdog|InfoInhibitor"}; severity="none"\n{team="", env!~"prod.*"}');
    expect(rules).toHaveLength(3);
    expect(firstMatchingSelector(rules, { alertname: 'Watchdog' })?.text).toBe('{alertname=~"Watchdog|InfoInhibitor"}');
    expect(firstMatchingSelector(rules, { alertname: 'WatchdogX', team: 'a' })).toBeUndefined();
    expect(firstMatchingSelector(rules, { alertname: 'X', severity: 'none', team: 'a' })?.text).toBe('severity="none"');
    expect(firstMatchingSelector(rules, { alertname: 'X', env: 'staging' })?.text).toBe('{team="", env!~"prod.*"}');
    expect(firstMatchingSelector(rules, { alertname: 'X', env: 'prod-eu' })).toBeUndefined();
  });

  it('keeps separators inside quoted values', () => {
    const [rule] = parseMatcherRules('{msg=~"a;b,c", x="1"}');
    expect(rule?.matchers.map((m) => m.value)).toEqual(['a;b,c', '1']);
  });

  it('is empty for an empty list', () => {
    expect(parseMatcherRules('  ;\n ')).toEqual([]);
  });

  it.each([
    ['alertname', /not a matcher/],
    ['9x="a"', /not a label name/],
    ['a=~"("', /regex .* is invalid/],
    ['a="b', /unterminated/],
    ['{a="b"', /does not close/],
    ['{}', /has no matcher/],
    ['a=b c', /must be quoted/],
  ])('refuses %s with a message saying what is wrong', (text, message) => {
    expect(() => parseMatcherRules(text)).toThrow(MatcherSyntaxError);
    expect(() => parseMatcherRules(text)).toThrow(message);
  });
});
