import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a certificate is issued with; by default valid now, for DNS:localhost and IP:127.0.0.1, from the main CA. */
export interface IssueOptions {
  /** subjectAltName entries, e.g. ['DNS:ingest-gateway', 'IP:127.0.0.1']. */
  readonly sans?: readonly string[];
  /** Issued by another CA, one its peers do not trust. */
  readonly untrusted?: boolean;
  /** Valid for a day in 2020 only. */
  readonly expired?: boolean;
}

const DEFAULT_SANS = ['DNS:localhost', 'IP:127.0.0.1'];

/**
 * Real certificates for tests, made with openssl (installed by tools/scripts/ensure-deps.sh): a
 * CA, another CA nobody trusts, and leaf certificates for both server and client use, each
 * written as a directory in the layout of a cert-manager Secret (tls.crt, tls.key, ca.crt).
 * EC P-256 keys: fast to make.
 */
export class TestPki {
  readonly root: string;
  private serial = 1;

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'alertgate-pki-'));
    this.makeCa('ca');
    this.makeCa('other-ca');
  }

  /** The trusted CA's certificate. */
  get caFile(): string {
    return join(this.root, 'ca', 'ca.crt');
  }

  /** Issues a certificate into <root>/<name>/ and returns that directory. */
  issue(name: string, options: IssueOptions = {}): string {
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    const ca = join(this.root, options.untrusted ? 'other-ca' : 'ca');
    writeFileSync(
      join(dir, 'ext.cnf'),
      `subjectAltName=${(options.sans ?? DEFAULT_SANS).join(',')}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`,
    );
    openssl(
      ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', `/CN=${name}`],
      dir,
    );
    if (options.expired) {
      this.signExpired(ca, dir);
    } else {
      const serial = String(this.serial++);
      openssl(
        [
          'x509',
          '-req',
          '-in',
          'tls.csr',
          '-CA',
          join(ca, 'ca.crt'),
          '-CAkey',
          join(ca, 'ca.key'),
          '-set_serial',
          serial,
          '-out',
          'tls.crt',
          '-days',
          '2',
          '-extfile',
          'ext.cnf',
        ],
        dir,
      );
    }
    // ca.crt is what this identity trusts: always the main CA, as a Secret from the same issuer has.
    copyFileSync(this.caFile, join(dir, 'ca.crt'));
    rmSync(join(dir, 'tls.csr'));
    return dir;
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private makeCa(name: string): void {
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '30',
        '-subj',
        `/CN=alertgate-test-${name}`,
      ],
      dir,
    );
  }

  /** `openssl x509` cannot date a certificate in the past; `openssl ca` can. */
  private signExpired(ca: string, dir: string): void {
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), `${(1000 + this.serial++).toString(16).padStart(4, '0')}\n`);
    writeFileSync(
      join(dir, 'ca.cnf'),
      `[ca]\ndefault_ca=test\n[test]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=any\nunique_subject=no\n[any]\ncommonName=supplied\n`,
    );
    openssl(
      [
        'ca',
        '-batch',
        '-notext',
        '-config',
        'ca.cnf',
        '-cert',
        join(ca, 'ca.crt'),
        '-keyfile',
        join(ca, 'ca.key'),
        '-in',
        'tls.csr',
        '-out',
        'tls.crt',
        '-startdate',
        '20200101000000Z',
        '-enddate',
        '20200102000000Z',
        '-extfile',
        'ext.cnf',
      ],
      dir,
    );
  }
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}
