// Copies the packages that app bundles load at run time (runtime-packages.mjs) and their
// production dependencies, as npm ci installed them, into <target>/node_modules: what an image
// carries besides its bundle. The tree comes from package-lock.json, resolved as Node resolves
// a require: a package's own node_modules first, then each directory above it.
// Usage: node tools/build/runtime-modules.mjs <target>
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { RUNTIME_PACKAGES } from './runtime-packages.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const target = process.argv[2];
if (!target) throw new Error('usage: runtime-modules.mjs <target directory>');
const installed = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages;

/** The lockfile key of `name` as required from the package at `from` ('' for the root). */
function resolveFrom(from, name) {
  for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
    const key = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (installed[key]) return key;
    if (dir === '') return undefined;
  }
}

const closure = new Set();
const pending = RUNTIME_PACKAGES.map((name) => {
  const key = resolveFrom('', name);
  if (!key) throw new Error(`${name} is not in package-lock.json`);
  return key;
});
while (pending.length > 0) {
  const key = pending.pop();
  if (closure.has(key)) continue;
  closure.add(key);
  const { dependencies = {}, optionalDependencies = {} } = installed[key];
  // Type declarations are never loaded at run time.
  for (const name of Object.keys(dependencies).filter((name) => !name.startsWith('@types/'))) {
    const dependency = resolveFrom(key, name);
    if (!dependency) throw new Error(`${key} needs ${name}, which package-lock.json does not have`);
    pending.push(dependency);
  }
  for (const name of Object.keys(optionalDependencies)) {
    const dependency = resolveFrom(key, name);
    if (dependency && existsSync(join(root, dependency))) pending.push(dependency);
  }
}
// What no require reads: type declarations, source maps, documentation. A nested node_modules is
// copied as its own entries, when the closure holds them.
const unused = /(\.d\.[cm]?ts|\.map|\.md)$/i;
for (const key of [...closure].sort()) {
  const from = join(root, key);
  cpSync(from, join(target, key), { recursive: true, filter: (source) => !source.slice(from.length).includes('/node_modules') && !unused.test(source) });
}
process.stdout.write(`${closure.size} packages into ${join(target, 'node_modules')}\n`);
