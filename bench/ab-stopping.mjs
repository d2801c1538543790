// When may A/B sampling stop? Two rules replayed on the recorded trials (bench/data), side by
// side on the same resamples: "final look" (today: sample until every comparison is decided or
// max-trials, the verdict is the last look's) and "first proven regression" (also stop at the
// first look that proves a regression: the verdict can no longer change, so no more runner
// time is spent). Reports A/A false-fail, power and trials per side for both.
// Usage: npm run bench:ab-stopping [-- --quick]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lookSchedule } from '../build/analysis/ab.js';
import { REGRESSION_DEFAULTS } from '../build/config/types.js';
import { clopperPearson } from '../build/stats/binomial.js';
import { createRng } from '../build/stats/rng.js';
import { loadData, runAbProcedure as procedure, shuffle } from './verdicts.mjs';
import { machine, median, pct, profileFromArgs, ROOT, table } from './lib.mjs';

const profile = profileFromArgs();
const data = loadData(profile.name);
const rng = createRng(20261202);
const maxPerSide = Math.floor(data.profile.trialsPerJob / 2);
const rules = { final: false, first: true };
// Every metric gating, as when this comparison was made (before regression.gate).
const ALL = null;
const aa = { final: [], first: [] };
for (const job of data.jobs)
  for (let r = 0; r < data.profile.resamples * 4; r++) {
    const t = shuffle(rng, job.trials);
    for (const [name, stop] of Object.entries(rules))
      aa[name].push(
        procedure(t.slice(0, maxPerSide), t.slice(maxPerSide, 2 * maxPerSide), maxPerSide, { stopOnRegression: stop, gate: ALL }),
      );
  }
const power = [];
for (const job of data.ab) {
  const max = Math.min(job.base.length, job.head.length, 20);
  const runs = { final: [], first: [] };
  for (let r = 0; r < data.profile.resamples * 2; r++) {
    const b = Array.from({ length: max }, () => job.base[rng.int(job.base.length)]);
    const h = Array.from({ length: max }, () => job.head[rng.int(job.head.length)]);
    for (const [name, stop] of Object.entries(rules)) runs[name].push(procedure(b, h, max, { stopOnRegression: stop, gate: ALL }));
  }
  power.push({ level: job.level, runs });
}
const rate = (xs) => {
  const k = xs.filter((x) => x.fail).length;
  const [lo, hi] = clopperPearson(k, xs.length);
  return `${pct(k / xs.length)} (${k}/${xs.length}; 95 % CI ${pct(lo)}–${pct(hi)})`;
};
const md = `# A/B stopping rule: final look vs first proven regression

- Machine: ${machine()}; date: ${new Date().toISOString()}
- Data: \`bench/data/trials-${profile.name}.json\` (${data.jobs.length} A/A jobs × ${data.profile.trialsPerJob} trials; one interleaved job per SLOWDOWN level); command: \`npm run bench:ab-stopping\`
- Looks at ${lookSchedule(6, maxPerSide, 2).join(', ')} per side for A/A (max ${maxPerSide}), α = ${REGRESSION_DEFAULTS.alpha} split over the looks; the same resamples for both rules.

## A/A (same build on both sides)

${table(
  ['Rule', 'False-fail per PR', 'Trials per side (median)'],
  Object.keys(rules).map((r) => [
    r === 'final' ? 'final look (today)' : 'stop at the first proven regression',
    rate(aa[r]),
    String(median(aa[r].map((x) => x.n))),
  ]),
)}

## Power (interleaved base/head jobs, bootstrap within each side)

${table(
  ['SLOWDOWN', 'final look: detection', 'trials (median)', 'first proven regression: detection', 'trials (median)'],
  power.map((p) => [
    String(p.level),
    rate(p.runs.final),
    String(median(p.runs.final.map((x) => x.n))),
    rate(p.runs.first),
    String(median(p.runs.first.map((x) => x.n))),
  ]),
)}
`;
writeFileSync(join(ROOT, 'bench', 'RESULTS-ab-stopping.md'), md);
process.stdout.write(md);
