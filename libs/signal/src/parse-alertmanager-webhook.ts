import { Source, Status, type Signal } from '@alertgate/proto';
import { fromMillis } from '@alertgate/proto';

import { FINGERPRINT_DEFAULTS, fingerprintOf, targetOf, type FingerprintConfig } from './fingerprint.js';
import { InvalidInputError } from './input-problem.js';
import { isObject, optionalString, ProblemList, readStringMap, readTime, type Json } from './parse-helpers.js';
import { SIGNAL_LIMIT_DEFAULTS, type SignalLimits } from './signal-limits.js';

export interface ParseOptions {
  readonly limits: SignalLimits;
  readonly fingerprint: FingerprintConfig;
  /** Namespace for alerts without a namespace label (node alerts, cluster-wide alerts). */
  readonly fallbackNamespace: string;
}

export const PARSE_DEFAULTS: ParseOptions = {
  limits: SIGNAL_LIMIT_DEFAULTS,
  fingerprint: FINGERPRINT_DEFAULTS,
  fallbackNamespace: 'default',
};

/**
 * Alertmanager webhook payload (version "4"; fields added later such as truncatedAlerts,
 * notification_reason or routeLabels are accepted and ignored when unknown). Every alert of the
 * group becomes a signal, firing and resolved alike, in order (DESIGN.md decision 1). All-or-
 * nothing: one invalid alert fails the request with every problem listed, since Alertmanager
 * would resend the same invalid group forever otherwise. Reference:
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
export function parseAlertmanagerWebhook(body: unknown, options: ParseOptions = PARSE_DEFAULTS): Signal[] {
  const { limits } = options;
  const problems = new ProblemList();
  if (!isObject(body)) throw new InvalidInputError('The body must be an Alertmanager webhook JSON object.', [{ pointer: '', detail: 'must be an object' }]);
  const alerts = body['alerts'];
  if (!Array.isArray(alerts)) {
    throw new InvalidInputError('The webhook has no alerts array.', [{ pointer: '/alerts', detail: 'must be an array of alerts' }]);
  }
  if (alerts.length === 0) {
    throw new InvalidInputError('The webhook carries no alerts.', [{ pointer: '/alerts', detail: 'must hold at least one alert' }]);
  }
  if (alerts.length > limits.maxAlerts) {
    throw new InvalidInputError(
      `The webhook carries ${alerts.length} alerts; at most ${limits.maxAlerts} are accepted per request (set Alertmanager's max_alerts).`,
      [{ pointer: '/alerts', detail: `at most ${limits.maxAlerts} alerts` }],
      true,
    );
  }
  const groupKey = optionalString(body['groupKey'], '/groupKey', problems, 16384);
  const receiver = optionalString(body['receiver'], '/receiver', problems);
  const externalUrl = optionalString(body['externalURL'], '/externalURL', problems);
  const signals = alerts.map((alert: Json, i) => parseAlert(alert, `/alerts/${i}`, problems, options, { groupKey, receiver, externalUrl }));
  if (!problems.empty) throw new InvalidInputError('The webhook has invalid alerts; nothing was processed.', problems.items);
  return signals;
}

function parseAlert(
  alert: Json,
  at: string,
  problems: ProblemList,
  options: ParseOptions,
  group: { groupKey: string; receiver: string; externalUrl: string },
): Signal {
  const { limits } = options;
  if (!isObject(alert)) {
    problems.add(at, 'must be an object');
    return emptySignal();
  }
  const labels = readStringMap(alert['labels'], `${at}/labels`, problems, {
    maxEntries: limits.maxLabels,
    maxNameBytes: limits.maxLabelNameBytes,
    maxValueBytes: limits.maxLabelValueBytes,
    required: true,
  });
  const annotations = readStringMap(alert['annotations'], `${at}/annotations`, problems, {
    maxEntries: limits.maxLabels,
    maxNameBytes: limits.maxLabelNameBytes,
    maxValueBytes: limits.maxAnnotationValueBytes,
    required: false,
  });
  const alertname = labels['alertname'] ?? '';
  if (isObject(alert['labels']) && alertname === '') problems.add(`${at}/labels/alertname`, 'is required');
  const rawStatus = alert['status'];
  if (rawStatus !== 'firing' && rawStatus !== 'resolved') problems.add(`${at}/status`, 'must be "firing" or "resolved"');
  const startsAt = readTime(alert['startsAt'], `${at}/startsAt`, problems);
  const endsAt = readTime(alert['endsAt'], `${at}/endsAt`, problems);
  if (startsAt === undefined && rawStatus === 'firing') problems.add(`${at}/startsAt`, 'is required for a firing alert');
  const generatorUrl = optionalString(alert['generatorURL'], `${at}/generatorURL`, problems);
  const amFingerprint = optionalString(alert['fingerprint'], `${at}/fingerprint`, problems, 64);

  const { fingerprint: fp } = options;
  const target = targetOf(labels, fp);
  const labelNamespace = labels[fp.namespaceLabel] ?? '';
  const cluster = labels[fp.clusterLabel] ?? '';
  return {
    fingerprint: fingerprintOf(alertname, labelNamespace, target, cluster),
    alertname,
    severity: labels['severity'] ?? '',
    namespace: labelNamespace || options.fallbackNamespace,
    target,
    cluster,
    status: rawStatus === 'resolved' ? Status.STATUS_RESOLVED : Status.STATUS_FIRING,
    source: Source.SOURCE_ALERTMANAGER,
    labels,
    annotations,
    // Written out, not spread in: one shape for every alert, and no object made to be copied.
    startsAt: startsAt === undefined || Number.isNaN(startsAt) ? undefined : fromMillis(startsAt),
    endsAt: endsAt === undefined || Number.isNaN(endsAt) ? undefined : fromMillis(endsAt),
    alertmanager: {
      fingerprint: amFingerprint,
      groupKey: group.groupKey,
      receiver: group.receiver,
      generatorUrl,
      externalUrl: group.externalUrl,
    },
  };
}

function emptySignal(): Signal {
  return {
    fingerprint: '',
    alertname: '',
    severity: '',
    namespace: '',
    cluster: '',
    status: Status.STATUS_UNSPECIFIED,
    source: Source.SOURCE_UNSPECIFIED,
    labels: {},
    annotations: {},
  };
}
