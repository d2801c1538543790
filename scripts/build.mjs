// Bundles the Action (dist/index.js) and the CLI (dist/cli/index.js) with ncc.
// dist/ is committed: the Action runs from it. `npm run check-dist` fails when it is stale.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const ncc = createRequire(import.meta.url).resolve('@vercel/ncc/dist/ncc/cli.js');
rmSync('dist', { recursive: true, force: true });
const bundles = [
  ['src/action/index.ts', 'dist'],
  ['src/cli/bin.ts', 'dist/cli'],
];
for (const [entry, out] of bundles) {
  execFileSync(process.execPath, [ncc, 'build', entry, '-o', out, '--license', 'licenses.txt', '-q'], { stdio: 'inherit' });
}
chmodSync('dist/cli/index.js', 0o755);
// The dashboard inlines uPlot; the Action has no node_modules, so a copy ships in dist/.
mkdirSync('dist/vendor', { recursive: true });
for (const f of ['uPlot.iife.min.js', 'uPlot.min.css', '../LICENSE'])
  copyFileSync(`node_modules/uplot/dist/${f}`, `dist/vendor/${f.replace('../', 'uPlot.')}`);
