import { mkdirSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const TLS_KEYS = ['tls.crt', 'tls.key', 'ca.crt'];

/**
 * A directory as the kubelet mounts a Secret: each key a link into ..data, itself a link to the
 * current version's directory, so that an update replaces every key at once (one rename).
 */
export function mountSecretVolume(mount: string, version: string, keys: readonly string[] = TLS_KEYS): void {
  mkdirSync(mount, { recursive: true });
  symlinkSync(version, join(mount, '..data'));
  for (const key of keys) symlinkSync(join('..data', key), join(mount, key));
}

/** A Secret update as the kubelet applies it: ..data swapped to the new version in one rename. */
export function updateSecretVolume(mount: string, version: string): void {
  symlinkSync(version, join(mount, '..data_tmp'));
  renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
}
