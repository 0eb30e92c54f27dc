import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

/** A client certificate a test cluster issues: file stem and X.509 subject. */
export interface KubeClient {
  readonly name: string;
  readonly subject: string;
}

export interface KubePkiOptions {
  readonly dir: string;
  /** The API server certificate's subjectAltName entries, e.g. `IP:127.0.0.1`. */
  readonly serverNames: readonly string[];
  readonly clients: readonly KubeClient[];
}

/** The names every API server certificate carries: the in-cluster Service's DNS names. */
const SERVICE_NAMES = ['DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local'];

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function issue(dir: string, name: string, subject: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '3650',
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
}

/**
 * A test cluster's certificates, made once per directory: a CA, the API server's certificate,
 * one client certificate per client and the ServiceAccount signing keys.
 */
export function ensureKubePki(options: KubePkiOptions): void {
  const { dir } = options;
  if (options.clients.every((client) => existsSync(join(dir, `${client.name}.crt`)))) return;
  mkdirSync(dir, { recursive: true });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=alertgate-test-ca'], dir);
  issue(dir, 'server', '/CN=kube-apiserver', `subjectAltName=${[...options.serverNames, ...SERVICE_NAMES].join(',')}\nextendedKeyUsage=serverAuth\n`);
  for (const client of options.clients) issue(dir, client.name, client.subject, 'extendedKeyUsage=clientAuth\n');
  openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
  openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
}

/** A kubeconfig for one client of the PKI in `pkiDir`, with the certificates inlined. */
export function kubeconfigOf(server: string, pkiDir: string, client: string): string {
  const b64 = (file: string): string => readFileSync(join(pkiDir, file)).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
  - name: alertgate-test
    cluster:
      server: ${server}
      certificate-authority-data: ${b64('ca.crt')}
users:
  - name: ${client}
    user:
      client-certificate-data: ${b64(`${client}.crt`)}
      client-key-data: ${b64(`${client}.key`)}
contexts:
  - name: alertgate-test
    context: { cluster: alertgate-test, user: ${client} }
current-context: alertgate-test
`;
}

/** GET a path as admin; resolves with the HTTP status (0 when unreachable). */
export function adminGet(server: string, pki: string, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${server}${path}`, {
      ca: readFileSync(join(pki, 'ca.crt')),
      cert: readFileSync(join(pki, 'admin.crt')),
      key: readFileSync(join(pki, 'admin.key')),
      timeout: 2_000,
    });
    req.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
    req.end();
  });
}
