import { AlertgateError, Code } from '@alertgate/errors';
import { statusBodyOf } from '@alertgate/kube';
import type { Logger } from '@alertgate/logging';
import { counter, gauge } from '@alertgate/metrics';
import { Source, Status } from '@alertgate/proto';

import { buildRemediationRequest, type RemediationRequest } from './remediation-request.js';

const fallbackMissingTotal = counter({
  name: 'alertgate_kube_fallback_namespace_missing_total',
  help: 'Resources that could not be written because neither their namespace nor FALLBACK_NAMESPACE exists (answered 503).',
});
const fallbackPresent = gauge({
  name: 'alertgate_kube_fallback_namespace_present',
  help: 'Whether FALLBACK_NAMESPACE exists (1) or not (0), as last checked.',
});

/** How often the fallback namespace's existence is checked again (see check). */
const CHECK_INTERVAL_MS = 30_000;
/** How long a namespace found missing is remembered before it is tried again. */
const MISSING_NAMESPACE_TTL_MS = 60_000;

export interface FallbackNamespaceOptions {
  /** FALLBACK_NAMESPACE. */
  readonly namespace: string;
  readonly logger: Logger;
  /** Creates `object` with a server-side dry run (writes nothing); throws what the API server answered. */
  readonly dryRunCreate: (object: RemediationRequest) => Promise<unknown>;
}

/**
 * Where a resource goes when the alert's namespace does not exist (FALLBACK_NAMESPACE): the
 * namespaces found missing (remembered for a minute, so that their alerts do not each try a
 * create that fails first), and whether the fallback itself exists.
 */
export class FallbackNamespace {
  readonly name: string;
  private readonly missingSince = new Map<string, number>();
  private checkedAt = 0;

  constructor(private readonly options: FallbackNamespaceOptions) {
    this.name = options.namespace;
  }

  /** The namespace to write a resource of `namespace` in: the fallback while `namespace` is known missing. */
  target(namespace: string): string {
    if (namespace === this.name) return namespace;
    const since = this.missingSince.get(namespace);
    if (since === undefined) return namespace;
    if (Date.now() - since < MISSING_NAMESPACE_TTL_MS) return this.name;
    this.missingSince.delete(namespace);
    return namespace;
  }

  /** The namespaces a resource of `namespace` may be in: its own, then the fallback. */
  candidates(namespace: string): string[] {
    return namespace === this.name ? [namespace] : [namespace, this.name];
  }

  /**
   * The API server said `namespace` does not exist: the fallback namespace, to write in instead.
   * When it is the fallback itself, the resource cannot be written until an operator creates
   * one: a retryable 503 (Alertmanager keeps the alert and retries), counted and logged with
   * what to create, never a 500 or a 4xx.
   */
  missing(namespace: string): string {
    if (namespace === this.name) {
      fallbackMissingTotal.inc();
      this.logMissing();
      throw new AlertgateError(
        Code.Unavailable,
        `the fallback namespace ${this.name} does not exist (FALLBACK_NAMESPACE): create it or set FALLBACK_NAMESPACE`,
      );
    }
    this.missingSince.set(namespace, Date.now());
    this.options.logger.warn({ namespace, fallback: this.name }, 'namespace does not exist; using the fallback namespace');
    return this.name;
  }

  /**
   * Whether the fallback namespace exists, by a server-side dry-run create in it (at most every
   * 30 s): that needs no permission beyond the crd-writer's (it cannot read namespaces) and
   * writes nothing. Logged when missing; it does not make the crd-writer unready, since alerts
   * of existing namespaces are still written.
   */
  async check(): Promise<void> {
    if (Date.now() - this.checkedAt < CHECK_INTERVAL_MS) return;
    this.checkedAt = Date.now();
    try {
      await this.options.dryRunCreate(this.probe());
      fallbackPresent.set(1);
    } catch (err) {
      if (err instanceof AlertgateError && err.code === Code.AlreadyExists) {
        fallbackPresent.set(1);
        return;
      }
      if (err instanceof AlertgateError && err.code === Code.NotFound && statusBodyOf(err.cause).details?.kind === 'namespaces') {
        this.logMissing();
        return;
      }
      throw err;
    }
  }

  private logMissing(): void {
    fallbackPresent.set(0);
    this.options.logger.error(
      { namespace: this.name, variable: 'FALLBACK_NAMESPACE' },
      `the fallback namespace does not exist: create it (kubectl create namespace ${this.name}) or set FALLBACK_NAMESPACE to one that exists`,
    );
  }

  /** A resource that can be created in the fallback namespace, for the dry run. */
  private probe(): RemediationRequest {
    return buildRemediationRequest(
      {
        signal: {
          fingerprint: '0'.repeat(64),
          alertname: 'FallbackNamespaceProbe',
          severity: '',
          namespace: this.name,
          cluster: '',
          status: Status.STATUS_FIRING,
          source: Source.SOURCE_ALERTMANAGER,
          pod: '',
          labels: {},
          annotations: {},
        },
        incidentId: `${'0'.repeat(12)}-0`,
        firstSeenMs: 0,
        lastSeenMs: 0,
        occurrences: 1,
        traceId: undefined,
      },
      this.name,
    );
  }
}
