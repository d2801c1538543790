// A/B verdicts of real pull requests (bench/ab-collect.mjs): for every condition (service,
// design, commit, neighbour) the collected pairs are replayed through perfgate's own A/B procedure
// (`analyzeAb` + `stopReason` at the looks of `lookSchedule`), for several gate sets and minimum
// effects: how often an unchanged PR ends quiet or fails, how often a slowed one is caught, after
// how many pairs and in what wall time. A PR is a random order of one job's pairs (pairs stay
// whole: trial i of base and head, every scenario), read up to max-trials; draws of one job share
// its pairs, so the jobs, not the draws, bound what the rates can claim (both are printed).
// Usage: node bench/ab-verdicts.mjs [--draws 200]   → bench/RESULTS-verdicts.md
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeAb, lookSchedule, stopReason } from '../build/analysis/ab.js';
import { AB_DEFAULTS, REGRESSION_DEFAULTS } from '../build/config/types.js';
import { createRng } from '../build/stats/rng.js';
import { DATA, SERVICES } from './ab-collect.mjs';
import { machine, median, pct, ROOT, table } from './lib.mjs';
import { shuffle } from './verdicts.mjs';

const { values } = parseArgs({ options: { draws: { type: 'string', default: '200' } } });
const DRAWS = Number(values.draws);

/** The gate sets compared: which metrics can fail the run, and their minimum effects. */
export const GATES = [
  { name: 'p95, throughput, errors (before CPU time was measured)', gate: ['p95', 'rps', 'workflows_per_s', 'errors'], delta: {} },
  {
    name: 'p95, CPU/request δ 5 %, errors (the A/B default before)',
    gate: ['p95', 'rps', 'workflows_per_s', 'errors', 'cpu_per_request'],
    delta: { cpu_per_request: 0.05 },
  },
  { name: 'CPU/request δ 5 %, errors', gate: ['cpu_per_request', 'errors'], delta: { cpu_per_request: 0.05 } },
  { name: '**CPU/request δ 4 %, errors (the duet default)**', gate: ['cpu_per_request', 'errors'], delta: { cpu_per_request: 0.04 } },
  { name: 'CPU/request δ 3 %, errors', gate: ['cpu_per_request', 'errors'], delta: { cpu_per_request: 0.03 } },
  { name: 'CPU/request δ 3 %, errors, p95 δ 50 %', gate: ['cpu_per_request', 'errors', 'p95'], delta: { cpu_per_request: 0.03, p95: 0.5 } },
];

const jobs = readdirSync(DATA)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(DATA, f), 'utf8')));
if (!jobs.length) throw new Error(`no collected jobs in ${DATA}: run node bench/ab-collect.mjs --plan full first`);

// Jobs collected before the pairs' pace was recorded take their condition's others'.
for (const j of jobs)
  j.secondsPerPair ??= median(
    jobs.filter((o) => o.secondsPerPair && o.service === j.service && o.design === j.design).map((o) => o.secondsPerPair),
  );

const key = (j) => `${j.service}|${j.design}|${j.knob}|${j.neighbour}`;
const conditions = new Map();
for (const j of jobs) conditions.set(key(j), [...(conditions.get(key(j)) ?? []), j]);

/** One replayed PR: the pairs of `job` in the order `idx`, read look by look. */
function replay(job, idx, g) {
  const max = Math.min(AB_DEFAULTS.maxTrials, idx.length);
  const looks = lookSchedule(AB_DEFAULTS.minTrials, max, AB_DEFAULTS.step);
  const names = Object.keys(job.scenarios);
  const settings = {
    alpha: REGRESSION_DEFAULTS.alpha,
    looks: looks.length,
    delta: { ...REGRESSION_DEFAULTS.delta, ...g.delta },
    gate: g.gate,
    openModel: new Set(names.filter((n) => job.scenarios[n].open)),
  };
  let comparisons = [];
  let n = 0;
  for (const look of looks) {
    n = look;
    const side = (s) =>
      new Map(
        names.map((name) => [
          name,
          idx
            .slice(0, look)
            .map((i) => job.scenarios[name][s][i])
            .filter(Boolean),
        ]),
      );
    comparisons = analyzeAb(side('base'), side('head'), settings);
    if (stopReason(comparisons, look)) break;
  }
  const gating = comparisons.filter((c) => c.gating !== false);
  return {
    fail: gating.some((c) => c.outcome === 'regression'),
    quiet: gating.length > 0 && gating.every((c) => c.outcome === 'confident pass'),
    n,
    // The job's fixed cost (worktree, starts, warm-ups, the head's ramp) and its pace per pair.
    wall: job.wallSeconds - job.pairs * job.secondsPerPair + n * job.secondsPerPair,
    caughtBy: gating.filter((c) => c.outcome === 'regression').map((c) => c.metric),
  };
}

function evaluate(condJobs, g, rng) {
  const out = [];
  for (const job of condJobs) {
    const all = Array.from({ length: job.pairs }, (_, i) => i);
    for (let d = 0; d < DRAWS; d++) out.push(replay(job, shuffle(rng, all), g));
  }
  return out;
}

