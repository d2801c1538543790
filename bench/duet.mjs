// Per-pair spread of A/B designs, measured with perfgate's own engine and CPU reading: two
// services (A, and B with a knob), 10 pairs of 4 s open-model trials each, the log-ratio B/A per
// pair for the service's CPU time per request (schedstat over the whole tree), p50 and p95.
//   sequential:         A and B loaded one after the other (random order per pair), unpinned
//   sequential, pinned: the same, services on the last CPU, this process on the others
//   duet, pinned:       both loaded at the same time, services on the last CPU, load on the others
// Each with and without a neighbour: a CPU-bound process switched on or off at random before
// every pair (on 40 % of pairs). Services: the demo (1,000 req/s keep-alive each) with SLOWDOWN,
// and gunicorn + Flask (fixtures/flask-hash-app, 2 sync workers, 200 req/s each) with EXTRA_WORK.
// Usage: npm run bench:designs [-- --quick]   → bench/RESULTS-duet.md
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { startTrial } from '../build/load/trial.js';
import { TrialCpu } from '../build/service/cpu-time.js';
import { allowedCpus, pinProcess, pinTree, splitCpus } from '../build/service/pin.js';
import { freePort } from '../build/service/port.js';
import { createRng } from '../build/stats/rng.js';
import { DEMO, machine, ROOT, table } from './lib.mjs';

const quick = process.argv.includes('--quick');
const PAIRS = quick ? 4 : 10;
const TRIAL_MS = quick ? 2000 : 4000;
const rng = createRng(20261202);

const SERVICES = {
  demo: {
    label: 'demo (Node), GET /api/products, 1,000 req/s keep-alive each',
    knob: 'SLOWDOWN',
    start: (port, knob) =>
      spawn(process.execPath, [DEMO], { env: { ...process.env, PORT: String(port), SLOWDOWN: knob }, stdio: 'ignore', detached: true }),
    path: '/api/products',
    rate: 1000,
    connections: 20,
  },
  gunicorn: {
    label: 'gunicorn + Flask (2 sync workers), GET /items, 200 req/s each',
    knob: 'EXTRA_WORK',
    start: (port, knob) =>
      spawn('/usr/bin/gunicorn', ['--workers', '2', '--bind', `127.0.0.1:${port}`, 'app:app'], {
        cwd: join(ROOT, 'fixtures', 'flask-hash-app'),
        env: { ...process.env, EXTRA_WORK: knob },
        stdio: 'ignore',
        detached: true,
      }),
    path: '/items',
    rate: 200,
    connections: 8,
  },
};

