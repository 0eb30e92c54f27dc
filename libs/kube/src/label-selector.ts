/** A label selector's requirement: `key`, `!key`, `key=v`, `key==v`, `key!=v`, `key in (a,b)`, `key notin (a,b)`. */
const KEY = String.raw`(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?`;
const VALUE = String.raw`(?:[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?`;
const REQUIREMENT = new RegExp(String.raw`^(?:!?${KEY}|${KEY}\s*(?:==|!=|=)\s*${VALUE}|${KEY}\s+(?:in|notin)\s+\(\s*${VALUE}(?:\s*,\s*${VALUE})*\s*\))$`);

/** Why a label selector is not one the API server takes, or undefined when it is. */
export function labelSelectorProblem(selector: string): string | undefined {
  if (selector.trim() === '') return 'is empty';
  const requirements: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      requirements.push(current.trim());
      current = '';
    } else current += char;
  }
  requirements.push(current.trim());
  const bad = requirements.find((requirement) => !REQUIREMENT.test(requirement));
  return bad === undefined ? undefined : `'${bad}' is not a label selector requirement (key, !key, key=value, key!=value, key in (a,b), key notin (a,b))`;
}
