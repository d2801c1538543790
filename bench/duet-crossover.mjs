// Same build against itself through perfgate's own duet (runGate, as a pull request runs it):
// does the estimate centre on 1 once the slots are crossed over? Each run: 8 pairs, the first 4
// with the base started, given its port and warmed up first, the last 4 with the head first.
// Per run and metric, the crossed-over estimate perfgate reports (the mean of the two
// arrangements' mean log-ratios), the plain estimate over all pairs as if never crossed, and the
// first arrangement's alone (what a duet without crossover would read), with the slot effect.
// With and without a CPU-bound neighbour. Writes bench/RESULTS-duet-crossover.md.
//   npm run bench:duet [-- --quick] [-- --runs N] [-- --only demo|gunicorn|fastapi-postgres]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGate } from '../build/pipeline/gate.js';
import { silentProgress } from '../build/util/progress.js';
import { machine, ROOT, table } from './lib.mjs';
import { BENCH_SERVICES } from './services.mjs';

const quick = process.argv.includes('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const RUNS = quick ? 2 : Number(process.argv.includes('--runs') ? process.argv[process.argv.indexOf('--runs') + 1] : 6);
const PAIRS = 8;
const TRIAL = quick ? '1s' : '2s';

const services = BENCH_SERVICES.filter((s) => !only || s.key === only);

function configYaml(s) {
  const svc = `    command: ${JSON.stringify(s.command)}
    cwd: ${JSON.stringify(s.cwd)}
    port: auto
    env: ${JSON.stringify(s.env ?? {})}
    ready: ${s.ready}`;
  return `name: duet-crossover
${s.dependencies ?? ''}service:
${svc.replace(/^ {4}/gm, '  ')}
baseline:
  service:
${svc}
history: { store: none }
ab: { min-trials: ${PAIRS}, max-trials: ${PAIRS} }
load: { connections: ${s.connections}, warmup: 1s, duration: ${TRIAL}, trials: ${PAIRS} }
scenarios:
  - { name: get, request: { path: ${s.path} } }
`;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function oneRun(s) {
  const { mkdtempSync, writeFileSync: w } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const d = mkdtempSync(join(tmpdir(), 'perfgate-crossover-'));
  w(join(d, 'perfgate.yml'), configYaml(s));
  const o = await runGate({ config: join(d, 'perfgate.yml'), outDir: join(d, 'out'), env: process.env, progress: silentProgress });
  const ab = o.result.ab;
  if (!ab || ab.design !== 'duet') throw new Error(`${s.key}: no duet ran (${ab?.designNote ?? o.result.reason})`);
  const base = ab.base.scenarios[0].trials;
  const head = o.result.scenarios[0].trials;
  const pick = {
    cpu_per_request: (t) => t.serviceCpu?.perRequestUs,
    ...(s.dependencies ? { dependency_cpu_per_request: (t) => t.dependencyCpu?.perRequestUs } : {}),
    p50: (t) => t.latency.p50,
    p95: (t) => t.latency.p95,
  };
  const out = {};
  for (const [metric, f] of Object.entries(pick)) {
    const lr = base.map((b, i) => Math.log(f(head[i]) / f(b)));
    const slots = [...ab.firstSlot];
    const a0 = lr.filter((_, i) => slots[i] === 'B');
    const c = ab.comparisons.find((x) => x.metric === metric && x.scenario === 'get');
    out[metric] = {
      crossed: c.change,
      plain: Math.expm1(mean(lr)),
      firstOnly: Math.expm1(mean(a0)),
      slot: c.slotEffect ?? null,
      spread: c.spread ?? null,
      outcome: c.outcome,
      gating: c.gating,
    };
  }
  out.wallS = o.result.durationMs / 1000;
  out.verdict = o.result.verdict;
  return out;
}

const started = Date.now();
const rows = [];
const perRun = [];
for (const s of services) {
  for (const neighbour of [false, true]) {
    const noise = neighbour ? spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }) : null;
    const runs = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        process.stderr.write(`duet crossover: ${s.key}, neighbour ${neighbour ? 'on' : 'off'}, run ${i + 1}/${RUNS}\n`);
        runs.push(await oneRun(s));
      }
    } finally {
      noise?.kill('SIGKILL');
    }
    perRun.push({ s, neighbour, runs });
    for (const metric of ['cpu_per_request', 'dependency_cpu_per_request', 'p50', 'p95']) {
      if (!runs[0][metric]) continue;
      const xs = runs.map((r) => r[metric]);
      rows.push([
        s.label,
        neighbour ? 'CPU-bound' : 'none',
        metric,
        `×${(1 + median(xs.map((x) => x.crossed))).toFixed(3)}`,
        `×${(1 + median(xs.map((x) => x.plain))).toFixed(3)}`,
        `×${(1 + median(xs.map((x) => x.firstOnly))).toFixed(3)}`,
        `${(median(xs.map((x) => x.slot ?? 0)) * 100).toFixed(1)} %`,
        `±${(median(xs.map((x) => x.spread ?? 0)) * 100).toFixed(1)} %`,
        `${xs.filter((x) => x.gating !== false).length} of ${xs.length}`,
        `${xs.filter((x) => x.gating !== false && x.outcome === 'regression').length} of ${xs.length}`,
      ]);
    }
  }
}

const md = `# A duet crossed over: the same build against itself

${machine()}. \`npm run bench:duet${quick ? ' -- --quick' : RUNS !== 6 ? ` -- --runs ${RUNS}` : ''}\`: per service, ${RUNS} perfgate runs of the same build as base and head
(\`runGate\`, the duet as a pull request runs it), ${PAIRS} pairs of ${TRIAL} trials each, with and without a CPU-bound neighbour
(${Math.round((Date.now() - started) / 1000)} s in all). Pairs 1–4 have the base started, given its port and warmed up first; both are then restarted with
the head first for pairs 5–8. Medians over the runs of: the crossed-over estimate perfgate reports (the mean of the two arrangements'
mean log-ratios), the plain mean over all 8 pairs, the first arrangement's 4 pairs alone (a duet never crossed over), and the slot
effect (the first slot against the second, on the log-ratio), and of the pairs' spread (sd of the log-ratio within the arrangements).
A same-build ratio should read ×1.000; "gated in" counts the runs where that metric was in the gate (latency: where its pairs could
resolve δ), "gating regressions" those where it was proven (false fails).

${services.map((s) => `- ${s.label}: ${s.about}`).join('\n')}

${table(['service', 'neighbour', 'metric', 'crossed over (perfgate)', 'all pairs, plain', 'first arrangement only', 'slot effect', 'pair spread', 'gated in', 'gating regressions'], rows)}

Per run (crossed-over ratio, CPU · p50 · p95; wall time):

${perRun
  .map(
    ({ s, neighbour, runs }) =>
      `- ${s.key}, neighbour ${neighbour ? 'on' : 'off'}: ${runs
        .map(
          (r) =>
            `${(1 + r.cpu_per_request.crossed).toFixed(3)} · ${(1 + r.p50.crossed).toFixed(3)} · ${(1 + r.p95.crossed).toFixed(3)} (${Math.round(r.wallS)} s)`,
        )
        .join('; ')}`,
  )
  .join('\n')}
`;
writeFileSync(join(ROOT, 'bench', `RESULTS-duet-crossover${quick ? '-quick' : ''}${only ? `-${only}` : ''}.md`), md);
console.log(md);
