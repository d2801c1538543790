// History mode's gate, replayed on real runs: perfgate's own analysis (analyzeRegressions) on the
// runs of bench/collect-history.mjs (the demo, each run a fresh service with the yardstick beside
// it; every other run with a CPU-bound neighbour). Each PR is one run against K stored runs of
// the unchanged build drawn at random (never itself). Reported per procedure, K (5, 20) and
// neighbour condition: A/A false fails per PR and the share of gating comparisons that end a
// confident pass (the PR an unchanged run), and power (the PR a run of a slowed build: +10 % or
// +20 % handler CPU, a 2 ms wait per request; the slowdown is real, measured, not multiplied in).
// Neighbour conditions: "off" (every run quiet), "mixed" (PR and stored runs drawn from quiet and
// busy runs alike, as a shared runner gives), "PR busy" (the PR under the neighbour, stored quiet).
// Usage: npm run bench:history [-- --collect] [-- --build DIR --out FILE] [-- --x15 RUNS.json]
//   (--collect records the runs first, ~30 min; --build replays another compiled perfgate)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng } from '../build/stats/rng.js';
import { record, shuffle } from './verdicts.mjs';
import { rateText, ROOT, table } from './lib.mjs';

// --build DIR: another compiled perfgate (tsc's output) to replay, e.g. the code before a change.
const { values } = parseArgs({
  options: { collect: { type: 'boolean' }, build: { type: 'string' }, out: { type: 'string' }, x15: { type: 'string' } },
});
const build = values.build ?? join(ROOT, 'build');
const { analyzeRegressions } = await import(pathToFileURL(join(build, 'analysis', 'regression.js')).href);
const { REGRESSION_DEFAULTS } = await import(pathToFileURL(join(build, 'config', 'types.js')).href);
const file = join(ROOT, 'bench', 'data', 'history-runs.json');
if (values.collect || !existsSync(file)) execFileSync(process.execPath, [join(ROOT, 'bench', 'collect-history.mjs')], { stdio: 'inherit' });
const data = JSON.parse(readFileSync(file, 'utf8'));
const DRAWS = 20;
const KS = [5, 20];

const D = REGRESSION_DEFAULTS;
// Each procedure: the regression settings, and whether the runs' figure of the machine's other work
// (measured with no load sent, before the scenario) reaches the analysis.
const PROCEDURES = {
  [`default (gate: ${D.gate.filter((m) => ['p95', 'rps', 'errors', 'relative_cpu_per_request', 'cpu_per_request', 'p50'].includes(m)).join(', ')})`]:
    { settings: D, machine: true },
  'default, without the busier-machine rule': { settings: D, machine: false },
  'default, CPU per request gating (raw)': { settings: { ...D, gate: [...D.gate, 'cpu_per_request'] }, machine: true },
  'default, CPU per request relative to the yardstick gating': {
    settings: { ...D, gate: [...new Set([...D.gate, 'relative_cpu_per_request'])] },
    machine: true,
  },
  'default, p50 gating too (δ 10 %)': {
    settings: { ...D, gate: [...new Set([...D.gate, 'p50'])], delta: { ...D.delta, p50: 0.1 } },
    machine: true,
  },
};

const runs = data.runs.filter((r) => r.service === 'demo');
const unchanged = runs.filter((r) => r.build === 'unchanged');
const builds = [...new Set(runs.map((r) => r.build))].filter((b) => b !== 'unchanged');
const CONDITIONS = {
  off: { pr: (r) => !r.neighbour, stored: (r) => !r.neighbour },
  mixed: { pr: () => true, stored: () => true },
  'PR busy': { pr: (r) => r.neighbour, stored: (r) => !r.neighbour },
};

