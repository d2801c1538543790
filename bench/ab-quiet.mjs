// How often an unchanged pull request ends quiet ("confident pass" on every comparison) in A/B
// mode, replayed on the recorded A/A trials at today's defaults (looks every 2 trials from 6), and
// which metrics keep a PR from being quiet. The data holds 10 trials per side at most.
// Usage: npm run bench:ab-quiet
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeAb, lookSchedule } from '../build/analysis/ab.js';
import { REGRESSION_DEFAULTS } from '../build/config/types.js';
import { clopperPearson } from '../build/stats/binomial.js';
import { createRng } from '../build/stats/rng.js';
import { loadData, shuffle } from './verdicts.mjs';
import { machine, pct, profileFromArgs, ROOT, table } from './lib.mjs';

const profile = profileFromArgs();
const data = loadData(profile.name);
const rng = createRng(20261203);
const maxPerSide = Math.floor(data.profile.trialsPerJob / 2);

const rows = [];
for (const max of [6, 8, 10].filter((m) => m <= maxPerSide)) {
  const looks = lookSchedule(6, max, 2);
  const settings = { alpha: REGRESSION_DEFAULTS.alpha, looks: looks.length, delta: REGRESSION_DEFAULTS.delta };
  let quiet = 0;
  let fail = 0;
  let n = 0;
  const open = {};
  for (const job of data.jobs)
    for (let r = 0; r < data.profile.resamples * 4; r++) {
      const t = shuffle(rng, job.trials);
      let comparisons = [];
      for (const look of looks) {
        comparisons = analyzeAb(new Map([['s', t.slice(0, look)]]), new Map([['s', t.slice(maxPerSide, maxPerSide + look)]]), settings);
        if (!comparisons.some((c) => c.outcome === 'inconclusive')) break;
      }
      n++;
      if (comparisons.every((c) => c.outcome === 'confident pass')) quiet++;
      if (comparisons.some((c) => c.outcome === 'regression')) fail++;
      for (const c of comparisons) if (c.outcome === 'inconclusive') open[c.metric] = (open[c.metric] ?? 0) + 1;
    }
  const ci = (k) => {
    const [lo, hi] = clopperPearson(k, n);
    return `${pct(k / n)} (${k}/${n}; 95 % CI ${pct(lo)}–${pct(hi)})`;
  };
  rows.push([
    `${looks.join(', ')}`,
    ci(quiet),
    ci(fail),
    Object.entries(open)
      .sort((a, b) => b[1] - a[1])
      .map(([m, k]) => `${m} ${pct(k / n)}`)
      .join(', ') || '–',
  ]);
}

const md = `# A/B: how often an unchanged PR ends quiet

- Machine: ${machine()}; date: ${new Date().toISOString()}
- Data: \`bench/data/trials-${profile.name}.json\` (${data.jobs.length} same-build jobs × ${data.profile.trialsPerJob} trials of ${data.profile.durationMs / 1000} s, ${data.profile.connections} connections, one scenario); each PR is a random split of one job's trials into base and head; command: \`npm run bench:ab-quiet\`
- Quiet: every comparison (p50, p95, p99, throughput, errors) a confident pass (its interval's upper end below δ: p50 ${pct(REGRESSION_DEFAULTS.delta.p50)}, p95/p99 ${pct(REGRESSION_DEFAULTS.delta.p95)}, throughput ${pct(REGRESSION_DEFAULTS.delta.rps)}).

${table(['Looks (trials per side)', 'Quiet (confident pass on every comparison)', 'False fail', 'Still inconclusive at the end, by metric'], rows)}
`;
writeFileSync(join(ROOT, 'bench', 'RESULTS-ab-quiet.md'), md);
process.stdout.write(md);
