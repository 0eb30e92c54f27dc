import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createLogger } from '@alertgate/logging';

import { SenderTokens, withTokenReview, type SenderTokensOptions, type TokenSource } from './sender-tokens.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const auth = (source: TokenSource, graceMs = 60_000): SenderTokensOptions => ({ source, reloadIntervalMs: 1_000, graceMs });
const bearer = (token: string): string => `Bearer ${token}`;
const AM = 'alertmanager-token-0001';
const EXPORTER = 'exporter-token-00000001';

/** A Secret volume as the kubelet writes it: each key a link into ..data, swapped at once. */
function secretVolume(keys: Record<string, string>): { dir: string; update: (next: Record<string, string>) => void } {
  const root = mkdtempSync(join(tmpdir(), 'alertgate-senders-'));
  const dir = join(root, 'mount');
  mkdirSync(dir);
  let version = 0;
  const write = (next: Record<string, string>): string => {
    const at = join(root, `..v${version++}`);
    mkdirSync(at);
    for (const [name, token] of Object.entries(next)) writeFileSync(join(at, name), `${token}\n`);
    return at;
  };
  symlinkSync(write(keys), join(dir, '..data'));
  for (const name of Object.keys(keys)) symlinkSync(join('..data', name), join(dir, name));
  return {
    dir,
    update: (next) => {
      symlinkSync(write(next), join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      for (const name of Object.keys(next)) if (!Object.keys(keys).includes(name)) symlinkSync(join('..data', name), join(dir, name));
    },
  };
}

describe('SenderTokens', () => {
  it('names the sender of each token of a Secret directory, and refuses the rest', async () => {
    const { dir } = secretVolume({ alertmanager: AM, 'event-exporter': EXPORTER });
    const tokens = await SenderTokens.load(auth({ kind: 'directory', path: dir }), logger);
    expect(tokens.senders()).toEqual(['alertmanager', 'event-exporter']);
    expect(tokens.senderOf(bearer(AM))).toBe('alertmanager');
    expect(tokens.senderOf(bearer(EXPORTER))).toBe('event-exporter');
    for (const header of [undefined, '', 'Bearer ', `Basic ${AM}`, bearer(`${AM}x`), bearer(AM.slice(0, -1)), AM])
      expect(tokens.senderOf(header)).toBeUndefined();
  });

  it('reads a YAML mapping, and one token file under its sender name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alertgate-senders-'));
    writeFileSync(join(dir, 'senders.yaml'), `alertmanager: ${AM}\nevent-exporter: "${EXPORTER}"\n`);
    writeFileSync(join(dir, 'token'), `${AM}\n`);
    expect((await SenderTokens.load(auth({ kind: 'mapping', path: join(dir, 'senders.yaml') }), logger)).senderOf(bearer(EXPORTER))).toBe('event-exporter');
    expect((await SenderTokens.load(auth({ kind: 'file', path: join(dir, 'token'), sender: 'default' }), logger)).senderOf(bearer(AM))).toBe('default');
  });

  it.each([
    ['no token', {}, /no token in it/],
    ['a short token', { alertmanager: 'short' }, /the token of sender "alertmanager" must be at least 16 characters/],
    ['a name that is not a DNS label', { 'Alert Manager': AM }, /sender name "Alert Manager" must be a DNS label/],
    ['one token for two senders', { a: AM, b: AM }, /senders "a" and "b" have the same token/],
  ])('refuses to start with %s, naming the variable', async (_what, tokens, message) => {
    await expect(SenderTokens.load(auth({ kind: 'fixed', tokens }), logger)).rejects.toThrow(message);
    await expect(SenderTokens.load(auth({ kind: 'fixed', tokens }), logger)).rejects.toThrow(/^INGEST_TOKEN: /);
  });

  it('refuses a file it cannot read, naming it', async () => {
    await expect(SenderTokens.load(auth({ kind: 'file', path: '/nonexistent/token', sender: 'default' }), logger)).rejects.toThrow(
      /^INGEST_TOKEN_FILE \/nonexistent\/token: /,
    );
  });

  it('rotates: the replaced token stays valid for the grace time, then is refused; the new one at once', async () => {
    let now = 1_000_000;
    const volume = secretVolume({ alertmanager: AM });
    const tokens = await SenderTokens.load(auth({ kind: 'directory', path: volume.dir }, 60_000), logger, () => now);
    const next = 'alertmanager-token-0002';
    volume.update({ alertmanager: next });
    expect(await tokens.reload()).toBe(true);
    expect(tokens.senderOf(bearer(next))).toBe('alertmanager');
    now += 59_999;
    expect(tokens.senderOf(bearer(AM))).toBe('alertmanager');
    now += 1;
    expect(tokens.senderOf(bearer(AM))).toBeUndefined();
    expect(await tokens.reload()).toBe(false);
  });

  it('keeps the tokens in use when changed files do not check out, and takes a sender added later', async () => {
    const volume = secretVolume({ alertmanager: AM });
    const tokens = await SenderTokens.load(auth({ kind: 'directory', path: volume.dir }), logger);
    volume.update({ alertmanager: 'short' });
    expect(await tokens.reload()).toBe(false);
    expect(tokens.senderOf(bearer(AM))).toBe('alertmanager');
    volume.update({ alertmanager: AM, 'event-exporter': EXPORTER });
    expect(await tokens.reload()).toBe(true);
    expect(tokens.senders()).toEqual(['alertmanager', 'event-exporter']);
  });

  it('with no grace time, refuses a replaced token at once', async () => {
    const volume = secretVolume({ alertmanager: AM });
    const tokens = await SenderTokens.load(auth({ kind: 'directory', path: volume.dir }, 0), logger);
    volume.update({ alertmanager: 'alertmanager-token-0003' });
    await tokens.reload();
    expect(tokens.senderOf(bearer(AM))).toBeUndefined();
  });
});

describe('withTokenReview', () => {
  it("tries the senders' own tokens first, then asks the review for any other bearer token", async () => {
    const asked: string[] = [];
    const own = await SenderTokens.load(auth({ kind: 'fixed', tokens: { alertmanager: AM } }), logger);
    const authenticator = withTokenReview(own, (token) => {
      asked.push(token);
      if (token === 'sa-token') return Promise.resolve({ kind: 'authenticated', username: 'system:serviceaccount:monitoring:alertmanager' });
      if (token === 'known-but-unverifiable') return Promise.resolve({ kind: 'unavailable', detail: 'API server unreachable' });
      return Promise.resolve({ kind: 'refused' });
    });
    expect(await authenticator.authenticate(bearer(AM))).toEqual({ kind: 'sender', sender: 'alertmanager' });
    expect(await authenticator.authenticate(bearer('sa-token'))).toEqual({ kind: 'sender', sender: 'system:serviceaccount:monitoring:alertmanager' });
    expect(await authenticator.authenticate(bearer('known-but-unverifiable'))).toEqual({ kind: 'unavailable', detail: 'API server unreachable' });
    expect(await authenticator.authenticate(bearer('other'))).toEqual({ kind: 'refused' });
    expect(await authenticator.authenticate(undefined)).toEqual({ kind: 'refused' });
    expect(asked).toEqual(['sa-token', 'known-but-unverifiable', 'other']);
  });
});