/** `machine: false`: the runs' idle-window figure of the machine's other work is not given to the analysis (the gate before it). */
function analyse(settings, pr, stored, { machine = true } = {}) {
  const m = (r) => (machine && r.machine ? r.machine : null);
  const records = stored.map((h, i) => record(h.id, h.trials, i, m(h)));
  const a = analyzeRegressions(
    records,
    { fingerprint: 'fp', runner: 'r', scenarios: [{ name: 's', trials: pr.trials, ...(m(pr) ? { machine: m(pr) } : {}) }] },
    settings,
    'bench',
  );
  const gating = a.comparisons.filter((c) => c.gating !== false && c.outcome !== 'insufficient baseline');
  return {
    fail: gating.some((c) => c.outcome === 'regression'),
    caughtBy: gating.filter((c) => c.outcome === 'regression').map((c) => c.metric),
    pass: gating.filter((c) => c.outcome === 'confident pass').length,
    n: gating.length,
  };
}

const aaRows = [];
const powerRows = [];
for (const [name, { settings, machine }] of Object.entries(PROCEDURES)) {
  for (const [cond, pick] of Object.entries(CONDITIONS)) {
    for (const k of KS) {
      const rng = createRng(20261206 + k); // the same draws for every procedure
      const pool = unchanged.filter(pick.stored);
      const aa = [];
      const power = Object.fromEntries(builds.map((b) => [b, []]));
      const by = Object.fromEntries(builds.map((b) => [b, {}]));
      for (const pr of runs.filter(pick.pr)) {
        const others = pool.filter((r) => r !== pr);
        if (others.length < k) continue;
        for (let d = 0; d < DRAWS; d++) {
          const stored = shuffle(rng, others).slice(0, k);
          const x = analyse(settings, pr, stored, { machine });
          if (pr.build === 'unchanged') aa.push(x);
          else {
            power[pr.build].push(x);
            for (const m of x.caughtBy) by[pr.build][m] = (by[pr.build][m] ?? 0) + 1;
          }
        }
      }
      if (!aa.length) continue;
      const passes = aa.reduce((a, x) => a + x.pass, 0);
      const compared = aa.reduce((a, x) => a + x.n, 0);
      aaRows.push([name, cond, String(k), rateText(aa.filter((x) => x.fail).length, aa.length), rateText(passes, compared)]);
      powerRows.push([
        name,
        cond,
        String(k),
        ...builds.map((b) => {
          const caught = power[b].filter((x) => x.fail).length;
          const top = Object.entries(by[b])
            .sort((p, q) => q[1] - p[1])
            .slice(0, 2)
            .map(([m]) => m)
            .join(', ');
          return `${rateText(caught, power[b].length)}${top ? ` (${top})` : ''}`;
        }),
      ]);
    }
  }
}

// The issue's check: each real unchanged run copied into 12 stored runs with ±2 % run-to-run noise
// (every figure of a copy × one factor), then the same run with every latency × 1.5 judged
// against them. Counted: the runs where that is a proven regression (the gate fails).
// Runs of another file can be given (--x15 FILE, e.g. runs of perfgate's default length).
const x15Runs = values.x15 ? JSON.parse(readFileSync(values.x15, 'utf8')) : data;
const x15Unchanged = x15Runs.runs.filter((r) => r.service === 'demo' && r.build === 'unchanged');
const x15 = Object.entries(PROCEDURES).map(([name, { settings }]) => {
  const xRng = createRng(15);
  const failed = x15Unchanged.map((run) => {
    const stored = Array.from({ length: 12 }, (_, i) => {
      const f = Math.exp(0.02 * xRng.normal());
      return { id: `copy-${i}`, trials: run.trials.map((t) => ({ ...t, p50: t.p50 * f, p95: t.p95 * f, p99: t.p99 * f, rps: t.rps / f })) };
    });
    const slower = { trials: run.trials.map((t) => ({ ...t, p50: t.p50 * 1.5, p95: t.p95 * 1.5, p99: t.p99 * 1.5 })) };
    return analyse(settings, slower, stored).fail;
  });
  return [name, rateText(failed.filter(Boolean).length, failed.length)];
});

