// Rebuilds dist/ and fails when it differs from what is committed: the Action runs from dist/,
// so a stale bundle would ship old code.
import { execFileSync } from 'node:child_process';

execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
const changes = execFileSync('git', ['status', '--porcelain', '--', 'dist'], { encoding: 'utf8' }).trim();
if (changes) {
  console.error(`dist/ is stale: run \`npm run build\` and commit dist/.\n${changes}`);
  execFileSync('git', ['--no-pager', 'diff', '--stat', '--', 'dist'], { stdio: 'inherit' });
  process.exit(1);
}
console.log('dist/ is up to date.');
