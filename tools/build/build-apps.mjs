// Bundles each app (and the developer tools) into dist/ with esbuild: the project's own code and
// libs (resolved through tsconfig paths) are bundled; npm packages stay external, loaded from
// node_modules at run time, so OpenTelemetry's instrumentations can patch them.
// Usage: node tools/build/build-apps.mjs [--tools]
import { build } from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entryPoints = {};
for (const app of readdirSync(join(root, 'apps'))) {
  const main = join(root, 'apps', app, 'src', 'main.ts');
  if (existsSync(main)) entryPoints[`apps/${app}/main`] = main;
}
if (process.argv.includes('--tools')) {
  for (const tool of ['bench', 'bench-memory', 'bench-scripts', 'bench-transport', 'chaos', 'fuzz', 'start-system', 'k8s-test-env', 'deploy-local', 'redis-report']) {
    const main = join(root, 'tools', tool, 'main.ts');
    if (existsSync(main)) entryPoints[`tools/${tool}`] = main;
  }
}
await build({
  absWorkingDir: root,
  entryPoints,
  outdir: join(root, 'dist'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  tsconfig: join(root, 'tsconfig.base.json'),
  sourcemap: true,
  logLevel: 'warning',
});
