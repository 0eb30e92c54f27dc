// Jest loads global setup/teardown outside its module system (no tsconfig paths), so they are
// bundled with esbuild first, the same way the apps are.
const { buildSync } = require('esbuild');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const outdir = join(root, 'dist', 'test');

function load(name) {
  buildSync({
    absWorkingDir: root,
    entryPoints: { [name]: join(__dirname, 'src', `${name}.ts`) },
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    tsconfig: join(root, 'tsconfig.base.json'),
    logLevel: 'warning',
  });
  return require(join(outdir, `${name}.js`)).default;
}

module.exports = { load };
