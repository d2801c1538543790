// A small git repository for runs against another build (run-against.test.ts, stored-build.test.ts):
// a Node.js service whose handler hashes a number of rounds, the code change between commits.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';

export const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

/** A service whose handler hashes `rounds` times: the code change between commits is that number. */
export const server = (rounds: number): string => `const http = require('node:http');
const crypto = require('node:crypto');
const ROUNDS = ${rounds};
http.createServer((req, res) => {
  let h = 'x';
  for (let i = 0; i < ROUNDS; i++) h = crypto.createHash('sha1').update(h).digest('hex');
  res.end(JSON.stringify({ h }));
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`;

/** The config: `extra` lines before `load:`, and where history goes (none by default). */
export const config = (extra = '', history = '{ store: none }'): string => `name: against
service:
  command: node server.js
  port: auto
  ready: { http: /, timeout: 15s }
${extra}load: { connections: 2, warmup: 200ms, duration: 400ms }
ab: { min-trials: 4, max-trials: 6, step: 2 }
history: ${history}
scenarios:
  - { name: root, request: { path: / } }
targets: [ "rate(errors) < 1%" ]
`;

/**
 * A repository: commit 1 fast, commit 2 ten times the hashing per request (service CPU per
 * request ×6–8 with the HTTP work around it). Three times (CPU ×2.5) sat at the edge of what 4–6
 * pairs of 400 ms prove after Holm at a strict α: pairs scatter ±7–15 % here, ±30 % on a busy runner.
 */
export function repo(extra = '', history?: string): { dir: string; first: string; second: string } {
  const dir = tempDir('perfgate-against-');
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'server.js'), server(300));
  writeFileSync(join(dir, 'perfgate.yml'), config(extra, history));
  writeFileSync(join(dir, '.gitignore'), '.perfgate/\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'fast');
  const first = git(dir, 'rev-parse', 'HEAD');
  writeFileSync(join(dir, 'server.js'), server(3000));
  git(dir, 'commit', '-q', '-am', 'slower');
  return { dir, first, second: git(dir, 'rev-parse', 'HEAD') };
}

export const worktrees = (dir: string): number => git(dir, 'worktree', 'list').split('\n').length;
