// Does the yardstick help history? From the runs of bench/collect-history.mjs (each a fresh
// service with the yardstick beside it; every other run with a CPU-bound neighbour), the unchanged
// builds of the demo (Node.js) and of gunicorn + Flask: per run, the level of CPU time per request
// (median over its trials) raw and relative to the yardstick (each trial's CPU per request ÷ the
// CPU time of one yardstick operation in that trial). Reported: the between-run sd of the log
// level with the neighbour off, on, and both mixed (what a shared runner gives history), raw
// against relative; the yardstick's own scatter and how far it moves with the service's CPU
// (the correlation of their logs across runs). Latency and throughput levels alongside, for the
// run level that holds best (median over trials against the least disturbed trial).
// Usage: npm run bench:yardstick [-- --collect]   (--collect records the runs first, ~30 min)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, ROOT, table } from './lib.mjs';

const file = join(ROOT, 'bench', 'data', 'history-runs.json');
if (process.argv.includes('--collect') || !existsSync(file))
  execFileSync(process.execPath, [join(ROOT, 'bench', 'collect-history.mjs')], { stdio: 'inherit' });
const data = JSON.parse(readFileSync(file, 'utf8'));

const mean = (xs) => xs.reduce((a, x) => a + x, 0) / xs.length;
const sd = (xs) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const corr = (xs, ys) => {
  const mx = mean(xs);
  const my = mean(ys);
  const sxy = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0);
  return sxy / Math.sqrt(xs.reduce((a, x) => a + (x - mx) ** 2, 0) * ys.reduce((a, y) => a + (y - my) ** 2, 0));
};
const logLevel = (trials, pick, how) => {
  const v = trials.map(pick).filter((x) => x > 0);
  return Math.log(how === 'median' ? median(v) : how === 'min' ? Math.min(...v) : Math.max(...v));
};
const CONDITIONS = [
  ['off', (r) => !r.neighbour],
  ['on', (r) => r.neighbour],
  ['off and on mixed', () => true],
];
const labels = { demo: 'demo (Node.js)', gunicorn: 'gunicorn + Flask' };
const services = [...new Set(data.runs.map((r) => r.service))];

const cpuRows = [];
const levelRows = [];
const waitRows = [];
for (const s of services) {
  for (const [label, pick] of CONDITIONS) {
    const runs = data.runs.filter((r) => r.service === s && r.build === 'unchanged' && pick(r));
    const ok = runs.map((r) => r.trials.filter((t) => t.cpuPerRequest > 0 && t.yardstickPerOp > 0));
    const raw = ok.map((ts) => logLevel(ts, (t) => t.cpuPerRequest, 'median'));
    const ys = ok.map((ts) => logLevel(ts, (t) => t.yardstickPerOp, 'median'));
    const rel = ok.map((ts) => logLevel(ts, (t) => t.cpuPerRequest / t.yardstickPerOp, 'median'));
    cpuRows.push([
      labels[s] ?? s,
      label,
      String(runs.length),
      `${(Math.exp(median(raw)) * 1000).toFixed(1)} µs`,
      `${(Math.exp(median(ys)) * 1000).toFixed(0)} µs`,
      sd(raw).toFixed(3),
      sd(ys).toFixed(3),
      sd(rel).toFixed(3),
      `${((sd(rel) / sd(raw) - 1) * 100).toFixed(0)} %`,
      corr(raw, ys).toFixed(2),
    ]);
    const waits = runs.map((r) => logLevel(r.trials, (t) => t.yardstickWaitPerOp, 'median'));
    const p50s = runs.map((r) => logLevel(r.trials, (t) => t.p50, 'median'));
    const cpus = runs.map((r) => logLevel(r.trials, (t) => t.cpuPerRequest, 'median'));
    waitRows.push([
      labels[s] ?? s,
      label,
      `${(Math.exp(median(waits)) * 1000).toFixed(0)} µs`,
      corr(p50s, waits).toFixed(2),
      corr(cpus, waits).toFixed(2),
    ]);
    const lv = (pickT, how) => sd(runs.map((r) => logLevel(r.trials, pickT, how))).toFixed(3);
    levelRows.push([
      labels[s] ?? s,
      label,
      String(runs.length),
      `${lv((t) => t.p50, 'median')} / ${lv((t) => t.p50, 'min')}`,
      `${lv((t) => t.p95, 'median')} / ${lv((t) => t.p95, 'min')}`,
      `${lv((t) => t.p99, 'median')} / ${lv((t) => t.p99, 'min')}`,
      `${lv((t) => t.rps, 'median')} / ${lv((t) => t.rps, 'max')}`,
      `${lv((t) => t.cpuPerRequest, 'median')} / ${lv((t) => t.cpuPerRequest, 'min')}`,
    ]);
  }
}

const md = `# The yardstick: does CPU per request relative to it hold better from run to run?

Data: \`node bench/collect-history.mjs\` on ${data.machine}, ${data.date}, ${data.seconds} s; analysed with \`npm run bench:yardstick\`.
Each run a fresh service, ${data.trials} trials of ${data.durationMs / 1000} s after 1 s of warm-up, the yardstick beside it
(one fixed operation, under 1 ms of CPU, every 25 ms on the service's CPUs); every other run with a
CPU-bound process beside it for the whole run. A run's level: the median over its trials; the
figure is the sd of its natural log across runs (0.05 ≈ 5 % from run to run).

## CPU time per request, raw and relative to the yardstick

${table(['service', 'neighbour', 'runs', 'CPU per request (median)', 'yardstick op (median)', 'sd log raw', 'sd log yardstick', 'sd log relative', 'relative against raw', 'corr(raw, yardstick)'], cpuRows)}

## How long the yardstick waited for a CPU (run-queue delay per operation), and what moved with it

${table(['service', 'neighbour', 'wait per operation (median)', 'corr(p50, wait)', 'corr(CPU per request, wait)'], waitRows)}

## Every level, median over trials / least disturbed trial (sd of the log across runs)

${table(['service', 'neighbour', 'runs', 'p50', 'p95', 'p99', 'req/s', 'CPU per request'], levelRows)}
`;
writeFileSync(join(ROOT, 'bench', 'RESULTS-yardstick.md'), md);
process.stdout.write(md);
