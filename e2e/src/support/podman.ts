import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** This VM's cgroups fail podman's default crun; runc works, with explicit ulimits. */
const RUNTIME = ['--runtime', 'runc'];
const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

export async function podman(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  try {
    return (await run('podman', [...RUNTIME, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`podman ${args.join(' ')} failed: ${stderr || String(err)}`);
  }
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly env: Readonly<Record<string, string>>;
  /** host path → container path, read-only (a Secret or a kubeconfig as a volume). */
  readonly mounts?: Readonly<Record<string, string>>;
  readonly user: string;
  readonly memory: string;
  readonly cpus: string;
}

/**
 * A container run as a Deployment's pod spec says: its user, a read-only root filesystem with
 * no tmpfs added (Kubernetes adds none), every capability dropped, no privilege escalation,
 * its CPU and memory limits. On the host's network: the services reach each other, Redis and
 * the test API server on loopback, as pods reach Services.
 */
export async function runContainer(spec: ContainerSpec): Promise<void> {
  const env = Object.entries(spec.env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
  const mounts = Object.entries(spec.mounts ?? {}).flatMap(([host, inside]) => ['--volume', `${host}:${inside}:ro`]);
  await podman([
    'run',
    '--detach',
    '--name',
    spec.name,
    '--network',
    'host',
    '--user',
    spec.user,
    '--read-only',
    '--read-only-tmpfs=false',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--memory',
    spec.memory,
    '--cpus',
    spec.cpus,
    ...ULIMITS,
    ...env,
    ...mounts,
    spec.image,
  ]);
}

export async function removeContainer(name: string): Promise<void> {
  await podman(['rm', '--force', '--time', '10', name]).catch(() => undefined);
}
