// What the duet's decision rule does with an unchanged build, by design: one gating comparison
// replayed on simulated pairs (normal log-ratios with sd σ; a process pair's own effect τ, shared
// by the pairs between two restarts; a whole run's side bias κ), through perfgate's own look
// schedule, crossover points and crossed-over t test (build/), and its rule: a regression needs
// p ≤ α / looks and a change of at least δ; a confident pass, the interval's upper bound below δ.
// Per comparison, without Holm (which only makes the family's smallest p stricter), so each row
// is what one gating comparison adds to an unchanged PR's chance of failing. A second table sets
// the confident pass's level β apart from α (today one level serves both) and adds builds whose
// CPU per request really rose (+6 %, +10 %): how often each is caught, and how often it ends as a
// confident pass (missed).
// Writes bench/RESULTS-ab-same-build-model.md.
//   node bench/ab-same-build-model.mjs [--replays N]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lookSchedule } from '../build/analysis/ab.js';
import { AB_DEFAULTS } from '../build/config/types.js';
import { crossoverPoints } from '../build/pipeline/ab/duet.js';
import { crossoverT } from '../build/stats/paired.js';
import { createRng } from '../build/stats/rng.js';
import { ROOT, table } from './lib.mjs';

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const REPLAYS = Number(arg('--replays', '20000'));
const DELTA = Math.log1p(0.04); // CPU per request's default δ
const looks = lookSchedule(AB_DEFAULTS.minTrials, AB_DEFAULTS.maxTrials, AB_DEFAULTS.step);

/** Per pair: its arrangement and its process pair, as the duet restarts (swap: true after every pair for a restart per pair). */
function design(everyPair) {
  const swaps = crossoverPoints(looks);
  const arrangement = [];
  const block = [];
  let a = 0;
  let b = 0;
  for (let i = 0; i < AB_DEFAULTS.maxTrials; i++) {
    if (i > 0 && (everyPair || swaps.includes(i))) {
      a = 1 - a;
      b++;
    }
    arrangement.push(a);
    block.push(b);
  }
  return { arrangement, block, restarts: b };
}

function normal(rng) {
  const u = Math.max(rng.next(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

function replay({ sd, tau, kappa, alpha, beta = alpha, shift = 0, everyPair = false }) {
  const rng = createRng(12345);
  const { arrangement, block } = design(everyPair);
  const level = alpha / looks.length;
  const passLevel = beta / looks.length;
  let failed = 0;
  let quiet = 0;
  const pairs = [];
  for (let r = 0; r < REPLAYS; r++) {
    const bias = kappa * normal(rng);
    const own = Array.from({ length: block[block.length - 1] + 1 }, () => tau * normal(rng));
    const d = arrangement.map((_, i) => shift + bias + own[block[i]] + sd * normal(rng));
    let stopped = AB_DEFAULTS.maxTrials;
    for (const n of looks) {
      const t = crossoverT(d.slice(0, n), arrangement.slice(0, n), 1 - 2 * level);
      if (t.pGreater <= level && t.estimate >= DELTA) {
        failed++;
        stopped = n;
        break;
      }
      const upper = beta === alpha ? t.upper : crossoverT(d.slice(0, n), arrangement.slice(0, n), 1 - 2 * passLevel).upper;
      if (upper < DELTA) {
        quiet++;
        stopped = n;
        break;
      }
    }
    pairs.push(stopped);
  }
  pairs.sort((x, y) => x - y);
  return { failed: failed / REPLAYS, quiet: quiet / REPLAYS, pairs: pairs[Math.floor(REPLAYS / 2)] };
}

const pct = (x) => `${(100 * x).toFixed(2)} %`;
const cases = [];
for (const alpha of [0.05, 0.01, 0.001])
  for (const [sd, tau, kappa] of [
    [0.03, 0, 0],
    [0.045, 0, 0],
    [0.06, 0, 0],
    [0.045, 0.02, 0],
    [0.045, 0, 0.01],
    [0.06, 0.02, 0.01],
  ])
    for (const everyPair of [false, true]) cases.push({ sd, tau, kappa, alpha, everyPair });

const rows = cases.map((c) => {
  const r = replay(c);
  return [
    String(c.alpha),
    c.sd.toFixed(3),
    c.tau.toFixed(3),
    c.kappa.toFixed(3),
    c.everyPair ? `every pair (${design(true).restarts} restarts at 20 pairs)` : `the duet's (${design(false).restarts} at 20 pairs)`,
    pct(r.failed),
    pct(r.quiet),
    String(r.pairs),
  ];
});

// α and β apart, and builds that did change: the demo's measured σ (0.045) with and without a run lean.
const levels = [
  [0.05, 0.05],
  [0.01, 0.01],
  [0.01, 0.05],
  [0.01, 0.1],
  [0.001, 0.05],
];
const shifts = [
  ['unchanged', 0],
  ['+6 %', Math.log1p(0.06)],
  ['+10 %', Math.log1p(0.1)],
];
const apart = [];
for (const [alpha, beta] of levels)
  for (const [sd, kappa] of [
    [0.045, 0],
    [0.045, 0.01],
    [0.06, 0.01],
  ]) {
    const cells = shifts.map(([, shift]) => replay({ sd, tau: 0, kappa, alpha, beta, shift }));
    apart.push([
      String(alpha),
      String(beta),
      sd.toFixed(3),
      kappa.toFixed(3),
      pct(cells[0].failed),
      pct(cells[0].quiet),
      String(cells[0].pairs),
      ...cells.slice(1).flatMap((c) => [pct(c.failed), pct(c.quiet)]),
    ]);
  }

const md = `# The same build in a duet, by design: one gating comparison's false fails

\`node bench/ab-same-build-model.mjs --replays ${REPLAYS}\`: per row ${REPLAYS} simulated unchanged PRs of one gating comparison
(CPU per request: δ 4 %), normal log-ratios per pair with sd σ, plus τ (a process pair's own effect, shared by the pairs
between two restarts) and κ (the run's side bias, shared by all its pairs), through perfgate's own looks (${looks.join(', ')}),
crossover points and crossed-over t test, and its rule: a regression needs p ≤ α / ${looks.length} and a change of at
least δ. No Holm: a PR gated on several comparisons fails more often than any one row, up to α in all.
The measured σ of CPU per request of the demo's own config, without a neighbour, is 0.028–0.053
(\`bench/RESULTS-ab-same-build-all-pairs.md\`).

${table(['α', 'σ', 'τ', 'κ', 'restarts', 'false fail', 'quiet (confident pass)', 'median pairs'], rows)}

## A confident pass at its own level β

Today one level, α / ${looks.length} per look, decides both a regression (p) and a confident pass (the
interval's upper bound below δ). With β apart, a regression still needs p ≤ α / ${looks.length}; a confident
pass needs the upper bound of the one-sided interval at β / ${looks.length} below δ. β bounds how often a
change of exactly δ ends as a confident pass; α how often an unchanged build fails. Same replays, the
duet's restarts, no τ; a changed build's CPU per request really rose by the share named.

${table(['α', 'β', 'σ', 'κ', 'unchanged: false fail', 'unchanged: quiet', 'median pairs', '+6 %: caught', '+6 %: confident pass', '+10 %: caught', '+10 %: confident pass'], apart)}
`;
writeFileSync(join(ROOT, 'bench', 'RESULTS-ab-same-build-model.md'), md);
process.stdout.write(md);
