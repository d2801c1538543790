// Which metrics should gate (regression.gate), judged on the recorded trials: for each candidate
// set, how often an unchanged pull request ends quiet ("confident pass" on every gating
// comparison), how often it fails, and how often a real slowdown is caught, with A/B mode's
// sequential procedure (looks every 2 trials from 6; stop at a proven gating regression or when
// every gating comparison is decided). The A/A data holds 10 trials per side at most.
// Usage: npm run bench:ab-quiet
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REGRESSION_DEFAULTS } from '../build/config/types.js';
import { createRng } from '../build/stats/rng.js';
import { loadData, runAbProcedure, shuffle } from './verdicts.mjs';
import { machine, median, pct, profileFromArgs, rateText, ROOT, table } from './lib.mjs';

const profile = profileFromArgs();
const data = loadData(profile.name);
const maxPerSide = Math.floor(data.profile.trialsPerJob / 2);
const GATES = {
  'every metric (before regression.gate)': null,
  'p95, throughput, errors (default)': REGRESSION_DEFAULTS.gate,
  'p95, errors': ['p95', 'errors'],
  'p50, p95, errors': ['p50', 'p95', 'errors'],
  'p50, p95, p99, errors': ['p50', 'p95', 'p99', 'errors'],
};

const ci = rateText;

const aaRows = [];
const powerRows = [];
for (const [name, gate] of Object.entries(GATES)) {
  // The same resamples for every gate set (the seed is reset per set).
  const rng = createRng(20261203);
  const runs = [];
  const open = {};
  for (const job of data.jobs)
    for (let r = 0; r < data.profile.resamples * 4; r++) {
      const t = shuffle(rng, job.trials);
      const run = runAbProcedure(t.slice(0, maxPerSide), t.slice(maxPerSide, 2 * maxPerSide), maxPerSide, { gate });
      runs.push(run);
      for (const c of run.comparisons) if (c.outcome === 'inconclusive' && c.gating !== false) open[c.metric] = (open[c.metric] ?? 0) + 1;
    }
  const n = runs.length;
  aaRows.push([
    name,
    ci(runs.filter((x) => x.quiet).length, n),
    ci(runs.filter((x) => x.fail).length, n),
    String(median(runs.map((x) => x.n))),
    Object.entries(open)
      .sort((a, b) => b[1] - a[1])
      .map(([m, k]) => `${m} ${pct(k / n)}`)
      .join(', ') || '–',
  ]);
  const cells = [name];
  for (const job of data.ab) {
    const max = Math.min(job.base.length, job.head.length, 20);
    const caught = [];
    for (let r = 0; r < data.profile.resamples * 2; r++) {
      const b = Array.from({ length: max }, () => job.base[rng.int(job.base.length)]);
      const h = Array.from({ length: max }, () => job.head[rng.int(job.head.length)]);
      caught.push(runAbProcedure(b, h, max, { gate }));
    }
    const k = caught.filter((x) => x.fail).length;
    cells.push(`${pct(k / caught.length)} (${median(caught.map((x) => x.n))})`);
  }
  powerRows.push(cells);
}

const effect = (job) => {
  const m = (ts) => median(ts.map((t) => Math.log(t.p50)));
  return Math.expm1(m(job.head) - m(job.base));
};

const md = `# A/B: which metrics gate, and how often an unchanged PR ends quiet

- Machine: ${machine()}; date: ${new Date().toISOString()}
- Data: \`bench/data/trials-${profile.name}.json\` (${data.jobs.length} same-build jobs × ${data.profile.trialsPerJob} trials of ${data.profile.durationMs / 1000} s, ${data.profile.connections} connections, one closed-model scenario; one interleaved base/head job per SLOWDOWN level); command: \`npm run bench:ab-quiet\`
- A/A: each PR is a random split of one job's trials into base and head (at most ${maxPerSide} per side: looks at 6, 8, ${maxPerSide}). Power: bootstrap within each side of the interleaved jobs, up to 20 per side.
- Procedure: perfgate's (\`analyzeAb\` + \`stopReason\`): α = ${REGRESSION_DEFAULTS.alpha} split over the looks, Holm over the gating comparisons only; stop at a proven gating regression or when every gating comparison is decided.
- Quiet: every gating comparison a confident pass (its interval's upper end below δ: p50 ${pct(REGRESSION_DEFAULTS.delta.p50)}, p95/p99 ${pct(REGRESSION_DEFAULTS.delta.p95)}, throughput ${pct(REGRESSION_DEFAULTS.delta.rps)}).

## Unchanged pull requests (A/A)

${table(['Gating metrics', 'Quiet (every gating comparison a confident pass)', 'False fail', 'Trials per side (median)', 'Gating comparisons still inconclusive at the end'], aaRows)}

## Slowdowns caught (detection, median trials per side in brackets)

${table(['Gating metrics', ...data.ab.map((j) => `SLOWDOWN ${j.level} (p50 ${effect(j) >= 0 ? '+' : ''}${pct(effect(j))})`)], powerRows)}
`;
writeFileSync(join(ROOT, 'bench', 'RESULTS-ab-quiet.md'), md);
process.stdout.write(md);
