// Collects A/B pull requests with real commits for bench/ab-verdicts.mjs: a temporary repository
// holds a service and its perfgate.yml, then a commit that changes only a README (same build) or
// one that adds handler CPU work in code; each job is `perfgate run --against HEAD~1` with the
// bundled CLI and a fixed number of pairs (ab.min-trials = ab.max-trials), so that the analysis
// can replay perfgate's stopping rule on every prefix. What is kept: every pair's figures of both
// builds, the design that ran, and the job's wall time split into setup and pairs.
//
// Services: `demo` (the root perfgate.yml: three open-model scenarios and a ramp; SLOWDOWN in
// code), `closed` (the demo's products endpoint, a closed model of 10 connections: a millisecond
// endpoint; SLOWDOWN in code) and `gunicorn` (Flask under gunicorn, 2 sync workers, 150 req/s,
// 1,500 SHA-256 rounds per request; EXTRA_WORK in code). The neighbour is a CPU-bound process switched on and off at random
// (2–8 s each way) for the whole job.
// Usage: node bench/ab-collect.mjs --plan quick|full [--from K]   or   --service S --design D --knob K [--neighbour] [--pairs N]
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { trialFigures } from '../build/contract/record.js';
import { createRng } from '../build/stats/rng.js';
import { benchRepo, docsOnlyCommit, ROOT } from './lib.mjs';

const CLI = join(ROOT, 'dist', 'cli', 'index.js');
export const DATA = join(ROOT, 'bench', 'data', 'ab');

const CLOSED_YML = `name: closed-ms
service:
  command: node fixtures/demo-service/server.js
  port: auto
  ready: { http: /health, timeout: 20s }
load: { warmup: 2s, duration: 4s, trials: 5 }
scenarios:
  - name: products
    request: { path: /api/products }
    connections: 10
`;

const GUNICORN_YML = `name: gunicorn-flask
service:
  command: exec /usr/bin/gunicorn --workers 2 --bind 127.0.0.1:$PORT app:app
  env: { HASH_ROUNDS: "1500" }
  port: auto
  ready: { http: /health, timeout: 20s }
load: { warmup: 2s, duration: 4s, trials: 5 }
scenarios:
  - name: items
    request: { path: /items }
    connections: 8
    rate: 150
`;

const DEMO_KNOB = [
  'fixtures/demo-service/server.js',
  'const SLOWDOWN = Number(env.SLOWDOWN ?? 0);',
  (k) => `const SLOWDOWN = Number(env.SLOWDOWN ?? ${k});`,
];
export const SERVICES = {
  demo: {
    label: "the demo's own perfgate.yml",
    files: { 'fixtures/demo-service/server.js': 'fixtures/demo-service/server.js', 'perfgate.yml': 'perfgate.yml' },
    knob: DEMO_KNOB,
  },
  closed: {
    label: 'closed model, 10 connections, GET /api/products of the demo',
    files: { 'fixtures/demo-service/server.js': 'fixtures/demo-service/server.js' },
    yml: CLOSED_YML,
    knob: DEMO_KNOB,
  },
  gunicorn: {
    label: 'gunicorn + Flask, 2 sync workers, 1,500 SHA-256 rounds per request, 150 req/s',
    files: { 'app.py': 'fixtures/flask-hash-app/app.py' },
    yml: GUNICORN_YML,
    knob: ['app.py', 'os.environ.get("EXTRA_WORK", "0")', (k) => `os.environ.get("EXTRA_WORK", "${k}")`],
  },
};

/** A CPU-bound neighbour switched on and off at random; returns its stop function. */
function neighbour(seed) {
  const rng = createRng(seed);
  let child = null;
  let timer = null;
  let stopped = false;
  const flip = () => {
    if (stopped) return;
    if (child) {
      child.kill('SIGKILL');
      child = null;
    } else child = spawn('sh', ['-c', 'exec yes > /dev/null'], { stdio: 'ignore' });
    timer = setTimeout(flip, 2000 + rng.int(6000));
  };
  timer = setTimeout(flip, rng.int(4000));
  return () => {
    stopped = true;
    clearTimeout(timer);
    child?.kill('SIGKILL');
  };
}

