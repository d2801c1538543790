// The same build on both sides of a duet, as the demo's own perfgate.yml runs it (the demo service
// as base and head, 2 s trials, the default A/B settings and gate): how often an unchanged PR
// fails, ends quiet, and how long it takes, with a CPU-bound neighbour on or off. Every run's
// pairs are kept (per scenario and latency: each pair's log-ratio head/base, which build held the
// first slot), with a one-way analysis of variance of the log-ratios on the process pair (a run of
// pairs between two restarts) within each arrangement: whether pairs on one pair of processes
// share a difference the analysis, which counts pairs as independent, would read as an effect.
// Writes bench/RESULTS-ab-same-build.md and bench/data/ab-same-build.json.
//   npm run bench:ab-same-build [-- --runs N] [-- --neighbour on|off|both] [-- --report-only]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGate } from '../build/pipeline/gate.js';
import { tQuantile } from '../build/stats/distributions.js';
import { crossoverT } from '../build/stats/paired.js';
import { silentProgress } from '../build/util/progress.js';
import { DEMO, machine, median, rateText, ROOT, table } from './lib.mjs';

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const RUNS = Number(arg('--runs', '6'));
const NEIGHBOUR = { on: [true], off: [false], both: [false, true] }[arg('--neighbour', 'on')];
// --all-pairs: α so small that nothing is decided, so every run reaches max-trials pairs (8 process
// pairs): the process-pair analysis then has enough of them; false fails and quiet are not read from these runs.
const ALL_PAIRS = process.argv.includes('--all-pairs');

/** The demo's own perfgate.yml with the demo as the base build too, no history (as the integration test runs it). */
function config(dir) {
  const own = readFileSync(join(ROOT, 'perfgate.yml'), 'utf8')
    .replace('command: node fixtures/demo-service/server.js', `command: node ${JSON.stringify(DEMO)}`)
    .replace(
      /^load:/m,
      `baseline:\n  service:\n    command: node ${JSON.stringify(DEMO)}\n    port: auto\n    ready: { http: /health, timeout: 20s }\n    metrics: { url: /metrics }\nhistory: { store: none }\n${ALL_PAIRS ? 'regression: { alpha: 0.000000001 }\n' : ''}load:`,
    );
  const file = join(dir, 'perfgate.yml');
  writeFileSync(file, own);
  return file;
}

/** The process pairs of a duet: runs of pairs between restarts, read from which build held the first slot. */
function processPairs(firstSlot) {
  const block = [];
  let b = 0;
  for (let i = 0; i < firstSlot.length; i++) {
    if (i > 0 && firstSlot[i] !== firstSlot[i - 1]) b++;
    block.push(b);
  }
  return block;
}

const mean = (xs) => xs.reduce((a, x) => a + x, 0) / xs.length;

/** A run's crossed-over estimate (the mean of the two arrangements' mean log-ratios) and its t, as perfgate's analysis computes them. */
function crossedOver(lr, firstSlot) {
  const t = crossoverT(
    lr,
    [...firstSlot].map((c) => (c === 'B' ? 0 : 1)),
  );
  return { estimate: t.estimate, t: t.estimate / ((t.upper - t.lower) / 2 / tQuantile(0.975, lr.length - 2)) };
}

/**
 * One-way ANOVA of the log-ratios on the process pair, within each arrangement (so the slot's
 * effect is not counted as a process pair's): F, its degrees of freedom, and the process pair's
 * own sd (τ, method of moments, 0 when F ≤ 1).
 */
function processPairAnova(lr, firstSlot) {
  const block = processPairs(firstSlot);
  const groups = new Map();
  lr.forEach((x, i) => {
    if (!groups.has(block[i])) groups.set(block[i], { slot: firstSlot[i], xs: [] });
    groups.get(block[i]).xs.push(x);
  });
  const slotMean = {};
  for (const s of ['B', 'H']) {
    const xs = lr.filter((_, i) => firstSlot[i] === s);
    if (xs.length) slotMean[s] = mean(xs);
  }
  const gs = [...groups.values()];
  const dfB = gs.length - Object.keys(slotMean).length;
  const dfW = lr.length - gs.length;
  if (dfB < 1 || dfW < 1) return null;
  const ssB = gs.reduce((a, g) => a + g.xs.length * (mean(g.xs) - slotMean[g.slot]) ** 2, 0);
  const ssW = gs.reduce((a, g) => a + g.xs.reduce((b, x) => b + (x - mean(g.xs)) ** 2, 0), 0);
  const msB = ssB / dfB;
  const msW = ssW / dfW;
  const nBar = (lr.length - gs.reduce((a, g) => a + g.xs.length ** 2, 0) / lr.length) / (gs.length - 1);
  return { F: msB / msW, dfB, dfW, sdWithin: Math.sqrt(msW), tau: Math.sqrt(Math.max(0, (msB - msW) / nBar)) };
}

