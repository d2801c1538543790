// Shared helpers for the benchmarks of the gate itself. They use perfgate's own modules as
// compiled by `tsc` into build/ (npm run bench* does that first).
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { clopperPearson } from '../build/stats/binomial.js';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO = join(ROOT, 'fixtures', 'demo-service', 'server.js');

export const PROFILES = {
  // perfgate's defaults: 10 connections, 2 s warm-up, 5 s trials (closed model).
  full: {
    durationMs: 5000,
    warmupMs: 2000,
    connections: 10,
    jobs: 8,
    trialsPerJob: 20,
    abTrialsPerSide: 20,
    levels: [0.05, 0.1, 0.2, 0.35],
    resamples: 60,
  },
  quick: {
    durationMs: 1000,
    warmupMs: 500,
    connections: 10,
    jobs: 6,
    trialsPerJob: 12,
    abTrialsPerSide: 12,
    levels: [0.1, 0.35],
    resamples: 60,
  },
};

export function profileFromArgs(argv = process.argv) {
  const name = argv.includes('--quick') ? 'quick' : 'full';
  return { name, ...PROFILES[name] };
}

export function machine() {
  return `${cpus()[0].model}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** A config (as YAML) of one scenario against the demo products endpoint. */
export function demoYaml(p, { headEnv = {}, baseEnv = null, trials } = {}) {
  const env = (e) =>
    `{ ${Object.entries(e)
      .map(([k, v]) => `${k}: "${v}"`)
      .join(', ')} }`;
  return `name: bench
service:
  command: node ${JSON.stringify(DEMO)}
  env: ${env(headEnv)}
  ready: { http: /health, timeout: 20s }
${baseEnv ? `baseline:\n  service:\n    command: node ${JSON.stringify(DEMO)}\n    env: ${env(baseEnv)}\n    ready: { http: /health, timeout: 20s }\n` : ''}history: { store: none }
load: { connections: ${p.connections}, warmup: ${p.warmupMs}ms, duration: ${p.durationMs}ms, trials: ${trials ?? p.trialsPerJob} }
scenarios:
  - { name: products, request: { path: /api/products } }
`;
}

export { median, table } from './format.mjs';

export const pct = (f, d = 1) => `${(f * 100).toFixed(d)} %`;

/** "12.5 % (15/120; 95 % CI 7.2 %–19.8 %)": a rate with its Clopper–Pearson interval. */
export function rateText(k, n) {
  const [lo, hi] = clopperPearson(k, n);
  return `${pct(k / n)} (${k}/${n}; 95 % CI ${pct(lo)}–${pct(hi)})`;
}

/**
 * A git repository for real-commit benchmarks in `dir` (its files already written): node_modules
 * linked, .perfgate ignored, a README, one commit. Returns a git runner for later commits.
 */
export function benchRepo(dir, message) {
  const git = (...args) =>
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { cwd: dir, encoding: 'utf8' }).trim();
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, '.gitignore'), '.perfgate/\nnode_modules\n');
  writeFileSync(join(dir, 'README.md'), '# bench\n');
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', message);
  return git;
}

/** A commit that changes only the README: an unchanged PR. */
export function docsOnlyCommit(dir, git) {
  writeFileSync(join(dir, 'README.md'), '# bench\n\nA sentence that changes nothing the service does.\n');
  git('commit', '-q', '-am', 'docs only');
}
