import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A bound for one kubectl call, so that a hung API server fails the test instead of stalling it. */
const KUBECTL_TIMEOUT_MS = 60_000;

/** The suite's API server (started by the global setup): admin kubeconfig and kubectl. */
export function testKube(): { kubeconfig: string; kubectl: string } {
  const kubeconfig = process.env['ALERTGATE_TEST_KUBECONFIG'];
  const kubectl = process.env['ALERTGATE_KUBECTL'];
  if (!kubeconfig || !kubectl) throw new Error('the test API server is not running: run the tests with npm test');
  return { kubeconfig, kubectl };
}

/** kubectl as cluster-admin (or with another kubeconfig); resolves with stdout, rejects with stderr. */
export async function kubectl(args: readonly string[], options: { kubeconfig?: string; input?: string } = {}): Promise<string> {
  const { kubeconfig, kubectl: binary } = testKube();
  const child = run(binary, ['--kubeconfig', options.kubeconfig ?? kubeconfig, ...args], { timeout: KUBECTL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  if (options.input !== undefined) {
    child.child.stdin?.end(options.input);
  }
  try {
    return (await child).stdout;
  } catch (err) {
    const { stderr = '', killed = false } = err as { stderr?: string; killed?: boolean };
    if (killed) throw new Error(`kubectl ${args.join(' ')} was killed after its timeout of ${KUBECTL_TIMEOUT_MS} ms`);
    throw new Error(`kubectl ${args.join(' ')} failed: ${stderr || String(err)}`);
  }
}

/** A namespace of one's own (namespaces never finish deleting without a controller-manager). */
export async function testNamespace(label: string): Promise<string> {
  const name = `${label
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '')
    .slice(0, 40)}-${randomBytes(3).toString('hex')}`;
  await kubectl(['create', 'namespace', name]);
  return name;
}
