import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const { tools } = JSON.parse(readFileSync(join(root, 'tools', 'external-tools.json'), 'utf8')) as { tools: Record<string, { apt?: string; built?: string }> };

/** Every TypeScript source of the workspace (generated code and dependencies left out). */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (['node_modules', 'dist', 'gen', '.nx', 'var'].includes(entry)) return [];
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The programs named by a string literal as the first argument of a call that starts a process. */
function spawnedPrograms(text: string): string[] {
  const calls = /\b(?:spawn|spawnSync|execFile|execFileSync|run)\(\s*'([^']+)'/g;
  return [...text.matchAll(calls)].map((match) => match[1] ?? '');
}

describe('external tools (tools/external-tools.json, the one list ensure-deps installs)', () => {
  // This file's own examples of calls are not calls.
  const files = ['libs', 'apps', 'tools', 'e2e'].flatMap((dir) => sources(join(root, dir))).filter((file) => file !== __filename);

  it('lists every program the code starts by name', () => {
    const missing = files.flatMap((file) =>
      spawnedPrograms(readFileSync(file, 'utf8'))
        .filter((program) => !(program in tools))
        .map((program) => `${relative(root, file)}: ${program}`),
    );
    expect(missing).toEqual([]);
  });

  it('finds the calls it checks (the scan cannot pass by finding nothing)', () => {
    const found = new Set(files.flatMap((file) => spawnedPrograms(readFileSync(file, 'utf8'))));
    for (const program of ['redis-server', 'redis-cli', 'etcd', 'openssl', 'promtool']) expect(found).toContain(program);
    expect(spawnedPrograms("spawn('x', [])\nexecFileSync(\n  'y')")).toEqual(['x', 'y']);
  });

  it('says for every tool how the project installs it', () => {
    for (const [name, how] of Object.entries(tools)) {
      expect([name, Boolean(how.apt) !== Boolean(how.built)]).toEqual([name, true]);
      if (how.built) expect(existsSync(join(root, how.built))).toBe(true);
    }
  });
});
