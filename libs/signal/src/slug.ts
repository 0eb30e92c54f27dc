/**
 * A Kubernetes-name-safe slug of free text (an alertname): lower case, [a-z0-9-], no leading or
 * trailing dash, at most `max` characters. Empty when nothing is left.
 */
export function slug(text: string, max: number): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, max)
    .replace(/-$/, '');
}
