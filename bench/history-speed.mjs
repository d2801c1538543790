// Benchmark: baseline selection + regression analysis over a 1000-run history.
// Run: npm run bench:history-speed   (compiles src/ to build/ with tsc, then runs this script)
// Prints a Markdown table of medians over repeated measurements, measured in one process.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyzeRegressions } from '../build/analysis/regression.js';
import { REGRESSION_DEFAULTS } from '../build/config/types.js';
import { DirStore } from '../build/history/dir-store.js';
import { createRng } from '../build/stats/rng.js';

const RUNS = Number(process.env.RUNS ?? 1000);
const REPEATS = Number(process.env.REPEATS ?? 21);
const SCENARIOS = ['browse products', '1000 concurrent connections', 'payment workflow'];
const FP = 'bench-fingerprint';
const RUNNER = 'linux-x64 · bench · 2 cores · node 20';
const rng = createRng(2026);

function trials(level, k = 5) {
  const j = (x) => x * Math.exp(0.03 * rng.normal());
  return Array.from({ length: k }, () => ({
    p50: j(level),
    p95: j(level * 2.5),
    p99: j(level * 4),
    rps: j(1000),
    workflowsPerSec: j(150),
    attempts: 5000,
    errors: rng.int(3),
  }));
}

function record(i) {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 600_000).toISOString();
  return {
    kind: 'perfgate-run',
    schemaVersion: 1,
    id: `bench-${String(i).padStart(5, '0')}`,
    savedAt: at,
    startedAt: at,
    name: 'bench',
    // A realistic mix: most runs match, some are other configs or runners.
    fingerprint: i % 10 === 0 ? 'other-config' : FP,
    runner: i % 17 === 0 ? 'darwin-arm64 · M2 · 8 cores · node 22' : RUNNER,
    git: {
      sha: i.toString(16).padStart(40, '0'),
      branch: 'main',
      defaultBranch: 'main',
      onDefaultBranch: true,
      pullRequest: false,
      event: 'push',
    },
    verdict: 'pass',
    scenarios: SCENARIOS.map((name, s) => ({ name, trials: trials(2 + s + (i > 900 ? 0.3 : 0)) })),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'perfgate-bench-'));
const store = new DirStore(dir);
for (let i = 0; i < RUNS; i++) await store.save(record(i));
const current = { fingerprint: FP, runner: RUNNER, scenarios: SCENARIOS.map((name, s) => ({ name, trials: trials(2.6 + s) })) };

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const times = { load: [], analyze: [], total: [] };
let last;
for (let r = 0; r < REPEATS; r++) {
  const t0 = performance.now();
  const { records } = await store.load();
  const t1 = performance.now();
  last = analyzeRegressions(records, current, REGRESSION_DEFAULTS, store.label);
  const t2 = performance.now();
  times.load.push(t1 - t0);
  times.analyze.push(t2 - t1);
  times.total.push(t2 - t0);
}
rmSync(dir, { recursive: true, force: true });

const f = (x) => x.toFixed(1);
console.log(
  `history benchmark: ${RUNS} stored runs × ${SCENARIOS.length} scenarios × 5 trials; ${REPEATS} repeats; ${cpus()[0].model}, node ${process.version}`,
);
console.log(
  `comparisons per analysis: ${last.comparisons.length}, baseline runs used: ${last.baseline.length}, regressions found: ${last.counts.regression}\n`,
);
console.log('| step | median (ms) | min (ms) | max (ms) |');
console.log('|---|---|---|---|');
for (const [k, label] of [
  ['load', 'load 1000 files from the dir store'],
  ['analyze', 'baseline selection + analysis'],
  ['total', 'load + selection + analysis'],
]) {
  console.log(`| ${label} | ${f(median(times[k]))} | ${f(Math.min(...times[k]))} | ${f(Math.max(...times[k]))} |`);
}
const goal = median(times.analyze) <= 100;
console.log(`\ngoal: selection + analysis ≤ 100 ms: ${goal ? 'met' : 'NOT met'} (median ${f(median(times.analyze))} ms)`);
