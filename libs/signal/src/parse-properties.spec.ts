import fc from 'fast-check';

import { InvalidInputError } from './input-problem.js';
import { parseAlertmanagerWebhook } from './parse-alertmanager-webhook.js';
import { parseKubernetesEvent } from './parse-kubernetes-event.js';

/** Runs `parse`; an input problem is an answer too. Anything else thrown fails the property. */
function outcomeOf(parse: () => unknown): 'parsed' | 'input problem' {
  try {
    parse();
    return 'parsed';
  } catch (err) {
    if (err instanceof InvalidInputError) return 'input problem';
    throw err;
  }
}

/** Strings that break parsers: unicode of every plane, NUL, lone surrogates, very long ones. */
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\udfff', '\u202e', '\ufeff', 'é', '🔥', '/', '.', '-') }),
  fc.string({ minLength: 1_000, maxLength: 5_000 }),
  fc.constantFrom('', ' ', '__proto__', 'constructor', 'prototype', 'toString', 'Bad_Namespace', 'kube-system', '0001-01-01T00:00:00Z', 'not-a-time'),
);

/** Any value where a field of a known type is expected. */
const anyValue = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);

const labels = fc.oneof(
  fc.dictionary(hostileString, hostileString, { maxKeys: 8 }),
  fc.record({ alertname: hostileString, namespace: hostileString, pod: hostileString }, { requiredKeys: [] }),
  anyValue,
);

/** An Alertmanager alert with each field present or absent, of the right type or not. */
const alert = fc.record(
  {
    status: fc.oneof(fc.constantFrom('firing', 'resolved'), anyValue),
    labels,
    annotations: fc.oneof(fc.dictionary(hostileString, hostileString, { maxKeys: 4 }), anyValue),
    startsAt: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      anyValue,
    ),
    endsAt: fc.oneof(
      fc.constant('0001-01-01T00:00:00Z'),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      anyValue,
    ),
    generatorURL: anyValue,
    fingerprint: anyValue,
  },
  { requiredKeys: [] },
);

/** A well-formed alert, its target label of any string: most are valid, some are refused. */
const wellFormedAlert = fc.record({
  status: fc.constantFrom('firing', 'resolved'),
  labels: fc.record({
    alertname: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,30}$/),
    namespace: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/),
    pod: fc.oneof(fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/), hostileString),
  }),
  annotations: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
  // Up to now: a start further ahead than ALERT_MAX_FUTURE_SKEW refuses the alert.
  startsAt: fc.date({ min: new Date('2000-01-01'), max: new Date(), noInvalidDate: true }).map((d) => d.toISOString()),
  endsAt: fc.constant('0001-01-01T00:00:00Z'),
});

const webhook = fc.record(
  {
    version: fc.oneof(fc.constant('4'), anyValue),
    status: anyValue,
    receiver: anyValue,
    groupKey: anyValue,
    truncatedAlerts: anyValue,
    groupLabels: anyValue,
    commonLabels: anyValue,
    externalURL: anyValue,
    alerts: fc.oneof(
      fc.array(fc.oneof(wellFormedAlert, alert, anyValue), { maxLength: 20 }),
      fc.array(wellFormedAlert, { minLength: 1, maxLength: 5 }),
      anyValue,
    ),
  },
  { requiredKeys: [] },
);

const event = fc.record(
  {
    type: fc.oneof(fc.constantFrom('Warning', 'Normal'), anyValue),
    reason: anyValue,
    message: anyValue,
    involvedObject: fc.oneof(fc.record({ kind: anyValue, name: anyValue, namespace: anyValue, uid: anyValue }, { requiredKeys: [] }), anyValue),
    regarding: fc.oneof(fc.record({ kind: anyValue, name: anyValue, namespace: anyValue }, { requiredKeys: [] }), anyValue),
    count: anyValue,
    firstTimestamp: anyValue,
    lastTimestamp: anyValue,
    eventTime: anyValue,
    metadata: anyValue,
  },
  { requiredKeys: [] },
);

describe('the parsers under any input (property-based)', () => {
  it('an Alertmanager webhook of any shape gives signals or an input problem, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(webhook, fc.jsonValue()), (body) => outcomeOf(() => parseAlertmanagerWebhook(body)) !== undefined),
      { numRuns: 2_000 },
    );
  });

  it('every signal it gives is one a RemediationRequest can hold', () => {
    let signals = 0;
    fc.assert(
      fc.property(webhook, (body) => {
        let parsed;
        try {
          parsed = parseAlertmanagerWebhook(body);
        } catch (err) {
          if (err instanceof InvalidInputError) return;
          throw err;
        }
        signals += parsed.signals.length;
        for (const signal of parsed.signals) {
          expect(signal.fingerprint).toMatch(/^[0-9a-f]{64}$/);
          expect(signal.namespace).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
          expect(signal.alertname.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2_000 },
    );
    // The generator reaches valid alerts too: the property is not only about refusals.
    expect(signals).toBeGreaterThan(20);
  });

  it('a Kubernetes event of any shape gives a signal, "ignored" or an input problem, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(event, fc.jsonValue()), (body) => outcomeOf(() => parseKubernetesEvent(body)) !== undefined),
      { numRuns: 2_000 },
    );
  });
});
