// Bundles each app (and the developer tools) into dist/ with esbuild. An app's bundle holds the
// project's code and libs (resolved through tsconfig paths) and its npm packages, except the few
// that runtime-packages.mjs keeps in node_modules. The tools keep every npm package external.
// Usage: node tools/build/build-apps.mjs [--tools]
import { build } from 'esbuild';

import { RUNTIME_PACKAGES } from './runtime-packages.mjs';
import { readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const apps = {};
for (const app of readdirSync(join(root, 'apps'))) {
  const main = join(root, 'apps', app, 'src', 'main.ts');
  if (existsSync(main)) apps[`apps/${app}/main`] = main;
}
const tools = {};
if (process.argv.includes('--tools')) {
  for (const tool of [
    'bench',
    'bench-memory',
    'bench-scripts',
    'bench-transport',
    'chaos',
    'fuzz',
    'start-system',
    'k8s-test-env',
    'deploy-local',
    'redis-report',
  ]) {
    const main = join(root, 'tools', tool, 'main.ts');
    if (existsSync(main)) tools[`tools/${tool}`] = main;
  }
}
const common = {
  absWorkingDir: root,
  outdir: join(root, 'dist'),
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  tsconfig: join(root, 'tsconfig.base.json'),
  logLevel: 'warning',
};
// An app's bundle is minified in whitespace and syntax, not in names (so errors and classes keep
// theirs): the Kubernetes client's generated models alone are 16 MB as written. The source maps
// name the original files and lines for --enable-source-maps' stack traces; the sources themselves
// stay out of them, which would double an image's bundle.
// Packages published as ES modules that create a require of their own read import.meta.url,
// which a CommonJS bundle has as its file's URL.
const importMetaUrl = {
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__importMetaUrl' },
};
await build({
  ...common,
  ...importMetaUrl,
  entryPoints: apps,
  external: RUNTIME_PACKAGES,
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  sourcesContent: false,
});
if (Object.keys(tools).length > 0) await build({ ...common, entryPoints: tools, packages: 'external', sourcemap: true });