const sdOf = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};
/** Per-pair spread of log(head/base) and the geometric-mean ratio, per metric, over a condition's scenarios. */
function spreads(condJobs, pick) {
  const sds = [];
  const ratios = [];
  for (const job of condJobs)
    for (const s of Object.values(job.scenarios)) {
      const logs = s.base
        .map((b, i) => [pick(b), pick(s.head[i] ?? {})])
        .filter(([b, h]) => b > 0 && h > 0)
        .map(([b, h]) => Math.log(h / b));
      if (logs.length < 3) continue;
      sds.push(sdOf(logs));
      ratios.push(Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length));
    }
  if (!sds.length) return '–';
  return `×${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)} · ${Math.min(...sds).toFixed(3)}–${Math.max(...sds).toFixed(3)}`;
}

const rng = createRng(20261202);
const sections = [];
for (const service of Object.keys(SERVICES)) {
  const conds = [...conditions.entries()].filter(([k]) => k.startsWith(`${service}|`));
  if (!conds.length) continue;
  const sdRows = conds
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, cj]) => {
      const j = cj[0];
      return [
        j.design,
        j.knob ? `+${j.knob * 100} % handler work` : 'nothing (same build)',
        j.neighbour ? 'switched at random' : 'none',
        `${cj.length} × ${j.pairs}`,
        spreads(cj, (t) => t.cpuPerRequest),
        spreads(cj, (t) => t.p50),
        spreads(cj, (t) => t.p95),
      ];
    });
  const rows = [];
  for (const design of ['duet', 'interleaved']) {
    const dc = conds.filter(([k]) => k.split('|')[1] === design);
    if (!dc.length) continue;
    const knobs = [...new Set(dc.map(([, cj]) => cj[0].knob))].filter((k) => k > 0).sort((a, b) => a - b);
    for (const g of GATES) {
      const cells = [design, g.name];
      const aa = (nb) => dc.find(([k]) => k === `${service}|${design}|0|${nb}`)?.[1];
      const aaAll = [];
      for (const nb of [false, true]) {
        const cj = aa(nb);
        if (!cj) {
          cells.push('–');
          continue;
        }
        const r = evaluate(cj, g, rng);
        aaAll.push(...r);
        cells.push(
          `${pct(r.filter((x) => x.quiet).length / r.length, 0)} quiet · ${pct(r.filter((x) => x.fail).length / r.length, 1)} fail (${cj.length} job${cj.length === 1 ? '' : 's'})`,
        );
      }
      cells.push(aaAll.length ? `${median(aaAll.map((x) => x.n))} · ${median(aaAll.map((x) => x.wall)).toFixed(0)} s` : '–');
      const caught = knobs.map((k) => {
        const cj = dc.filter(([key]) => key.startsWith(`${service}|${design}|${k}|`)).flatMap(([, c]) => c);
        const r = evaluate(cj, g, rng);
        const by = [...new Set(r.flatMap((x) => x.caughtBy))].join(', ');
        return `+${k * 100} %: ${pct(r.filter((x) => x.fail).length / r.length, 0)} (${median(r.map((x) => x.n))} pairs, ${median(r.map((x) => x.wall)).toFixed(0)} s${by ? `; ${by}` : ''})`;
      });
      cells.push(caught.join('<br>') || '–');
      rows.push(cells);
    }
  }
  sections.push(`### ${SERVICES[service].label}

Per-pair agreement (B/A range over scenarios · sd of log(B/A) per pair, range over scenarios):

${table(['design', 'head differs by', 'neighbour', 'jobs × pairs', 'CPU/request', 'p50', 'p95'], sdRows)}

Verdicts (each job's pairs replayed ${DRAWS} times in random order; min-trials ${AB_DEFAULTS.minTrials}, max ${AB_DEFAULTS.maxTrials} or the job's pairs, looks every ${AB_DEFAULTS.step}):

${table(['design', 'gate', 'unchanged PR, no neighbour', 'unchanged PR, neighbour', 'unchanged: median pairs · wall', 'slowed PRs caught (median pairs, wall; caught by)'], rows)}
`);
}

const dates = jobs.map((j) => j.date).sort();
const md = `# A/B verdicts on real commits (from \`npm run bench:verdicts\`)

- Machine: ${machine()}; jobs collected ${dates[0]} … ${dates[dates.length - 1]}; analysed ${new Date().toISOString()}
- Data: ${jobs.length} jobs of \`perfgate run --against HEAD~1\` (bench/ab-collect.mjs; real commits in a temporary repository; ab.min-trials = ab.max-trials = the job's pairs), in \`bench/data/ab/\`.
- A PR is a random order of one job's pairs read with perfgate's stopping rule; quiet = every gating comparison a confident pass; fail = a gating regression proven. Wall time = the job's fixed cost (its wall time less its pairs: worktree, starts, warm-ups, the head's stress ramp) + the pairs read × the job's seconds per pair (from the pairs' start times).
- The neighbour: a CPU-bound process switched on and off at random (2–8 s each way) for the whole job.

${sections.join('\n')}`;
writeFileSync(join(ROOT, 'bench', 'RESULTS-verdicts.md'), md);
process.stdout.write(md);