/** What each slowed build did to the demo, measured: its median CPU per request and p50 against the unchanged build's. */
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const level = (rs, f) => med(rs.flatMap((r) => r.trials.map(f)).filter((v) => v > 0));
const effects = builds.map((b) => {
  const rs = runs.filter((r) => r.build === b && !r.neighbour);
  const q = unchanged.filter((r) => !r.neighbour);
  const rel = (f) => `${((level(rs, f) / level(q, f) - 1) * 100).toFixed(1)} %`;
  return [
    b,
    String(runs.filter((r) => r.build === b).length),
    rel((t) => t.cpuPerRequest),
    rel((t) => t.p50),
    rel((t) => t.p95),
    rel((t) => t.rps),
  ];
});

/** The unchanged build's runs in the order they ran: the machine's other work, and each run's level (least disturbed trial). */
const inOrder = unchanged.map((r) => [
  r.id,
  r.startedAt ? new Date(r.startedAt).toISOString().slice(11, 19) : '',
  r.neighbour ? 'on' : 'off',
  r.machine ? r.machine.otherCpus.toFixed(2) : '',
  Math.min(...r.trials.map((t) => t.p95)).toFixed(3),
  Math.max(...r.trials.map((t) => t.rps)).toFixed(0),
  (Math.min(...r.trials.map((t) => t.cpuPerRequest)) * 1000).toFixed(1),
  r.trials.some((t) => t.yardstickPerOp) ? (level([r], (t) => t.yardstickPerOp) * 1000).toFixed(0) : '',
]);

const md = `# History mode's gate on real runs: false fails, confident passes, power

- Data: \`node bench/collect-history.mjs\` on ${data.machine}, ${data.date}, ${data.seconds} s: the demo, one
  scenario, ${data.trials} trials of ${data.durationMs / 1000} s each run (a fresh service, the yardstick beside it), every other
  run with a CPU-bound process beside it for the whole run. Analysed with \`npm run bench:history\`
  (${DRAWS} random draws of K stored runs per PR run).
${
  data.trials < 4
    ? `- These runs have ${data.trials} trials (perfgate's default is 5): below 4 a run's spread floor is the sample sd's, so the
  robust floor (docs/history.md) is not exercised by them (replayed with the code before it, \`--build\`, every
  figure below came out the same).
`
    : ''
}- Gate: α = ${D.alpha}; δ p95 ${D.delta.p95 * 100} %, throughput ${D.delta.rps * 100} %, CPU per request ${D.delta.cpu_per_request * 100} %.

## What the slowed builds did (quiet runs, median over every trial, against the unchanged build)

${table(['build', 'runs', 'CPU per request', 'p50', 'p95', 'req/s'], effects)}

## Every latency × 1.5 against 12 stored copies of the run with ±2 % noise

Runs: ${x15Runs === data ? 'the unchanged runs above' : `${x15Unchanged.length} unchanged runs of ${x15Runs.trials} trials of ${x15Runs.durationMs / 1000} s (\`${values.x15}\`, ${x15Runs.date})`}. Proven a regression (the gate fails) in:

${table(['procedure', 'runs failed'], x15)}

## The unchanged build's runs, in the order they ran

Other work: CPUs kept busy outside perfgate's tree before the scenario, with no load sent (the
busier-machine rule's figure). The run's level: its least disturbed trial.

${table(['run', 'started (UTC)', 'neighbour', 'other work (CPUs)', 'p95 (ms)', 'req/s', 'CPU per request (µs)', 'yardstick per op (µs)'], inOrder)}

## Unchanged PRs

${table(['procedure', 'neighbour', 'stored runs', 'false fail per PR', 'gating comparisons: confident pass'], aaRows)}

## Power (share of PR runs failed; the metrics that caught most)

${table(['procedure', 'neighbour', 'stored runs', ...builds], powerRows)}
`;
writeFileSync(values.out ?? join(ROOT, 'bench', 'RESULTS-history.md'), md);
process.stdout.write(md);