export async function collectJob({ service, design, knob, withNeighbour, pairs }) {
  const spec = SERVICES[service];
  const dir = mkdtempSync(join(tmpdir(), `perfgate-ab-${service}-`));
  for (const [to, from] of Object.entries(spec.files)) {
    mkdirSync(join(dir, to, '..'), { recursive: true });
    copyFileSync(join(ROOT, from), join(dir, to));
  }
  const yml = spec.yml ?? readFileSync(join(dir, 'perfgate.yml'), 'utf8');
  writeFileSync(
    join(dir, 'perfgate.yml'),
    `${yml}\nab: { design: ${design}, min-trials: ${pairs}, max-trials: ${pairs}, budget: 60m }\nhistory: { store: none }\n`,
  );
  const git = benchRepo(dir, 'the service');
  if (Number(knob) === 0) docsOnlyCommit(dir, git);
  else {
    const [file, from, to] = spec.knob;
    const source = readFileSync(join(dir, file), 'utf8');
    if (!source.includes(from)) throw new Error(`${file} no longer reads ${from}`);
    writeFileSync(join(dir, file), source.replace(from, to(knob)));
    git('commit', '-q', '-am', 'more work per request');
  }
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('GITHUB_') || k === 'CI') delete env[k];
  const stop = withNeighbour ? neighbour(Date.now() & 0xffff) : () => {};
  const started = Date.now();
  const exit = await new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'run', '--against', 'HEAD~1', '--no-save'], { cwd: dir, env, stdio: 'ignore' });
    child.on('exit', (code) => resolve(code));
  });
  const wall = (Date.now() - started) / 1000;
  stop();
  const result = JSON.parse(readFileSync(join(dir, '.perfgate', 'result.json'), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  const ab = result.ab;
  if (!ab) throw new Error(`no A/B result (exit ${exit}): ${result.reason}`);
  const scenarios = {};
  for (const s of result.scenarios) {
    const base = ab.base.scenarios.find((b) => b.name === s.name);
    if (!base || s.ramp) continue;
    scenarios[s.name] = {
      kind: s.kind,
      open: (s.settings.rate ?? 0) > 0,
      base: base.trials.map(trialFigures),
      head: s.trials.map(trialFigures),
    };
  }
  // Each pair's start (its first trial's); the pairs' pace and the fixed cost around them follow.
  const starts = [];
  for (const s of result.scenarios)
    if (!s.ramp) s.trials.forEach((t, i) => (starts[i] = Math.min(starts[i] ?? Infinity, Date.parse(t.startedAt))));
  const secondsPerPair = starts.length > 1 ? (starts[starts.length - 1] - starts[0]) / 1000 / (starts.length - 1) : ab.elapsedMs / 1000;
  return {
    service,
    design: ab.design ?? 'interleaved',
    secondsPerPair,
    designNote: ab.designNote ?? null,
    knob: Number(knob),
    neighbour: withNeighbour,
    pairs: ab.trialsPerSide,
    exit,
    wallSeconds: wall,
    abSeconds: ab.elapsedMs / 1000,
    date: new Date().toISOString(),
    scenarios,
  };
}

/** What `bench:verdicts` collects: [service, design, knob, neighbour, pairs, jobs]. */
export const PLANS = {
  full: [
    ['demo', 'duet', 0, true, 16, 2],
    ['demo', 'duet', 0.1, true, 16, 1],
    ['demo', 'duet', 0.3, true, 12, 1],
    ['demo', 'duet', 0, false, 16, 1],
    ['demo', 'duet', 0.05, true, 16, 1],
    ['closed', 'duet', 0, true, 16, 1],
    ['closed', 'duet', 0.1, true, 16, 1],
    ['closed', 'interleaved', 0, true, 16, 1],
    ['demo', 'interleaved', 0, true, 12, 1],
    ['demo', 'interleaved', 0.3, true, 12, 1],
    ['closed', 'duet', 0, false, 16, 2],
    ['closed', 'duet', 0, true, 16, 2],
    ['closed', 'duet', 0.05, true, 16, 1],
    ['closed', 'duet', 0.3, true, 16, 1],
    ['closed', 'interleaved', 0.1, true, 16, 1],
    ['gunicorn', 'duet', 0, true, 16, 1],
    ['gunicorn', 'duet', 0.3, true, 16, 1],
    ['gunicorn', 'duet', 0, false, 16, 1],
    ['gunicorn', 'duet', 0.1, true, 16, 1],
  ],
  quick: [
    ['closed', 'duet', 0, false, 8, 1],
    ['closed', 'duet', 0.3, false, 8, 1],
  ],
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      plan: { type: 'string' },
      service: { type: 'string', default: 'demo' },
      design: { type: 'string', default: 'duet' },
      knob: { type: 'string', default: '0' },
      neighbour: { type: 'boolean', default: false },
      pairs: { type: 'string', default: '16' },
      jobs: { type: 'string', default: '1' },
      from: { type: 'string', default: '0' }, // resume a plan at this entry
    },
  });
  const plan = values.plan
    ? PLANS[values.plan].slice(Number(values.from))
    : [[values.service, values.design, Number(values.knob), values.neighbour, Number(values.pairs), Number(values.jobs)]];
  mkdirSync(DATA, { recursive: true });
  for (const [service, design, knob, withNeighbour, pairs, jobs] of plan)
    for (let j = 0; j < jobs; j++) {
      const job = await collectJob({ service, design, knob, withNeighbour, pairs });
      const name = `${service}-${design}-${knob}-${withNeighbour ? 'neighbour' : 'quiet'}-${job.date.replace(/[:.]/g, '')}.json`;
      writeFileSync(join(DATA, name), `${JSON.stringify(job)}\n`);
      process.stderr.write(
        `${name}: exit ${job.exit}, ${job.pairs} pairs, ${job.wallSeconds.toFixed(0)} s (pairs ${job.abSeconds.toFixed(0)} s), design ${job.design}\n`,
      );
    }
}
