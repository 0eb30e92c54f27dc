import { amAlert, amWebhook } from '@alertgate/testing';
import { PipelineFixture } from './support/pipeline-fixture.js';

const TOKEN = 'e2e-token-0123456789abcdef';

/** Input that can never succeed: the right 4xx, problem+json, and nothing written anywhere. */
describe('bad input (real processes, real Redis)', () => {
  let fixture: PipelineFixture;
  beforeAll(async () => {
    fixture = await PipelineFixture.start('badinput', {
      serviceEnv: { 'ingest-gateway': { INGEST_AUTH: 'token', INGEST_TOKEN: TOKEN, INGEST_BODY_LIMIT: '64KiB' } },
    });
  });
  afterAll(() => fixture?.close());

  const auth = { authorization: `Bearer ${TOKEN}` };
  const huge = 'v'.repeat(5000);

  it.each([
    ['malformed JSON', 400, 'urn:alertgate:problem:malformed-json', 'application/json', '{"alerts": ['],
    ['an empty body', 400, 'urn:alertgate:problem:malformed-json', 'application/json', ''],
    ['a wrong content type', 415, 'urn:alertgate:problem:unsupported-media-type', 'text/plain', JSON.stringify(amWebhook([amAlert({ pod: 'a' })]))],
    ['form data', 415, 'urn:alertgate:problem:unsupported-media-type', 'application/x-www-form-urlencoded', 'alerts=1'],
    ['empty alerts', 400, 'urn:alertgate:problem:invalid-input', 'application/json', JSON.stringify(amWebhook([]))],
    [
      'a missing alertname',
      400,
      'urn:alertgate:problem:invalid-input',
      'application/json',
      JSON.stringify(amWebhook([{ ...amAlert({}), labels: { namespace: 'shop', pod: 'x' } }])),
    ],
    [
      'bad timestamps',
      400,
      'urn:alertgate:problem:invalid-input',
      'application/json',
      JSON.stringify(amWebhook([{ ...amAlert({ pod: 'a' }), startsAt: 'not-a-time' }])),
    ],
    ['a huge label value', 400, 'urn:alertgate:problem:invalid-input', 'application/json', JSON.stringify(amWebhook([amAlert({ pod: huge })]))],
    [
      'an oversized body',
      413,
      'urn:alertgate:problem:too-large',
      'application/json',
      JSON.stringify(amWebhook([amAlert({ pod: 'a', note: 'x'.repeat(70 * 1024) })])),
    ],
    ['a prototype-poisoning key', 400, 'urn:alertgate:problem:malformed-json', 'application/json', '{"__proto__":{"x":1},"alerts":[]}'],
    [
      'a namespace Kubernetes refuses',
      400,
      'urn:alertgate:problem:invalid-input',
      'application/json',
      JSON.stringify(amWebhook([amAlert({ pod: 'a', namespace: 'Bad_Namespace' })])),
    ],
    [
      'a path as namespace',
      400,
      'urn:alertgate:problem:invalid-input',
      'application/json',
      JSON.stringify(amWebhook([amAlert({ pod: 'a', namespace: '../../etc' })])),
    ],
    [
      'an alertname the CRD refuses',
      400,
      'urn:alertgate:problem:invalid-input',
      'application/json',
      JSON.stringify(amWebhook([amAlert({ pod: 'a', alertname: 'A'.repeat(1025) })])),
    ],
    [
      'only invalid alerts',
      400,
      'urn:alertgate:problem:invalid-input',
      'application/json',
      JSON.stringify(amWebhook([{ ...amAlert({ pod: 'x' }), status: 'weird' }, amAlert({ pod: 'y', namespace: 'Prod' })])),
    ],
  ])('%s → %i %s, nothing written', async (_name, status, type, contentType, body) => {
    const response = await fetch(`${fixture.gatewayUrl}/api/v1/signals/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...auth },
      body,
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ type, status, title: expect.any(String), detail: expect.any(String) });
    expect(await fixture.redis.keys()).toEqual([]);
    expect(fixture.resources()).toEqual([]);
  });

  it('names every offending field with a JSON pointer', async () => {
    const response = await fixture.postAlerts(amWebhook([amAlert({ pod: huge }), { ...amAlert({ pod: 'b' }), startsAt: 'x' }]), auth);
    expect(response.status).toBe(400);
    expect(response.json['errors']).toEqual(
      expect.arrayContaining([expect.objectContaining({ pointer: '/alerts/0/labels/pod' }), expect.objectContaining({ pointer: '/alerts/1/startsAt' })]),
    );
  });

  it('refuses a missing or wrong bearer token with 401 and a WWW-Authenticate challenge', async () => {
    const body = amWebhook([amAlert({ pod: 'auth' })]);
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789abcd' }, { authorization: `Basic ${TOKEN}` }]) {
      const response = await fixture.postAlerts(body, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect(await fixture.redis.keys()).toEqual([]);
    const ok = await fixture.postAlerts(body, auth);
    expect(ok.status).toBe(200);
  });

  it('answers unknown paths with a 404 problem', async () => {
    const response = await fetch(`${fixture.gatewayUrl}/api/v2/alerts`, { method: 'POST', headers: auth });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  // Last: it writes the valid alert's state.
  it('processes the valid alerts of a webhook and rejects the invalid ones alone (200, a problem per rejected alert)', async () => {
    const response = await fixture.postAlerts(
      amWebhook([amAlert({ pod: 'ok' }), { ...amAlert({ pod: 'bad' }), status: 'weird' }, amAlert({ pod: 'ns', namespace: 'Prod' })]),
      auth,
    );
    expect(response.status).toBe(200);
    const results = response.json['results'] as { outcome: string; errors?: { pointer: string }[] }[];
    expect(results.map((result) => result.outcome)).toEqual(['created', 'rejected', 'rejected']);
    expect(results[1]?.errors?.map((error) => error.pointer)).toEqual(['/alerts/1/status']);
    expect(results[2]?.errors?.map((error) => error.pointer)).toEqual(['/alerts/2/labels/namespace']);
    // Only the valid alert's incident got a resource.
    const ofThisWebhook = fixture.resources().filter((rr) => ['ok', 'bad', 'ns'].includes(rr.spec.targetResource.name));
    expect(ofThisWebhook.map((rr) => rr.spec.targetResource.name)).toEqual(['ok']);
  });
});
