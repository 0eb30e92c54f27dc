/** One request of the fuzz run: its body bytes and headers, and what was done to it. */
export interface MutatedRequest {
  readonly mutation: string;
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

/** A small seeded generator (mulberry32): the same seed gives the same run. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A valid Alertmanager webhook of 1–5 firing alerts, each of its own pod (case `n`). */
function baseWebhook(n: number, namespace: string, prng: Prng): { [key: string]: Json } {
  const alerts = Array.from({ length: 1 + prng.below(5) }, (_v, i) => ({
    status: 'firing',
    labels: { alertname: 'Fuzz', namespace, pod: `f${n}-${i}`, severity: 'warning' },
    annotations: { summary: 'fuzz' },
    startsAt: '2026-12-01T00:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.fuzz/graph',
    fingerprint: '0123456789abcdef',
  }));
  return {
    version: '4',
    status: 'firing',
    receiver: 'alertgate',
    groupKey: '{}:{}',
    truncatedAlerts: 0,
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am.fuzz',
    alerts,
  };
}

/** Every place in a JSON value, as a path of keys and indexes. */
function paths(value: Json, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [path, ...value.flatMap((item, i) => paths(item, [...path, i]))];
  if (value !== null && typeof value === 'object') return [path, ...Object.entries(value).flatMap(([key, item]) => paths(item, [...path, key]))];
  return [path];
}

function setAt(root: Json, path: readonly (string | number)[], replace: (old: Json) => Json | undefined): void {
  if (path.length === 0) return;
  let parent = root as Record<string | number, Json>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  const next = replace(parent[last] as Json);
  if (next === undefined) {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else Reflect.deleteProperty(parent, last);
  } else parent[last] = next;
}

function deep(depth: number, asArray: boolean): string {
  return asArray ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const HOSTILE_STRINGS = [
  '\u0000',
  '\ud800',
  '\u202e',
  'A'.repeat(100_000),
  '../../etc/passwd',
  '<script>',
  '🔥'.repeat(1_000),
  'Bad_Namespace',
  '',
  ' ',
  '__proto__',
];
const WRONG_TYPES: Json[] = [null, 0, -1, 1e308, true, [], {}, [1, 2], { x: { y: 'z' } }, '1'];

/** The structure-aware mutations, each a function of the webhook and the generator. */
const JSON_MUTATIONS: Readonly<Record<string, (webhook: Json, prng: Prng) => void>> = {
  'delete a field': (webhook, prng) => setAt(webhook, prng.pick(paths(webhook).slice(1)), () => undefined),
  'wrong type': (webhook, prng) => setAt(webhook, prng.pick(paths(webhook).slice(1)), () => prng.pick(WRONG_TYPES)),
  'hostile string': (webhook, prng) => setAt(webhook, prng.pick(paths(webhook).slice(1)), () => prng.pick(HOSTILE_STRINGS)),
};

/** Mutations of the serialized text or bytes, or of the headers. */
const TEXT_MUTATIONS: Readonly<Record<string, (text: string, prng: Prng) => MutatedRequest>> = {
  truncated: (text, prng) => json('truncated', text.slice(0, prng.below(text.length))),
  'duplicate keys': (text) => json('duplicate keys', text.replace('{', '{"alerts":[],')),
  'deep nesting': (text, prng) =>
    json('deep nesting', text.replace('"annotations":{"summary":"fuzz"}', `"annotations":${deep(1_000 + prng.below(100_000), prng.below(2) === 0)}`)),
  'deep body': (_text, prng) => json('deep body', deep(10_000 + prng.below(100_000), prng.below(2) === 0)),
  'invalid UTF-8': (text, prng) => {
    const bytes = Buffer.from(text);
    const at = prng.below(bytes.length);
    return {
      mutation: 'invalid UTF-8',
      body: Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff, 0xfe, 0xc3]), bytes.subarray(at)]),
      headers: { 'content-type': 'application/json' },
    };
  },
  'null bytes': (text, prng) => json('null bytes', text.replace('"fuzz"', `"fu\\u0000zz${'\\u0000'.repeat(prng.below(10))}"`).replace('Fuzz', 'Fu\u0000zz')),
  'wrong content type': (text, prng) => ({
    mutation: 'wrong content type',
    body: Buffer.from(text),
    headers: { 'content-type': prng.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) },
  }),
  'content encoding': (text, prng) => ({
    mutation: 'content encoding',
    body: Buffer.from(text),
    headers: { 'content-type': 'application/json', 'content-encoding': prng.pick(['gzip', 'br', 'zstd', 'deflate', 'x-unknown']) },
  }),
  garbage: (_text, prng) => ({
    mutation: 'garbage',
    body: Buffer.from(Array.from({ length: prng.below(2_000) }, () => prng.below(256))),
    headers: { 'content-type': 'application/json' },
  }),
  'not a webhook': (_text, prng) =>
    json('not a webhook', prng.pick(['null', '[]', '"alerts"', '42', 'true', '{}', '{"alerts":{}}', '{"alerts":[null]}', '{"alerts":[[]]}'])),
};

function json(mutation: string, text: string): MutatedRequest {
  return { mutation, body: Buffer.from(text), headers: { 'content-type': 'application/json' } };
}

/** Case `n` of a run: a valid webhook mutated once, in one of the ways above. */
export function mutatedRequest(n: number, namespace: string, prng: Prng): MutatedRequest {
  const webhook = baseWebhook(n, namespace, prng);
  const names = [...Object.keys(JSON_MUTATIONS), ...Object.keys(TEXT_MUTATIONS)];
  const name = prng.pick(names);
  const onJson = JSON_MUTATIONS[name];
  if (onJson) {
    onJson(webhook, prng);
    return json(name, JSON.stringify(webhook));
  }
  return (TEXT_MUTATIONS[name] as (text: string, prng: Prng) => MutatedRequest)(JSON.stringify(webhook), prng);
}
