import { Source, Status, type Signal } from '@alertgate/proto';
import { fromMillis } from '@alertgate/proto';

import { FINGERPRINT_DEFAULTS, fingerprintOf, targetOf, type FingerprintConfig } from './fingerprint.js';
import { InvalidInputError, type InputProblem } from './input-problem.js';
import { isObject, optionalString, ProblemList, readStringMap, readTime, type Json } from './parse-helpers.js';
import { FRESHNESS_DEFAULTS, wholeSeconds, type Freshness } from './freshness.js';
import { fitsCharacters, namespaceNameProblem, SPEC_MAX_LENGTH } from './resource-constraints.js';
import { SIGNAL_LIMIT_DEFAULTS, type SignalLimits } from './signal-limits.js';

export interface ParseOptions {
  readonly limits: SignalLimits;
  readonly fingerprint: FingerprintConfig;
  /** Namespace for alerts without a namespace label (node alerts, cluster-wide alerts). */
  readonly fallbackNamespace: string;
  readonly freshness: Freshness;
}

export const PARSE_DEFAULTS: ParseOptions = {
  limits: SIGNAL_LIMIT_DEFAULTS,
  fingerprint: FINGERPRINT_DEFAULTS,
  fallbackNamespace: 'default',
  freshness: FRESHNESS_DEFAULTS,
};

/** An alert of a webhook that can never become a resource, with what is wrong with it. */
export interface RejectedAlert {
  /** Its position in the webhook's alerts array. */
  readonly index: number;
  readonly problems: readonly InputProblem[];
}

export interface ParsedWebhook {
  /** The valid alerts, in order. */
  readonly signals: Signal[];
  /** The invalid ones, in order; each is answered on its own, the others are processed. */
  readonly rejected: RejectedAlert[];
}

/**
 * Alertmanager webhook payload (version "4"; fields added later such as truncatedAlerts,
 * notification_reason or routeLabels are accepted and ignored when unknown). Every valid alert
 * of the group becomes a signal, firing and resolved alike, in order. An invalid alert (one the
 * gateway or the RemediationRequest schema refuses) is rejected alone: Alertmanager drops a
 * whole notification on a 4xx, so refusing the group would drop its valid alerts with it. Only
 * a webhook that is invalid as a whole, or whose alerts are all invalid, is an error. Reference:
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
export function parseAlertmanagerWebhook(body: unknown, options: ParseOptions = PARSE_DEFAULTS, nowMs = Date.now()): ParsedWebhook {
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
  if (!problems.empty) throw new InvalidInputError('The webhook is invalid; nothing was processed.', problems.items);
  const group = { groupKey, receiver, externalUrl, nowMs };
  const signals: Signal[] = [];
  const rejected: RejectedAlert[] = [];
  alerts.forEach((alert: Json, index) => {
    const alertProblems = new ProblemList();
    const signal = parseAlert(alert, `/alerts/${index}`, alertProblems, options, group);
    if (alertProblems.empty) signals.push(signal);
    else rejected.push({ index, problems: alertProblems.items });
  });
  if (signals.length === 0) {
    throw new InvalidInputError('No alert of the webhook is valid; nothing was processed.', rejected.flatMap((alert) => alert.problems).slice(0, 20));
  }
  return { signals, rejected };
}

/** What the RemediationRequest schema would refuse of a signal's own fields. */
function checkResourceFields(
  at: string,
  fields: { alertname: string; severity: string; cluster: string; namespace: string },
  fp: FingerprintConfig,
  problems: ProblemList,
): void {
  if (!fitsCharacters(fields.alertname, SPEC_MAX_LENGTH.alertname))
    problems.add(`${at}/labels/alertname`, `is longer than ${SPEC_MAX_LENGTH.alertname} characters`);
  if (!fitsCharacters(fields.severity, SPEC_MAX_LENGTH.severity))
    problems.add(`${at}/labels/severity`, `is longer than ${SPEC_MAX_LENGTH.severity} characters`);
  if (!fitsCharacters(fields.cluster, SPEC_MAX_LENGTH.cluster))
    problems.add(`${at}/labels/${fp.clusterLabel}`, `is longer than ${SPEC_MAX_LENGTH.cluster} characters`);
  if (fields.namespace === '') return;
  const namespaceProblem = namespaceNameProblem(fields.namespace);
  if (namespaceProblem) problems.add(`${at}/labels/${fp.namespaceLabel}`, namespaceProblem);
}

function parseAlert(
  alert: Json,
  at: string,
  problems: ProblemList,
  options: ParseOptions,
  group: { groupKey: string; receiver: string; externalUrl: string; nowMs: number },
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
  const ahead = startsAt === undefined ? 0 : startsAt - group.nowMs;
  if (ahead > options.freshness.maxFutureSkewMs) {
    problems.add(
      `${at}/startsAt`,
      `is ${wholeSeconds(ahead)} ahead of the gateway's clock; at most ${wholeSeconds(options.freshness.maxFutureSkewMs)} is accepted (check the sender's clock)`,
    );
  }
  const generatorUrl = optionalString(alert['generatorURL'], `${at}/generatorURL`, problems);
  const amFingerprint = optionalString(alert['fingerprint'], `${at}/fingerprint`, problems, 64);

  const { fingerprint: fp } = options;
  const target = targetOf(labels, fp);
  const labelNamespace = labels[fp.namespaceLabel] ?? '';
  const cluster = labels[fp.clusterLabel] ?? '';
  const severity = labels['severity'] ?? '';
  checkResourceFields(at, { alertname, severity, cluster, namespace: labelNamespace }, fp, problems);
  return {
    fingerprint: fingerprintOf(alertname, labelNamespace, target, cluster),
    alertname,
    severity,
    namespace: labelNamespace || options.fallbackNamespace,
    target,
    cluster,
    status: rawStatus === 'resolved' ? Status.STATUS_RESOLVED : Status.STATUS_FIRING,
    source: Source.SOURCE_ALERTMANAGER,
    labels,
    annotations,
    pod: '',
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
    pod: '',
  };
}
