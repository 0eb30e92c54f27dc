import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';

import { AlertgateError, Code, errorMessage } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import { counter, gauge } from '@alertgate/metrics';
import type { experimental } from '@grpc/grpc-js';

/** The files of a kubernetes.io/tls Secret as cert-manager writes it. */
export const TLS_FILE_NAMES = { certificate: 'tls.crt', privateKey: 'tls.key', ca: 'ca.crt' } as const;

const reloads = counter({
  name: 'alertgate_tls_reloads_total',
  help: 'Reads of changed TLS files (GRPC_TLS_DIR, INGEST_TLS_DIR), by outcome: loaded, or invalid (the previous certificate stays in use).',
  labelNames: ['outcome'],
});

const expiry = gauge({
  name: 'alertgate_tls_certificate_expiry_timestamp_seconds',
  help: 'When the certificate in use (tls.crt of GRPC_TLS_DIR or INGEST_TLS_DIR) expires, in Unix seconds, by directory.',
  labelNames: ['dir'],
});

/** A certificate, its key and the CA bundle that peers' certificates must chain to, checked. */
export interface TlsMaterial {
  readonly certificate: Buffer;
  readonly privateKey: Buffer;
  /** Absent when the watcher does not need one (a server that asks clients for no certificate). */
  readonly ca: Buffer | undefined;
  readonly notAfterMs: number;
  /** Of the three files' bytes: tells a change without keeping a second copy around. */
  readonly digest: string;
}

/**
 * Reads the three files and checks that they make a usable identity: each parses, the key is the
 * certificate's, and TLS accepts them together. A file caught mid-rotation fails here, not in
 * the middle of a handshake.
 */
export async function readTlsMaterial(
  dir: string,
  { variable = 'GRPC_TLS_DIR', caRequired = true }: { variable?: string; caRequired?: boolean } = {},
): Promise<TlsMaterial> {
  const read = async (name: string): Promise<Buffer> => {
    try {
      return await readFile(join(dir, name));
    } catch (err) {
      throw new AlertgateError(Code.FailedPrecondition, `${variable}: cannot read ${name}: ${errorMessage(err)}`);
    }
  };
  const [certificate, privateKey, ca] = await Promise.all([
    read(TLS_FILE_NAMES.certificate),
    read(TLS_FILE_NAMES.privateKey),
    caRequired ? read(TLS_FILE_NAMES.ca) : Promise.resolve(undefined),
  ]);
  try {
    const parsed = new X509Certificate(certificate);
    if (!parsed.checkPrivateKey(createPrivateKey(privateKey))) throw new Error(`${TLS_FILE_NAMES.privateKey} is not the key of ${TLS_FILE_NAMES.certificate}`);
    if (ca) new X509Certificate(ca);
    createSecureContext({ cert: certificate, key: privateKey, ...(ca ? { ca } : {}) });
    const digest = createHash('sha256')
      .update(certificate)
      .update(privateKey)
      .update(ca ?? '')
      .digest('hex');
    return { certificate, privateKey, ca, notAfterMs: Date.parse(parsed.validTo), digest };
  } catch (err) {
    throw new AlertgateError(Code.FailedPrecondition, `${variable}: ${errorMessage(err)}`);
  }
}

export interface TlsFileWatcherOptions {
  readonly dir: string;
  readonly reloadIntervalMs: number;
  readonly logger: Logger;
  /** The variable that names the directory, for errors (GRPC_TLS_DIR by default). */
  readonly variable?: string;
  /** Whether ca.crt must be there (true by default: gRPC verifies its peers with it). */
  readonly caRequired?: boolean;
}

/**
 * The identity and CA of every gRPC hop of this process, read again every interval. A change is
 * used for new connections once it checks out (readTlsMaterial); connections already open keep
 * theirs, so a rotation fails no call in flight. A change that does not check out is logged and
 * counted, and the previous material stays in use: an expiring certificate is better than none.
 * grpc-js takes it as the CertificateProvider of both server and channel credentials.
 */
export class TlsFileWatcher implements experimental.CertificateProvider {
  private material: TlsMaterial | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<experimental.IdentityCertificateUpdateListener>();
  private readonly materialListeners = new Set<(material: TlsMaterial) => void>();

  constructor(private readonly options: TlsFileWatcherOptions) {}

  /** The first read: a process with TLS configured does not start without a usable identity. */
  async start(): Promise<this> {
    this.use(await this.read());
    this.timer = setInterval(() => void this.reload(), this.options.reloadIntervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reads the files now; true when a changed, valid material is now in use. */
  async reload(): Promise<boolean> {
    let next: TlsMaterial;
    try {
      next = await this.read();
    } catch (err) {
      reloads.inc({ outcome: 'invalid' });
      this.options.logger.warn(
        { dir: this.options.dir, err: errorMessage(err) },
        'TLS files changed but are not usable; the previous certificate stays in use',
      );
      return false;
    }
    if (next.digest === this.material?.digest) return false;
    this.use(next);
    reloads.inc({ outcome: 'loaded' });
    this.options.logger.info({ dir: this.options.dir, notAfter: new Date(next.notAfterMs).toISOString() }, 'TLS certificate reloaded');
    return true;
  }

  /** The material in use (after start). */
  get current(): TlsMaterial {
    if (!this.material) throw new Error('TlsFileWatcher not started');
    return this.material;
  }

  /** Hears every change taken after start (an HTTPS server's setSecureContext). */
  onUpdate(listener: (material: TlsMaterial) => void): void {
    this.materialListeners.add(listener);
  }

  private read(): Promise<TlsMaterial> {
    const { dir, variable, caRequired } = this.options;
    return readTlsMaterial(dir, { ...(variable ? { variable } : {}), ...(caRequired === undefined ? {} : { caRequired }) });
  }

  private use(material: TlsMaterial): void {
    this.material = material;
    expiry.set({ dir: this.options.dir }, Math.floor(material.notAfterMs / 1000));
    for (const listener of this.materialListeners) listener(material);
    const { ca } = material;
    if (ca) for (const listener of this.caListeners) listener({ caCertificate: ca });
    for (const listener of this.identityListeners) listener({ certificate: material.certificate, privateKey: material.privateKey });
  }

  // A new listener gets the material in use on the next microtask, not within the call: grpc-js
  // registers its own watcher only after adding the listener, and would miss a synchronous update.
  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => {
      const ca = this.material?.ca;
      if (ca && this.caListeners.has(listener)) listener({ caCertificate: ca });
    });
  }

  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.material && this.identityListeners.has(listener)) listener({ certificate: this.material.certificate, privateKey: this.material.privateKey });
    });
  }

  removeIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }
}
