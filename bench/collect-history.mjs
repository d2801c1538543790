// Collects plain runs for history mode's benchmarks (bench/yardstick.mjs, bench/history.mjs) into
// bench/data/history-runs.json: each run a fresh service measured the way a push to the default
// branch measures it (one scenario, the yardstick beside the service), as history keeps it (the
// trials' figures). Builds: the unchanged service, and on the demo the slowed builds the power
// replays need (+10 % and +20 % handler CPU, a 2 ms wait per request). Every build is run with a
// CPU-bound neighbour (one busy process for the whole run) on every other run, so that drift over
// the collection falls on both conditions alike.
// Usage: node bench/collect-history.mjs [--unchanged 21] [--slowed 6] [--trials 4] [--duration 3000] [--services demo,gunicorn] [--out FILE]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../build/config/load.js';
import { trialFigures } from '../build/contract/record.js';
import { measureOnce } from '../build/pipeline/measure.js';
import { machine, ROOT } from './lib.mjs';
import { BENCH_SERVICES } from './services.mjs';

const { values } = parseArgs({
  options: {
    unchanged: { type: 'string', default: '21' },
    slowed: { type: 'string', default: '6' },
    trials: { type: 'string', default: '4' },
    duration: { type: 'string', default: '3000' },
    services: { type: 'string', default: 'demo,gunicorn' },
    out: { type: 'string' },
  },
});
const TRIALS = Number(values.trials);
const DURATION = Number(values.duration);
const U = Number(values.unchanged);
const S = Number(values.slowed);
const wanted = values.services.split(',');

/** The builds per service: env of the build, runs per neighbour condition. */
const BUILDS = {
  demo: [
    { build: 'unchanged', env: {}, runs: U },
    { build: '+10 % handler CPU', env: { SLOWDOWN: '0.1' }, runs: S },
    { build: '+20 % handler CPU', env: { SLOWDOWN: '0.2' }, runs: S },
    { build: '+2 ms wait', env: { WAIT_MS: '2' }, runs: S },
  ],
  gunicorn: [{ build: 'unchanged', env: {}, runs: U }],
};

const yaml = (s, env) => `name: bench-history
service:
  command: ${JSON.stringify(s.command)}
  cwd: ${JSON.stringify(s.cwd)}
  env: ${JSON.stringify(env)}
  ready: ${s.ready}
history: { store: none }
regression: { yardstick: true }
load: { connections: ${s.connections}, warmup: 1s, duration: ${DURATION}ms, trials: ${TRIALS} }
scenarios:
  - { name: s, request: { path: ${JSON.stringify(s.path)} } }
`;

// The neighbour is an orphan (its shell exits at once): outside this process's tree, as another
// job's process is, so that the run's idle window counts it as the machine's other work.
const busyProcess = async () => {
  const sh = spawn('sh', ['-c', `"${process.execPath}" -e 'for (;;) {}' >/dev/null 2>&1 & echo $!`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  sh.stdout.on('data', (b) => (out += b));
  await new Promise((r) => sh.on('exit', r));
  const pid = Number(out.trim());
  return { kill: () => process.kill(pid, 'SIGKILL') };
};
const progress = { info: () => {}, live: () => {} };
const started = Date.now();
const data = { machine: machine(), date: new Date().toISOString(), trials: TRIALS, durationMs: DURATION, runs: [] };

// Interleave the builds run by run (unchanged, slowed, unchanged, …) so that no build owns an hour.
for (const s of BENCH_SERVICES.filter((x) => wanted.includes(x.key))) {
  const queue = [];
  const builds = BUILDS[s.key];
  const most = Math.max(...builds.map((b) => b.runs));
  for (let i = 0; i < 2 * most; i++) for (const b of builds) if (i < 2 * b.runs) queue.push({ b, neighbour: i % 2 === 1 });
  for (const [n, { b, neighbour }] of queue.entries()) {
    process.stderr.write(`bench: ${s.label} ${n + 1}/${queue.length} ${b.build}${neighbour ? ' (neighbour)' : ''}\n`);
    const busy = neighbour ? await busyProcess() : null;
    let m;
    try {
      m = await measureOnce(parseConfig(yaml(s, b.env), join(ROOT, 'bench.yml')), {
        env: process.env,
        runId: randomUUID(),
        serviceLog: null,
        progress,
        display: (x) => x,
      });
    } finally {
      busy?.kill();
    }
    if (m.failure) throw new Error(`${s.label} ${b.build}: ${m.failure.message}`);
    data.runs.push({
      id: `${s.key}-${n + 1}`,
      service: s.key,
      build: b.build,
      neighbour,
      startedAt: m.scenarios[0].trials[0].startedAt,
      trials: m.scenarios[0].trials.map(trialFigures),
      machine: m.scenarios[0].machine ?? null,
    });
  }
}
data.seconds = Math.round((Date.now() - started) / 1000);
mkdirSync(join(ROOT, 'bench', 'data'), { recursive: true });
writeFileSync(values.out ?? join(ROOT, 'bench', 'data', 'history-runs.json'), `${JSON.stringify(data)}\n`);
process.stderr.write(`bench: ${data.runs.length} runs in ${data.seconds} s\n`);