async function once(neighbour) {
  const dir = mkdtempSync(join(tmpdir(), 'perfgate-same-build-'));
  const noise = neighbour ? spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }) : null;
  try {
    const started = Date.now();
    const o = await runGate({
      config: config(dir),
      outDir: join(dir, 'out'),
      overrides: { durationMs: 2000, unjudgeable: 'warn' },
      progress: silentProgress,
    });
    const ab = o.result.ab;
    const gating = ab.comparisons.filter((c) => c.gating !== false);
    const headPairs = ab.headPairs?.scenarios ?? o.result.scenarios;
    const pairs = {};
    for (const base of ab.base.scenarios) {
      const head = headPairs.find((s) => s.name === base.name);
      if (!head) continue;
      for (const metric of ['p50', 'p95']) {
        const lr = base.trials.map((b, i) => Math.log(head.trials[i].latency[metric] / b.latency[metric]));
        pairs[`${metric} of ${base.name}`] = { lr, anova: processPairAnova(lr, ab.firstSlot) };
      }
      const lr = base.trials.map((b, i) => Math.log(head.trials[i].serviceCpu?.perRequestUs / b.serviceCpu?.perRequestUs));
      if (lr.every(Number.isFinite)) pairs[`cpu_per_request of ${base.name}`] = { lr, anova: processPairAnova(lr, ab.firstSlot) };
    }
    return {
      neighbour,
      exitCode: o.exitCode,
      verdict: o.result.verdict,
      wallS: (Date.now() - started) / 1000,
      pairs: ab.trialsPerSide,
      firstSlot: ab.firstSlot,
      stoppedBecause: ab.stoppedBecause,
      proven: gating
        .filter((c) => c.outcome === 'regression')
        .map((c) => ({ key: `${c.metric} of ${c.scenario}`, change: c.change, ci: c.ci, spread: c.spread })),
      quiet: gating.every((c) => c.outcome === 'confident pass'),
      open: gating.filter((c) => c.outcome === 'inconclusive').map((c) => `${c.metric} of ${c.scenario}`),
      logRatios: pairs,
    };
  } finally {
    noise?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = Date.now();
const NAME = ALL_PAIRS ? 'ab-same-build-all-pairs' : 'ab-same-build';
const DATA = join(ROOT, 'bench', 'data', `${NAME}.json`);
// --report-only: the tables from the runs already in the data file (a collection stopped early).
const reportOnly = process.argv.includes('--report-only');
const runs = reportOnly ? JSON.parse(readFileSync(DATA, 'utf8')).runs : [];
for (const neighbour of reportOnly ? [] : NEIGHBOUR)
  for (let i = 0; i < RUNS; i++) {
    const r = await once(neighbour);
    process.stderr.write(
      `same build, neighbour ${neighbour ? 'on' : 'off'}, run ${i + 1}/${RUNS}: exit ${r.exitCode}, ${r.pairs} pairs, ${Math.round(r.wallS)} s${r.proven.length ? `, proven ${r.proven.map((p) => p.key).join(', ')}` : ''}\n`,
    );
    runs.push(r);
    writeFileSync(DATA, `${JSON.stringify({ machine: machine(), runs }, null, 1)}\n`);
  }

const rows = [false, true]
  .map((neighbour) => {
    const rs = runs.filter((r) => r.neighbour === neighbour);
    if (!rs.length) return null;
    return [
      neighbour ? 'CPU-bound' : 'none',
      rateText(rs.filter((r) => r.exitCode !== 0).length, rs.length),
      rateText(rs.filter((r) => r.quiet).length, rs.length),
      `${median(rs.map((r) => r.pairs))}`,
      `${Math.round(median(rs.map((r) => r.wallS)))} s`,
      rs.flatMap((r) => r.proven.map((p) => `${p.key} ${(p.change * 100).toFixed(1)} % (${r.pairs} pairs, ${r.firstSlot})`)).join('; ') ||
        '–',
    ];
  })
  .filter(Boolean);
// Per metric and neighbour, over the runs: the median F, within-pair sd and τ, how many runs had a
// process pair's own part over half the within-pair sd, and each run's crossed-over change and its
// t (the mean of the two arrangements' means over its standard error): an unchanged build's t
// scatters as Student's t with n − 2 degrees of freedom (sd 1.06 at 20 pairs) if the pairs are
// independent; wider if the run as a whole leans to one side.
const keys = [...new Set(runs.flatMap((r) => Object.keys(r.logRatios)))];
const anovaRows = [false, true].flatMap((neighbour) =>
  keys
    .map((k) => {
      const rs = runs.filter((r) => r.neighbour === neighbour && r.logRatios[k]);
      const as = rs.map((r) => r.logRatios[k].anova).filter(Boolean);
      if (!as.length) return null;
      const crossed = rs.map((r) => crossedOver(r.logRatios[k].lr, r.firstSlot));
      return [
        k,
        neighbour ? 'CPU-bound' : 'none',
        `${as.length}`,
        median(as.map((a) => a.F)).toFixed(2),
        median(as.map((a) => a.sdWithin)).toFixed(3),
        median(as.map((a) => a.tau)).toFixed(3),
        `${as.filter((a) => a.tau > a.sdWithin / 2).length}`,
        crossed.map((c) => `${(100 * Math.expm1(c.estimate)).toFixed(1)} %`).join(', '),
        crossed.map((c) => c.t.toFixed(2)).join(', '),
      ];
    })
    .filter(Boolean),
);

const md = `# The same build on both sides of a duet: false fails, quiet, and whether process pairs differ

${machine()}. \`npm run bench:ab-same-build -- ${ALL_PAIRS ? '--all-pairs ' : ''}--runs ${RUNS} --neighbour ${arg('--neighbour', 'on')}\`${reportOnly ? `: the tables written by \`--report-only\` from the ${runs.length} runs in the data file (${runs.filter((r) => !r.neighbour).length} without a neighbour, ${runs.filter((r) => r.neighbour).length} beside one; ${Math.round(runs.reduce((a, r) => a + r.wallS, 0) / 60)} min of runs)` : ` (${Math.round((Date.now() - started) / 60000)} min in all)`}. Each run is
the demo's own \`perfgate.yml\` with the demo service as both base and head (\`runGate\`, 2 s trials, the default A/B settings and gate), as the
integration test "the demo's own perfgate.yml, the same build on both sides" runs it; "CPU-bound": a \`while :; do :; done\` shell beside the run.

${
  ALL_PAIRS
    ? `With \`--all-pairs\` the runs gate at α 10⁻⁹, so that nothing is decided and every run reaches ${median(runs.map((r) => r.pairs))} pairs: false fails and quiet are not read from them.`
    : table(
        [
          'neighbour',
          'false fail (gate failed)',
          'quiet (every gating comparison a confident pass)',
          'median pairs',
          'median wall',
          'proven (change, pairs, first slots)',
        ],
        rows,
      )
}

## Do pairs on one pair of processes share a difference?

The duet restarts both builds only where the first slot changes hands, so several pairs run on one pair of processes. Per metric,
a one-way analysis of variance of the pairs' log-ratios on the process pair, within each arrangement (the slot's effect removed): F
near 1 and τ (the process pair's own sd, method of moments) near 0 mean pairs on one pair of processes are no more alike than pairs
on different ones; "τ > sd/2" counts the runs where the process pair's own part was over half the within-pair sd. Then each
run's crossed-over change and its t: with independent pairs an unchanged build's t scatters as Student's t (sd 1.06 at 20 pairs,
1.41 at 6); wider means the run as a whole leans to one side, which no analysis within the run can see.

${table(['metric', 'neighbour', 'runs', 'median F', 'median within-pair sd', 'median τ', 'runs with τ > sd/2', "runs' change", "runs' t"], anovaRows)}

Per run: \`bench/data/${NAME}.json\` (every pair's log-ratio per metric, the first slots, what was proven).
`;
writeFileSync(join(ROOT, 'bench', `RESULTS-${NAME}.md`), md);
process.stderr.write(md);