async function up(service, knob) {
  const port = await freePort();
  const child = service.start(port, knob);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) =>
      http.get(`${url}${service.path}`, (res) => (res.resume(), r(res.statusCode === 200))).on('error', () => r(false)),
    );
    if (ok) return { url, pid: child.pid, stop: () => process.kill(-child.pid, 'SIGTERM') };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${service.label} did not start`);
}

const scenario = (s) => ({
  name: 'x',
  kind: 'request',
  steps: [{ name: 'get', method: 'GET', path: s.path, headers: {}, capture: {} }],
  connections: s.connections,
  rate: s.rate,
  warmupMs: 0,
  trials: 1,
  durationMs: TRIAL_MS,
  timeoutMs: TRIAL_MS,
  processes: 1,
});

/** One side's trial with its service CPU time per request (µs), p50 and p95 (ms). */
async function measured(service, side) {
  const cpu = new TrialCpu({ pid: side.pid });
  await cpu.boundary('before', true);
  const { result } = await startTrial(side.url, scenario(service), TRIAL_MS).done;
  await cpu.boundary('after', true);
  return { cpu: cpu.readings[0].ns / 1000 / result.requests, p50: result.latency.p50, p95: result.latency.p95 };
}

async function runDesign(serviceName, design, knob, neighbour) {
  const service = SERVICES[serviceName];
  const all = await allowedCpus();
  const split = splitCpus(all);
  const a = await up(service, '0');
  const b = await up(service, knob);
  let noise = null;
  try {
    if (design !== 'sequential') {
      for (const s of [a, b]) await pinTree(s.pid, split.services);
      await pinProcess(process.pid, split.load);
    }
    // Warm both up once.
    await Promise.all([a, b].map((s) => startTrial(s.url, scenario(service), 1000).done));
    const pairs = [];
    for (let i = 0; i < PAIRS; i++) {
      if (neighbour) {
        const want = rng.next() < 0.4;
        if (want && !noise) noise = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
        if (!want && noise) {
          noise.kill('SIGKILL');
          noise = null;
        }
      }
      const first = rng.next() < 0.5;
      if (design === 'duet') {
        const [ra, rb] = first
          ? await Promise.all([measured(service, a), measured(service, b)])
          : (await Promise.all([measured(service, b), measured(service, a)])).reverse();
        pairs.push({ a: ra, b: rb });
      } else {
        const ra = first ? await measured(service, a) : null;
        const rb = await measured(service, b);
        pairs.push({ a: ra ?? (await measured(service, a)), b: rb });
      }
    }
    return pairs;
  } finally {
    if (noise) noise.kill('SIGKILL');
    a.stop();
    b.stop();
    await pinProcess(process.pid, all);
  }
}

const sd = (xs) => {
  const m = xs.reduce((x, y) => x + y, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};
const summarize = (pairs) =>
  Object.fromEntries(
    ['cpu', 'p50', 'p95'].map((k) => {
      const lr = pairs.map((p) => Math.log(p.b[k] / p.a[k]));
      return [k, { ratio: Math.exp(lr.reduce((x, y) => x + y, 0) / lr.length), sd: sd(lr) }];
    }),
  );

const runs = [
  ...['sequential', 'sequential, pinned', 'duet'].flatMap((design) =>
    [false, true].flatMap((neighbour) => [
      { service: 'demo', design, knob: '0', neighbour },
      { service: 'demo', design, knob: '0.3', neighbour },
    ]),
  ),
  { service: 'demo', design: 'duet', knob: '0.1', neighbour: false },
  { service: 'demo', design: 'duet', knob: '0.1', neighbour: true },
  { service: 'gunicorn', design: 'duet', knob: '0', neighbour: false },
  { service: 'gunicorn', design: 'duet', knob: '0', neighbour: true },
  { service: 'gunicorn', design: 'duet', knob: '0.3', neighbour: false },
];

const started = Date.now();
const rows = [];
for (const r of runs) {
  process.stderr.write(
    `duet bench: ${r.service}, ${r.design}, ${SERVICES[r.service].knob}=${r.knob}, neighbour ${r.neighbour ? 'on/off' : 'off'}\n`,
  );
  const s = summarize(await runDesign(r.service, r.design, r.knob, r.neighbour));
  rows.push({ ...r, ...s });
}

const f = (x) => x.toFixed(3);
const body = table(
  ['service', 'design', 'B differs by', 'neighbour', 'CPU/request: B/A · sd log(B/A)', 'p50: B/A · sd', 'p95: B/A · sd'],
  rows.map((r) => [
    r.service,
    r.design,
    r.knob === '0' ? 'nothing (same build)' : `${SERVICES[r.service].knob}=${r.knob}`,
    r.neighbour ? 'switched at random' : 'none',
    `×${f(r.cpu.ratio)} · ${f(r.cpu.sd)}`,
    `×${f(r.p50.ratio)} · ${f(r.p50.sd)}`,
    `×${f(r.p95.ratio)} · ${f(r.p95.sd)}`,
  ]),
);
const md = `# A/B designs: how much a pair of trials agrees

${machine()}. \`npm run bench:designs${quick ? ' -- --quick' : ''}\`: ${PAIRS} pairs of ${TRIAL_MS / 1000} s open-model trials per row (${Math.round((Date.now() - started) / 1000)} s in all).
Each row: B/A is the geometric mean of the pairs' ratios (a same-build row should read ×1.000),
sd is the standard deviation of log(B/A) over the pairs (what a paired test has to beat).
CPU/request is the service tree's CPU time (schedstat, every thread) per response, read by perfgate's own code.

${Object.values(SERVICES)
  .map((s) => `- ${s.label}`)
  .join('\n')}

${body}
`;
writeFileSync(join(ROOT, 'bench', `RESULTS-duet${quick ? '-quick' : ''}.md`), md);
console.log(md);
