// History mode with a noisy neighbour: perfgate's own analysis (analyzeRegressions) replayed on
// the runs recorded by bench/collect-neighbour.mjs (about half of them with a CPU-bound process on the
// same cores for part of the run). Each PR is one recorded run; its baseline is K of the other
// runs, in random order. Reported per K (5, 10, 20 baseline runs): the false-fail rate per PR,
// the share of gating comparisons that end a confident pass, and power at +10 % and +20 % (the
// PR run's latencies multiplied and its throughput divided by 1 + e: a real slowdown on real
// noise). Procedures side by side: every metric gating with each run summarised by the median
// of its trials (perfgate before), the default gate, moderated spreads, and each run's least
// disturbed trial as its level (the default: gate, best trial, own spreads).
// Usage: npm run bench:history-gate [-- --collect]   (--collect records the runs first, ~13 min)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeRegressions } from '../build/analysis/regression.js';
import { REGRESSION_DEFAULTS } from '../build/config/types.js';
import { createRng } from '../build/stats/rng.js';
import { record, shuffle } from './verdicts.mjs';
import { pct, rateText, ROOT, table } from './lib.mjs';

const file = join(ROOT, 'bench', 'data', 'trials-neighbour.json');
if (process.argv.includes('--collect') || !existsSync(file))
  execFileSync(process.execPath, [join(ROOT, 'bench', 'collect-neighbour.mjs')], { stdio: 'inherit' });
const data = JSON.parse(readFileSync(file, 'utf8'));
const RESAMPLES = 25;
const KS = [5, 10, 20].filter((k) => k < data.jobs.length);
const PROCEDURES = {
  'before: every metric gates, median of trials': { ...REGRESSION_DEFAULTS, gate: undefined, summary: 'median' },
  'default gate, median of trials': { ...REGRESSION_DEFAULTS, summary: 'median' },
  'default gate, median of trials, moderated spreads': { ...REGRESSION_DEFAULTS, summary: 'median', spreads: 'moderated' },
  'default gate, best trial, moderated spreads': { ...REGRESSION_DEFAULTS, spreads: 'moderated' },
  'default: gate, best trial, own spreads': REGRESSION_DEFAULTS,
};

/** The PR run slowed by e: every latency × (1 + e), throughput ÷ (1 + e). */
const slowed = (trials, e) =>
  trials.map((t) => ({ ...t, p50: t.p50 * (1 + e), p95: t.p95 * (1 + e), p99: t.p99 * (1 + e), rps: t.rps / (1 + e) }));

function analyse(settings, prTrials, history) {
  const records = history.map((h, i) => record(h.id, h.trials, i));
  const gateSettings = {
    ...settings,
    gate: settings.gate ?? ['p50', 'p95', 'p99', 'rps', 'workflows_per_s', 'errors', 'capacity', 'memory.growth'],
  };
  const a = analyzeRegressions(
    records,
    { fingerprint: 'fp', runner: 'r', scenarios: [{ name: 's', trials: prTrials }] },
    gateSettings,
    'bench',
  );
  const gating = a.comparisons.filter((c) => c.gating !== false && c.outcome !== 'insufficient baseline');
  return {
    fail: gating.some((c) => c.outcome === 'regression'),
    pass: gating.filter((c) => c.outcome === 'confident pass').length,
    n: gating.length,
    quiet: gating.every((c) => c.outcome === 'confident pass'),
    open: gating.filter((c) => c.outcome === 'inconclusive').map((c) => c.metric),
  };
}

const ci = rateText;

const aaRows = [];
const powerRows = [];
for (const [name, settings] of Object.entries(PROCEDURES)) {
  for (const k of KS) {
    const rng = createRng(20261217 + k); // the same draws for every procedure
    const aa = [];
    const power = { 0.1: [], 0.2: [] };
    const open = {};
    data.jobs.forEach((job, j) => {
      const others = data.jobs.filter((_, i) => i !== j);
      for (let r = 0; r < RESAMPLES; r++) {
        const history = shuffle(rng, others).slice(0, k);
        const x = analyse(settings, job.trials, history);
        aa.push(x);
        for (const m of x.open) open[m] = (open[m] ?? 0) + 1;
        for (const e of [0.1, 0.2]) power[e].push(analyse(settings, slowed(job.trials, e), history));
      }
    });
    const passes = aa.reduce((a, x) => a + x.pass, 0);
    const compared = aa.reduce((a, x) => a + x.n, 0);
    aaRows.push([
      name,
      String(k),
      ci(aa.filter((x) => x.fail).length, aa.length),
      ci(passes, compared),
      pct(aa.filter((x) => x.quiet).length / aa.length),
      Object.entries(open)
        .sort((a, b) => b[1] - a[1])
        .map(([m, c]) => `${m} ${pct(c / aa.length)}`)
        .join(', ') || '–',
    ]);
    powerRows.push([name, String(k), ...[0.1, 0.2].map((e) => ci(power[e].filter((x) => x.fail).length, power[e].length))]);
  }
}

const busy = data.jobs.filter((j) => j.neighbour).length;
const md = `# History mode with a noisy neighbour: gate, run level, moderated spreads, confident passes

- Machine: ${data.machine}; recorded ${data.date} in ${data.seconds} s (\`node bench/collect-neighbour.mjs\`); analysed ${new Date().toISOString()}; command: \`npm run bench:history-gate\`
- Data: ${data.jobs.length} runs of the demo (one closed-model scenario, 10 connections, ${data.profile.trialsPerJob} trials of ${data.profile.durationMs / 1000} s, a fresh service each); in ${busy} of them a CPU-bound process shared the 2 cores for 5–20 s of the run. Each PR is one run against K others (random order), ${RESAMPLES} draws per run.
- Gating by default: ${REGRESSION_DEFAULTS.gate.filter((m) => ['p95', 'rps', 'errors'].includes(m)).join(', ')} (this scenario has no workflows, ramp or growth); α = ${REGRESSION_DEFAULTS.alpha}; δ p50 ${pct(REGRESSION_DEFAULTS.delta.p50)}, p95/p99 ${pct(REGRESSION_DEFAULTS.delta.p95)}, throughput ${pct(REGRESSION_DEFAULTS.delta.rps)}, errors ${pct(REGRESSION_DEFAULTS.delta.errors, 2)}.
- Power: the PR run's latencies × (1 + e) and throughput ÷ (1 + e), against the same baselines.

## Unchanged PRs

${table(['Procedure', 'Baseline runs', 'False fail per PR', 'Gating comparisons: confident pass', 'PRs with every gating comparison a confident pass', 'Gating comparisons inconclusive (share of PRs)'], aaRows)}

## Power

${table(['Procedure', 'Baseline runs', 'Caught at +10 %', 'Caught at +20 %'], powerRows)}
`;
writeFileSync(join(ROOT, 'bench', 'RESULTS-history-gate.md'), md);
process.stdout.write(md);
