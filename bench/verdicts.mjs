// False alarms (A/A) and detection power of both modes, replaying perfgate's own decision
// procedures on the trials recorded by bench/collect.mjs. Trials are only ever resampled within
// the job that produced them: trials of one service start are not independent of each other.
// Usage: node bench/verdicts.mjs [--quick]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeAb, lookSchedule, stopReason } from '../build/analysis/ab.js';
import { analyzeRegressions } from '../build/analysis/regression.js';
import { REGRESSION_DEFAULTS } from '../build/config/types.js';
import { clopperPearson } from '../build/stats/binomial.js';
import { createRng } from '../build/stats/rng.js';
import { median, pct, profileFromArgs, ROOT, table } from './lib.mjs';

const AB = { min: 6, step: 2 };
const HISTORY_TRIALS = 5; // trials per run in history mode (perfgate's default)

export function loadData(name) {
  return JSON.parse(readFileSync(join(ROOT, 'bench', 'data', `trials-${name}.json`), 'utf8'));
}

export function shuffle(rng, xs) {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
const sample = (rng, xs, k) => shuffle(rng, xs).slice(0, k);
const resampleWithReplacement = (rng, xs, k) => Array.from({ length: k }, () => xs[rng.int(xs.length)]);

/**
 * A/B mode's sequential procedure on given per-side sequences: looks, early stop, verdict.
 * `stopOnRegression` false replays the old rule (stop only when every gating comparison is
 * decided), for bench/ab-stopping.mjs; `gate`: regression.gate (default: perfgate's; null: every metric).
 */
export function runAbProcedure(base, head, max, { stopOnRegression = true, gate = REGRESSION_DEFAULTS.gate, min = AB.min } = {}) {
  const looks = lookSchedule(min, max, AB.step);
  const settings = { alpha: REGRESSION_DEFAULTS.alpha, looks: looks.length, delta: REGRESSION_DEFAULTS.delta, gate: gate ?? undefined };
  let comparisons = [];
  let n = 0;
  for (const look of looks) {
    n = look;
    comparisons = analyzeAb(new Map([['s', base.slice(0, look)]]), new Map([['s', head.slice(0, look)]]), settings);
    const gating = comparisons.filter((c) => c.gating !== false);
    if (stopOnRegression ? stopReason(comparisons, look) : !gating.some((c) => c.outcome === 'inconclusive')) break;
  }
  const gating = comparisons.filter((c) => c.gating !== false);
  return {
    comparisons,
    fail: gating.some((c) => c.outcome === 'regression'),
    warn: gating.some((c) => c.outcome === 'inconclusive'),
    quiet: gating.every((c) => c.outcome === 'confident pass'),
    n,
    p50: comparisons.find((c) => c.metric === 'p50'),
  };
}

/** A stored history record of one run's trials, the i-th hour of 2026. */
export function record(id, trials, i, machine = null) {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString();
  return {
    kind: 'perfgate-run',
    schemaVersion: 1,
    id,
    savedAt: at,
    startedAt: at,
    name: 'bench',
    fingerprint: 'fp',
    runner: 'r',
    git: null,
    verdict: 'pass',
    scenarios: [{ name: 's', trials, ...(machine ? { machine } : {}) }],
  };
}

/** History mode's procedure: the PR run's trials against runs built from other jobs. */
export function runHistoryProcedure(prTrials, historyRuns) {
  const records = historyRuns.map((t, i) => record(`h${i}`, t, i));
  const a = analyzeRegressions(
    records,
    { fingerprint: 'fp', runner: 'r', scenarios: [{ name: 's', trials: prTrials }] },
    REGRESSION_DEFAULTS,
    'bench',
  );
  return {
    fail: a.counts.regression > 0,
    warn: a.counts.inconclusive > 0,
    p50: a.comparisons.find((c) => c.metric === 'p50'),
  };
}

export function analyse(data) {
  const rng = createRng(20261126);
  const p = data.profile;
  const maxPerSide = Math.floor(p.trialsPerJob / 2);
  const out = { aa: {}, power: [] };

  // A/A, A/B mode: a job's trials split at random into two sides, the procedure run on them.
  const abAA = [];
  for (const job of data.jobs) {
    for (let r = 0; r < p.resamples; r++) {
      const t = shuffle(rng, job.trials);
      abAA.push(runAbProcedure(t.slice(0, maxPerSide), t.slice(maxPerSide, 2 * maxPerSide), maxPerSide));
    }
  }
  // A/A, history mode: one job held out as the PR, every other job one stored run.
  const histAA = [];
  const perHoldout = Math.ceil((p.resamples * data.jobs.length) / data.jobs.length);
  data.jobs.forEach((job, j) => {
    for (let r = 0; r < perHoldout; r++) {
      const others = data.jobs.filter((_, i) => i !== j).map((o) => sample(rng, o.trials, HISTORY_TRIALS));
      histAA.push(runHistoryProcedure(sample(rng, job.trials, HISTORY_TRIALS), others));
    }
  });
  const rate = (xs, key) => {
    const k = xs.filter((x) => x[key]).length;
    return { k, n: xs.length, rate: k / xs.length, ci: clopperPearson(k, xs.length) };
  };
  out.aa = {
    ab: { fail: rate(abAA, 'fail'), warn: rate(abAA, 'warn'), trials: median(abAA.map((x) => x.n)), maxPerSide },
    history: {
      fail: rate(histAA, 'fail'),
      warn: rate(histAA, 'warn'),
      mde: median(histAA.map((x) => x.p50?.mde ?? NaN).filter(Number.isFinite)),
    },
  };

  // Power: the interleaved A/B job at each level (bootstrap within each side), and the same
  // head trials as a PR run against the history jobs.
  for (const job of data.ab) {
    const max = Math.min(job.base.length, job.head.length, 20);
    const abRuns = [];
    const histRuns = [];
    for (let r = 0; r < p.resamples * 2; r++) {
      abRuns.push(runAbProcedure(resampleWithReplacement(rng, job.base, max), resampleWithReplacement(rng, job.head, max), max));
      const others = data.jobs.map((o) => sample(rng, o.trials, HISTORY_TRIALS));
      histRuns.push(runHistoryProcedure(sample(rng, job.head, HISTORY_TRIALS), others));
    }
    const effect = Math.exp(median(job.head.map((t) => Math.log(t.p50)))) / Math.exp(median(job.base.map((t) => Math.log(t.p50)))) - 1;
    out.power.push({
      level: job.level,
      effect,
      ab: { ...rate(abRuns, 'fail'), trials: median(abRuns.map((x) => x.n)), max },
      history: rate(histRuns, 'fail'),
    });
  }
  return out;
}

export function render(data, v) {
  const ci = (r) => `${pct(r.rate)} (${r.k}/${r.n}; 95 % CI ${pct(r.ci[0])}–${pct(r.ci[1])})`;
  const aa = table(
    ['Mode', 'Comparisons', 'False-fail rate per PR', 'Warning (inconclusive) rate', 'Notes'],
    [
      [
        'A/B',
        String(v.aa.ab.fail.n),
        ci(v.aa.ab.fail),
        pct(v.aa.ab.warn.rate),
        `random split of a job's trials; looks at ${lookSchedule(6, v.aa.ab.maxPerSide, 2).join(', ')} per side; median stop at ${v.aa.ab.trials}`,
      ],
      [
        'history',
        String(v.aa.history.fail.n),
        ci(v.aa.history.fail),
        pct(v.aa.history.warn.rate),
        `one job held out as the PR, ${data.jobs.length - 1} jobs as stored runs, 5 trials per run; median p50 MDE ${pct(v.aa.history.mde)}`,
      ],
    ],
  );
  const power = table(
    ['SLOWDOWN', 'Measured p50 change', 'A/B detection', 'A/B trials per side (median)', 'History detection'],
    v.power.map((r) => [String(r.level), `+${pct(r.effect)}`, ci(r.ab), `${r.ab.trials} (max ${r.ab.max})`, ci(r.history)]),
  );
  return { aa, power };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const data = loadData(profileFromArgs().name);
  const v = analyse(data);
  const { aa, power } = render(data, v);
  console.log(
    `A/A (false alarms), ${data.profile.durationMs / 1000} s trials, ${data.profile.connections} connections:\n\n${aa}\n\nPower:\n\n${power}`,
  );
}
