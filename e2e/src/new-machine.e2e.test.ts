import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');

/** The check's own lines ("clean-root: …") and how it ended. */
function runCleanRootCheck(): Promise<{ code: number | null; lines: string[]; output: string }> {
  return new Promise((done, reject) => {
    const child = spawn('bash', ['tools/new-machine/clean-root-check.sh'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => done({ code, output, lines: output.split('\n').filter((line) => line.startsWith('clean-root: ')) }));
  });
}

/**
 * The README's promise to a newcomer, from a clean Debian root with only Node in it
 * (tools/new-machine/clean-root-check.sh): npm start installs what it needs and runs, and
 * ensure-deps installs every tool of tools/external-tools.json. A program the code starts that the
 * list lacks fails libs/local-env/src/external-tools.spec.ts; an install step that npm start or
 * ensure-deps lacks, or a list entry that does not install, fails here.
 */
describe('a new machine', () => {
  it('runs npm start and installs every listed tool, from a clean root', async () => {
    const { code, lines, output } = await runCleanRootCheck();
    if (code !== 0) throw new Error(`clean-root-check.sh exited ${String(code)}:\n${output.slice(-6000)}`);
    expect(lines.some((line) => /^clean-root: the machine's Node v(?!24\.)\d+\.\S+; Node v24\.\d+\.\d+ fetched into an empty cache/.test(line))).toBe(true);
    expect(lines.some((line) => /^clean-root: npm start ready in \d+ s/.test(line))).toBe(true);
    expect(lines.some((line) => line.startsWith('clean-root: npm start, redis-report, one alert, Ctrl-C, SIGTERM ok'))).toBe(true);
    expect(lines).toContain('clean-root: every tool of tools/external-tools.json is installed');
    expect(lines.some((line) => line.startsWith('clean-root: ensure-deps and the tool list ok'))).toBe(true);
    // The figures, for the run's log.
    process.stdout.write(`${lines.join('\n')}\n`);
  }, 900_000);
});
